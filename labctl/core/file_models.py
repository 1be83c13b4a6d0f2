"""The shapes of lab.yaml and of the compose files, as pydantic models (and so as JSON Schema)."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,47}$"
# fullmatch: `$` would let "postgres\n" through.
ID_RE = re.compile(ID_PATTERN.rstrip("$") + r"\Z")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- compose files (a known subset of the compose spec) -------------------------------------

class ComposeBuild(_Strict):
    context: str
    dockerfile: str | None = None


class ComposeReady(_Strict):
    timeout: float | None = Field(None, gt=0, le=900)


class ComposeLabctl(_Strict):
    """labctl's own metadata, under the service's `x-labctl` key."""

    kind: str = Field(description="The service kind: which driver of labctl/services runs it.")
    summary: str = ""
    image_policy: Literal["pull-or-build", "build-only", "pull-only"] = Field("pull-or-build", alias="image-policy")
    offline_hint: str = Field("", alias="offline-hint",
                              description="Said when the image can't be pulled and there is no local build.")
    local_build_note: str = Field("", alias="local-build-note",
                                  description="Said whenever the service runs from its local build rather than the "
                                              "official image (at start, in doctor and images list): what the build "
                                              "is, when it is not the same software.")
    ready: ComposeReady = ComposeReady()
    urls: dict[str, str] = {}
    credentials: dict[str, str] = {}
    shell: list[str] = []
    secrets: list[str] = Field([], description="Environment variables whose values labctl makes for each instance "
                                               "(passwords), unless the lab sets them; the file's values are for "
                                               "docker compose alone.")
    legacy: dict[str, str] = Field({}, description="The values of those variables in instances made before labctl "
                                                   "made them, so such instances keep working.")
    sandbox_loopback: list[str] = Field([], alias="sandbox-loopback",
                                        description="A command, run from the service's own image beside a graded app "
                                                    "(in the app's sandbox's network), that makes 127.0.0.1:<published "
                                                    "port> there reach the service (its environment: LISTEN_PORT, "
                                                    "TARGET_HOST, TARGET_PORT), so the service's URLs are the same "
                                                    "string in the sandbox as on the host (an OpenID issuer).")
    keep_filesystem: bool = Field(False, alias="keep-filesystem",
                                  description="The container's own file system is learner state (a Linux box's /etc, "
                                              "/srv, users): when labctl must re-create the container, it first "
                                              "commits it to an image of the instance's own and re-creates it from "
                                              "that; reset re-creates it from the lab's current image.")


class ResourceLimitsModel(_Strict):
    """What one container may use, as the compose spec writes it (docker compose honours it too)."""

    cpus: float | str | None = Field(None, description="CPUs, e.g. 1.0 or \"0.5\".")
    memory: str | int | None = Field(None, description="Memory, e.g. 512M or 1G (bytes when a number).")
    pids: int | None = Field(None, ge=32, le=65536, description="Processes and threads.")


class ComposeResources(_Strict):
    limits: ResourceLimitsModel = ResourceLimitsModel()


class ComposeDeploy(_Strict):
    resources: ComposeResources = ComposeResources()


class ComposeService(_Strict):
    image: str | None = None
    build: str | ComposeBuild | None = None
    environment: dict[str, str | int | float | bool] | list[str] = {}
    ports: list[str | int] = []
    volumes: list[str] = []
    command: str | list[str] | None = None
    deploy: ComposeDeploy | None = None
    x_labctl: ComposeLabctl = Field(alias="x-labctl")


class ComposeFile(_Strict):
    name: str | None = None
    services: dict[str, ComposeService]
    volumes: dict[str, dict[str, Any] | None] = {}


# ---- lab.yaml -------------------------------------------------------------------------------

class LabService(_Strict):
    catalog: str | None = Field(None, description="Catalog entry (compose/<catalog>.yml); defaults to the key.")
    environment: dict[str, str | int | float | bool] = {}
    limits: ResourceLimitsModel | None = Field(None, description="Overrides of the catalog's resource limits.")


class SqlStep(_Strict):
    sql: str = Field(description="A .sql file inside the lab folder, run on the service.")
    service: str | None = None


class RunStep(_Strict):
    run: str = Field(description="A file inside the lab folder, run by the service's driver "
                                 "(SQL for postgres, commands for redis, a script for linuxbox...).")
    service: str


class CopyStep(_Strict):
    copy_: str = Field(alias="copy", description="A file inside the lab folder.")
    to: str = Field(description="Where it goes, relative to the learner's workspace.")


class ConfigStep(_Strict):
    config: dict[str, str] = Field(min_length=1, description="Settings to give the instance, as a learner "
                                                            "would with `labctl config set NAME VALUE`.")


class AppSpec(_Strict):
    command: str = Field(min_length=1, description="The command that starts the app (run by /bin/sh).")
    dir: str = Field(".", description="Where it runs: a folder inside the lab folder (`.` is the lab folder). "
                                      "With `in: workspace`, a folder inside the learner's workspace.")
    in_: Literal["lab", "workspace"] = Field("lab", alias="in")
    url_setting: str = Field("app_url", alias="url-setting",
                             description="The setting holding the app's URL; the app gets its port as $PORT.")


class AppStep(_Strict):
    app: AppSpec = Field(description="Start (or replace) the instance's app, as a learner runs their own app.")


StepModel = SqlStep | RunStep | CopyStep | ConfigStep | AppStep

SETTING_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class GradeSqlStep(_Strict):
    sql: str = Field(description="A glob inside the submission (e.g. sql/*.sql): each file, in name order, is run "
                                 "on the service as the learner would run it.")
    service: str | None = None


class GradeRunStep(_Strict):
    run: str = Field(description="A glob inside the submission: each file, in name order, is run by the service's "
                                 "driver (commands for redis, a script for linuxbox...).")
    service: str


class GradingModel(_Strict):
    """How `labctl grade` applies a learner's submission to a fresh instance before checking it."""

    summary: str = Field(min_length=1, description="What a submission holds, for learners and course teams.")
    steps: list[GradeSqlStep | GradeRunStep] = []


