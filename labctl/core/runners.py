"""Runner images for a submission's own code (compose/runners/): which languages there are, which one a
submission needs, and each as a build-only ServiceSpec so the runtime's ImageStore builds and tags it."""
from __future__ import annotations

import fnmatch
import shlex
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labctl.core import resources
from labctl.core.errors import LabctlError, LabFileError
from labctl.core.model import ResourceLimits, ServiceSpec
from labctl.core.validation import raise_for
from labctl.core.yamlfile import read_yaml

CATALOG = "runners.yml"
# A submission's code gets a little more than a service: compilers (javac, go build) are hungry.
RUNNER_LIMITS = ResourceLimits(cpus=1.0, memory_bytes=1024 ** 3, pids=256)


class _RunnerModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    summary: str = Field(min_length=1)
    commands: list[str] = Field(min_length=1)
    files: list[str] = []
    versions: str = Field(min_length=1, description="A shell command that prints the versions the image carries.")


@dataclass(frozen=True)
class Runner:
    language: str
    summary: str
    commands: tuple[str, ...]
    files: tuple[str, ...]
    versions: str
    context: Path

    @property
    def image_spec(self) -> ServiceSpec:
        """The runner as the image store builds it: labctl-local/runner-<language>:<digest of its folder>."""
        return ServiceSpec(name=f"runner-{self.language}", catalog=f"runner-{self.language}", kind="runner",
                           image=None, build_context=self.context, dockerfile=None, image_policy="build-only",
                           environment={}, ports=(), volumes=(), command=None, urls={}, credentials={}, shell=(),
                           ready_timeout=None, summary=self.summary, limits=RUNNER_LIMITS)


def runners(folder: Path | None = None) -> dict[str, Runner]:
    """Every runner of compose/runners/runners.yml. Raises LabFileError naming the file and field."""
    folder = folder or resources.compose_dir() / "runners"
    path = folder / CATALOG
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise LabFileError(path, None, "must map each language to its runner")
    out = {}
    for language, raw in data.items():
        try:
            model = _RunnerModel.model_validate(raw)
        except ValidationError as exc:
            raise_for(path, exc, prefix=str(language))
        context = folder / str(language)
        if not (context / "Dockerfile").is_file():
            raise LabFileError(path, str(language), f"there is no {context}/Dockerfile")
        out[str(language)] = Runner(str(language), model.summary, tuple(model.commands), tuple(model.files),
                                    model.versions, context)
    return out


def pick_runner(command: str | None, submission: Path, *, asked: str | None = None,
                catalog: dict[str, Runner] | None = None) -> Runner:
    """The runner a submission needs: the one asked for, else the one whose command starts `command`, else the
    one whose files the submission holds. Raises LabctlError saying how to choose."""
    catalog = catalog if catalog is not None else runners()
    known = ", ".join(catalog)
    if asked:
        if asked not in catalog:
            raise LabctlError(f"there is no {asked!r} runner", f"Runners: {known}; or give your own image with --image.")
        return catalog[asked]
    words = _words(command)
    for word in words:
        for runner in catalog.values():
            if word in runner.commands:
                return runner
    names = [p.relative_to(submission).as_posix() for p in submission.rglob("*") if p.is_file()]
    for runner in catalog.values():
        for pattern in runner.files:
            if any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(Path(name).name, pattern) for name in names):
                return runner
    raise LabctlError("cannot tell which language the submission needs",
                      f"Say it with --runner ({known}), or give a course image with --image.")


def _words(command: str | None) -> list[str]:
    """The program names a shell command starts: `cd app && npm start` -> cd, npm; paths cut to their name."""
    if not command:
        return []
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    words, expect_command = [], True
    for token in tokens:
        if token in ("&&", "||", ";", "|"):
            expect_command = True
            continue
        if expect_command and "=" not in token:  # VAR=value before a command is not the command
            words.append(Path(token).name)
            expect_command = False
    return words
