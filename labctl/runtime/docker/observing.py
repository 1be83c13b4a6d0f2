"""A service seen from outside (Runtime.observe, read_path, restart): what the learner, root inside the Linux
box, cannot change by replacing a command there.

observe() runs a command in an observer: a short-lived container from the image the service was made from
(the recipe's image, never the kept copy of the learner's file system), sharing the service's process and
network namespaces, so `ps`, `ss` and `kill` act on the service's processes and sockets with binaries nothing
inside could touch. It has no capabilities but KILL, SYS_PTRACE and DAC_READ_SEARCH (to name the process behind
a socket, and end it), no new privileges, small limits, the service's labels, and is removed after each command.

read_path() reads a path through the engine's archive API: the first tar header gives its kind, mode and
owner; a regular file's bytes come with it when small enough.
"""
from __future__ import annotations

import stat
import tarfile
import uuid

from labctl.core import labels
from labctl.core.errors import LabctlError
from labctl.runtime.base import ExecResult, PathFacts
from labctl.runtime.docker.client import translated

MEMORY = 64 * 1024 * 1024
# A container's labels an observer carries over, so that it is found, owned and swept like the service.
CARRIED = (labels.MANAGED, labels.INSTANCE, labels.LAB, labels.OWNER, labels.EPHEMERAL, labels.HOLDER)


def observe(api, container: dict, service: str, argv: list[str], timeout: float) -> ExecResult:
    """Run argv in an observer beside the (running) container; exit code 124 when the timeout stopped it."""
    config = container.get("Config") or {}
    container_labels = config.get("Labels") or {}
    image = container_labels.get(labels.KEPT_FROM) or config.get("Image", "")
    observer_labels = {k: container_labels[k] for k in CARRIED if k in container_labels}
    observer_labels[labels.SERVICE] = f"{service}-observer"
    name = f"{container['Name'].lstrip('/')}-observer-{uuid.uuid4().hex[:8]}"
    host_config = api.create_host_config(
        network_mode=f"container:{container['Id']}", pid_mode=f"container:{container['Id']}",
        mem_limit=MEMORY, memswap_limit=MEMORY, nano_cpus=int(0.5 * 1e9), pids_limit=32,
        cap_drop=["ALL"], cap_add=["KILL", "SYS_PTRACE", "DAC_READ_SEARCH"], security_opt=["no-new-privileges"],
        privileged=False, read_only=True)
    with translated(f"looking at {service} from outside"):
        created = api.create_container(
            image, entrypoint=["timeout", "-k", "1", f"{timeout:g}"], command=list(argv), name=name, user="0:0",
            host_config=host_config, labels=observer_labels, network_disabled=False)
    try:
        with translated(f"looking at {service} from outside"):
            api.start(created["Id"])
            done = api.wait(created["Id"], timeout=timeout + 15)
            output = api.logs(created["Id"], stdout=True, stderr=True).decode(errors="replace")
        return ExecResult(int(done.get("StatusCode", -1)), output)
    finally:
        try:
            api.remove_container(created["Id"], force=True)
        except Exception:  # already gone; the instance's removal takes any leftover by its labels
            pass


def read_path(api, container_id: str, path: str, max_bytes: int) -> PathFacts | None:
    """The path's facts from the first member of the engine's archive of it; None when it does not exist.

    Only as much of the archive is read as the first member needs, then the connection is closed: a folder's
    archive is its whole tree."""
    import docker.errors

    # docker-py's get_archive streams through a generator that cannot be closed early; the same request here.
    response = api._get(api._url("/containers/{0}/archive", container_id), params={"path": path}, stream=True)
    try:
        try:
            api._raise_for_status(response)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            raise LabctlError(f"cannot read {path} through the container engine: {exc.explanation or exc}") from exc
        response.raw.decode_content = True  # the engine may gzip it
        try:
            with tarfile.open(fileobj=response.raw, mode="r|") as archive:
                member = archive.next()
                if member is None:
                    return None
                content = None
                if member.isfile() and 0 < max_bytes and member.size <= max_bytes:
                    extracted = archive.extractfile(member)
                    content = extracted.read() if extracted is not None else b""
        except (tarfile.TarError, OSError) as exc:
            raise LabctlError(f"cannot read {path} through the container engine: {exc}") from exc
    finally:
        response.close()
    kind = ("file" if member.isfile() else "directory" if member.isdir() else
            "symlink" if member.issym() else "other")
    return PathFacts(kind=kind, mode=stat.S_IMODE(member.mode), uid=member.uid, gid=member.gid,
                     size=member.size if member.isfile() else 0, target=member.linkname if member.issym() else "",
                     content=content)