class SettingModel(_Strict):
    """A value the learner gives the lab with `labctl config set NAME VALUE` (e.g. how to run their program)."""

    description: str = Field(min_length=1)
    kind: Literal["text", "command", "url", "seconds"] = Field("text", description="seconds: a wait the lab "
        "teaches (a lock's cool-down, a token's lifetime, a cache's TTL), a whole number of seconds, short by "
        "default so that checks can wait it out.")
    default: str | None = None
    example: str | None = None
    env: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]*$", description="The environment variable that carries "
                            "the value to the learner's app (launched, contained, and in `labctl env`).")


class CheckEntry(BaseModel):
    """A check: `type` names a registered check type; the other keys are its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str


class TaskModel(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    instructions: str
    hints: list[str] = Field(min_length=1)
    checks: list[CheckEntry] = Field(min_length=1)
    needs: list[str] = []
    solution: list[StepModel] = Field(min_length=1)
    weight: int = Field(1, ge=0, le=100)


class NearMissModel(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    task: str
    description: str = ""
    steps: list[StepModel] = Field(min_length=1)
    expect: str = Field(min_length=1, description="Text the failing check's message must contain.")


class VariantModel(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    task: str
    description: str = Field(min_length=1, description="What makes this answer different from the reference.")
    steps: list[StepModel] = Field(min_length=1)


SECRET_NAME_PATTERN = r"^(?!LABCTL_)[A-Z][A-Z0-9_]{1,63}$"


class LabSecretModel(_Strict):
    description: str = Field(min_length=1, description="What it is for, as `labctl env` and the docs say.")
    bytes_: int = Field(32, alias="bytes", ge=16, le=128,
                        description="Random bytes in it (written as URL-safe base64: about 4/3 as many characters).")


class BugSwitchModel(_Strict):
    task: str
    steps: list[StepModel] = Field(min_length=1, description="The task's solution with one mistake switched on: "
                                                              "{bug} in an app command or a setting is each bug's name.")
    bugs: list[str] = Field(min_length=1, description="The reference's bug switches for this task.")


class EquivalentMutantModel(_Strict):
    task: str
    mutant: str = Field(min_length=1, description="The mutant's id, as `labctl lab mutate` prints it.")
    reason: str = Field(min_length=10, description="Why this mutant is still a right answer.")


class PlumbingModel(_Strict):
    lines: list[str] = Field(min_length=1, description="Globs of whole lines (stripped), e.g. 'git config *', or "
                             "of whole SQL statements (spaces squeezed, any case): such a statement is only "
                             "ever dropped whole.")
    reason: str = Field(min_length=10, description="Why these lines are not the learner's work.")


class MutantsModel(_Strict):
    bug_switches: list[BugSwitchModel] = []
    equivalent: list[EquivalentMutantModel] = []
    plumbing: list[PlumbingModel] = Field(default_factory=list, description="Lines of the reference's step files "
                                          "that are set-up, not the answer: never mutated.")


class ProcessModel(_Strict):
    """A process of the learner's own app that labctl can run for them (launch mode)."""

    command: str = Field(description="The setting (kind: command) that holds how to start it, e.g. app.")
    url: str | None = Field(None, description="The setting (kind: url) that says where it listens; none for a "
                                              "process that serves nothing (a worker).")
    description: str = ""


