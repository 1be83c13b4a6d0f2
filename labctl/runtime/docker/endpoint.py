"""Find the engine: LABCTL_DOCKER_HOST, DOCKER_HOST, the current docker context, then the usual sockets.

Pure functions over an injectable environ and home folder; nothing is written back to os.environ.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Candidate:
    url: str
    how: str
    explicit: bool  # named by the user: if it does not answer, say so rather than try others


def _context_endpoint(environ: Mapping[str, str], home: Path) -> Candidate | None:
    config_dir = Path(environ.get("DOCKER_CONFIG") or home / ".docker")
    name = environ.get("DOCKER_CONTEXT")
    how = "DOCKER_CONTEXT"
    if not name:
        try:
            name = json.loads((config_dir / "config.json").read_text()).get("currentContext")
        except (OSError, ValueError, AttributeError):
            name = None
        how = f"the current docker context ({config_dir / 'config.json'})"
    if not name or name == "default":
        return None
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        host = json.loads(meta.read_text())["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Candidate(host, f"docker context {name!r} from {how}", True)


def _usual_sockets(environ: Mapping[str, str], home: Path, system: str) -> list[Candidate]:
    if system == "Windows":
        return [Candidate("npipe:////./pipe/docker_engine", "Docker Desktop's named pipe", False),
                Candidate("npipe:////./pipe/podman-machine-default", "Podman machine's named pipe", False)]
    runtime_dir = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid() if hasattr(os, 'getuid') else 0}"
    paths = [
        ("/var/run/docker.sock", "the standard Docker socket"),
        (str(home / ".docker/run/docker.sock"), "Docker Desktop's socket"),
        (str(home / ".docker/desktop/docker.sock"), "Docker Desktop's socket"),
        (str(home / ".orbstack/run/docker.sock"), "OrbStack's socket"),
        (str(home / ".colima/default/docker.sock"), "Colima's socket"),
        (str(home / ".colima/docker.sock"), "Colima's socket"),
        (str(home / ".rd/docker.sock"), "Rancher Desktop's socket"),
        (f"{runtime_dir}/docker.sock", "rootless Docker's socket"),
        (f"{runtime_dir}/podman/podman.sock", "Podman's rootless socket"),
        ("/run/podman/podman.sock", "Podman's socket"),
        (str(home / ".local/share/containers/podman/machine/podman.sock"), "Podman machine's socket"),
        (str(home / ".local/share/containers/podman/machine/qemu/podman.sock"), "Podman machine's socket"),
        (str(home / ".local/share/containers/podman/machine/applehv/podman.sock"), "Podman machine's socket"),
    ]
    return [Candidate(f"unix://{p}", how, False) for p, how in paths]


def candidates(environ: Mapping[str, str], home: Path | None = None, system: str | None = None) -> list[Candidate]:
    """Endpoints to try, in order. An explicit setting comes alone: it is used or reported, not skipped."""
    home = home or Path.home()
    system = system or platform.system()
    if environ.get("LABCTL_DOCKER_HOST"):
        return [Candidate(environ["LABCTL_DOCKER_HOST"], "LABCTL_DOCKER_HOST", True)]
    if environ.get("DOCKER_HOST"):
        return [Candidate(environ["DOCKER_HOST"], "DOCKER_HOST", True)]
    context = _context_endpoint(environ, home)
    if context:
        return [context]
    found = []
    for c in _usual_sockets(environ, home, system):
        if c.url.startswith("unix://") and not Path(c.url[len("unix://"):]).exists():
            continue
        found.append(c)
    if not found and system != "Windows":
        found.append(Candidate("unix:///var/run/docker.sock", "the standard Docker socket", False))
    return found


def what_to_do(system: str | None = None) -> str:
    """Platform-specific advice when no engine answers."""
    system = system or platform.system()
    if system == "Darwin":
        return ("Start Docker Desktop, OrbStack, or Colima (`colima start`), or Podman (`podman machine start`), "
                "then run `labctl doctor`.")
    if system == "Windows":
        return "Start Docker Desktop (or Podman Desktop), then run `labctl doctor`."
    return ("Start your engine (`sudo systemctl start docker`, or `systemctl --user start podman.socket` for Podman). "
            "With none installed, on Debian or Ubuntu as root run `scripts/ensure-engine` from labctl's checkout. "
            "If your user cannot reach /var/run/docker.sock, add it to the docker group or set LABCTL_DOCKER_HOST. "
            "Then run `labctl doctor`.")
