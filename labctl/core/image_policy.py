"""Which image a service runs from, whatever the backend: the official image when present or pullable,
else the local build (LABCTL_IMAGE_SOURCE); and the local build's context: exactly the files a build
sends, their digest (the image's tag) and the archive the engine builds from."""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from labctl.core import events
from labctl.core.errors import ImageUnavailableError, LabctlError
from labctl.core.events import Emit, Event
from labctl.core.model import ServiceSpec

if TYPE_CHECKING:
    from labctl.runtime.base import ImageStore

LOCAL_REPOSITORY = "labctl-local"
# Never part of a build, whatever .dockerignore says: what Python, editors and file managers leave behind
# (pip writes __pycache__ into an installed context, so each install would otherwise get its own tag).
ALWAYS_IGNORED = ("**/__pycache__", "**/*.pyc", "**/*.pyo", "**/*~", "**/.*.swp", "**/.*.swo", "**/.DS_Store",
                  "**/.git", ".dockerignore")


def _pattern(text: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match plus **) as a regex over a relative path."""
    text = text.strip().lstrip("/").rstrip("/")
    out, i = "", 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(out + r"(?:/.*)?\Z")  # a folder's pattern covers what is inside it


@lru_cache(maxsize=64)
def _ignore_rules(context: Path, mtime: float) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    rules = [(False, _pattern(p)) for p in ALWAYS_IGNORED]
    ignore_file = context / ".dockerignore"
    if ignore_file.is_file():
        for line in ignore_file.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                keep = line.startswith("!")
                rules.append((keep, _pattern(line[1:] if keep else line)))
    return tuple(rules)


def context_files(context: Path) -> list[str]:
    """The files a build of `context` uses, as sorted relative paths: .dockerignore honoured, byte-code and
    editor files left out. Raises LabctlError for a symlink (it could point anywhere)."""
    ignore_file = context / ".dockerignore"
    rules = _ignore_rules(context, ignore_file.stat().st_mtime if ignore_file.is_file() else 0.0)
    files = []
    for path in context.rglob("*"):
        relative = path.relative_to(context).as_posix()
        ignored = False
        for keep, pattern in rules:  # the last pattern that matches decides, as in Docker
            if pattern.match(relative):
                ignored = not keep
        if ignored:
            continue
        if path.is_symlink():
            raise LabctlError(f"the build context {context} holds a symlink ({relative}); labctl builds only files",
                              "Copy the file into the context instead.")
        if path.is_file():
            files.append(relative)
    return sorted(files)


def context_hash(context: Path, dockerfile: str | None = None) -> str:
    """A digest of what the build uses (names and contents), so any change to it means a new local image,
    and nothing else (an install's __pycache__, an editor's backup) does."""
    digest = hashlib.sha256((dockerfile or "Dockerfile").encode())
    for relative in context_files(context):
        digest.update(relative.encode() + b"\0")
        digest.update((context / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def context_archive(context: Path, replacements: dict[str, bytes] | None = None) -> bytes:
    """The build context as the tar an engine builds from: exactly context_files(), every file mode 0644 and
    owned by root, no times, so every install sends the same bytes (a Dockerfile chmods what it runs).

    `replacements` gives other contents for files the context holds (the host's certificates for the
    placeholder core/build_trust.py names); a name the context does not hold is not added."""
    replacements = replacements or {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        files = context_files(context)
        for folder in sorted({str(parent) for f in files for parent in Path(f).parents if str(parent) != "."}):
            member = tarfile.TarInfo(folder)
            member.type, member.mode, member.mtime = tarfile.DIRTYPE, 0o755, 0
            archive.addfile(member)
        for relative in files:
            data = replacements.get(relative)
            if data is None:
                data = (context / relative).read_bytes()
            member = tarfile.TarInfo(relative)
            member.size, member.mode, member.mtime = len(data), 0o644, 0
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def local_tag(service: ServiceSpec) -> str | None:
    """labctl-local/<catalog>:<digest of the build context>, or None for a service without a local build."""
    if service.build_context is None:
        return None
    return f"{LOCAL_REPOSITORY}/{service.catalog}:{context_hash(service.build_context, service.dockerfile)[:12]}"


def substitute_note(service: ServiceSpec, ref: str) -> Event | None:
    """The warning that `service` runs from `ref`, a local build that is other software than its official
    image (the service's local-build-note), or None. Said at every start of such a container."""
    if not service.local_build_note or ref == service.image:
        return None
    return Event(events.WARNING, f"{service.name}: {service.local_build_note}", service.name, {"image": ref})


def resolve(store: "ImageStore", service: ServiceSpec, source: str, emit: Emit) -> str:
    """The image reference to run `service` from, pulling or building it when needed.

    source is LABCTL_IMAGE_SOURCE: auto (official if present or pullable, else the local build),
    pull (official only) or build (local build only). Raises ImageUnavailableError saying what to do,
    or LabctlError when a build fails.
    """
    policy = service.image_policy
    if policy == "build-only" or (source == "build" and policy != "pull-only"):
        return store.build(service, emit)
    assert service.image is not None
    if store.inspect(service.image) is not None:
        return service.image
    can_build = policy != "pull-only" and service.build_context is not None
    # A local build that is other software (a local-build-note) is the last resort: the official image is
    # tried first even when the build is here, so that it is used as soon as a registry can be reached.
    if source == "auto" and can_build and not service.local_build_note:
        tag = store.local_tag(service)
        if tag and store.inspect(tag) is not None:
            return tag
    reason = store.pull(service.image, service.name, emit)
    if reason is None:
        return service.image
    if source == "pull" or not can_build:
        if can_build:
            hint = "Set LABCTL_IMAGE_SOURCE=auto to build it locally instead."
        else:
            hint = ((service.offline_hint + " ") if service.offline_hint else "labctl has no local build of it. ") + \
                "Make a registry reachable, or load a workshop bundle: `labctl images load FILE`."
        raise ImageUnavailableError(f"cannot pull {service.image} for {service.name}: {reason}", hint)
    if not store.can_build:
        raise ImageUnavailableError(f"cannot pull {service.image} for {service.name}: {reason}",
                                    "This backend cannot build images: build it where one can, then push it "
                                    "(`labctl images push REGISTRY`) or load a workshop bundle.")
    tag = store.local_tag(service)
    if tag and store.inspect(tag) is not None:
        return tag
    emit(Event(events.IMAGE_PULL_FAILED,
               f"{service.image} can't be pulled ({reason}); building the equivalent from compose/images/{service.catalog}",
               service.name))
    return store.build(service, emit)