class LabModel(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    stage: int = Field(ge=1, le=10)
    summary: str = Field(min_length=1)
    minutes: int = Field(ge=1, le=6000)
    services: dict[str, LabService] = {}
    seed: list[SqlStep | RunStep] = []
    settings: dict[str, SettingModel] = {}
    secrets: dict[str, LabSecretModel] = Field(default_factory=dict, description="Values labctl makes for each "
                                               "instance (JWT_SECRET, an OAuth client secret): kept over stop/start "
                                               "and reset, exported by `labctl env`, given to the learner's app, "
                                               "read by the checks.")
    processes: dict[str, ProcessModel] = Field(default_factory=dict, description="The processes of the learner's "
                                               "app that `labctl app` and the checks can run (launch mode), each "
                                               "from its own command setting, each in one or more copies.")
    grading: GradingModel | None = None
    workspace: str | None = None
    tasks: list[TaskModel] = Field(min_length=1)
    near_misses: list[NearMissModel] = []
    variants: list[VariantModel] = []
    mutants: MutantsModel = MutantsModel()

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict[str, LabService]) -> dict[str, LabService]:
        for name in value:
            if not ID_RE.match(name):
                raise ValueError(f"service name {name!r} must be lowercase letters, digits and dashes")
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_names(cls, value: dict[str, LabSecretModel]) -> dict[str, LabSecretModel]:
        for name in value:
            if not re.match(SECRET_NAME_PATTERN, name):
                raise ValueError(f"secret name {name!r} must be an environment variable name in capitals "
                                 "(JWT_SECRET), not starting with LABCTL_")
        return value

    @field_validator("processes")
    @classmethod
    def _process_names(cls, value: dict[str, ProcessModel]) -> dict[str, ProcessModel]:
        for name in value:
            if not ID_RE.match(name):
                raise ValueError(f"process name {name!r} must be lowercase letters, digits and dashes")
        return value

    @field_validator("settings")
    @classmethod
    def _setting_names(cls, value: dict[str, SettingModel]) -> dict[str, SettingModel]:
        for name in value:
            if not re.match(SETTING_PATTERN, name):
                raise ValueError(f"setting name {name!r} must be lowercase letters, digits and underscores")
        return value
