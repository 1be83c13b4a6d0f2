"""Loopback forwarders beside a sandbox (runtime/base.py LoopbackForward): a container from a service's own
image, in the sandbox's network namespace (network_mode container:<sandbox>), listening on 127.0.0.1:<the
service's published port> there and forwarding to the service by name. So a URL a service gives the host
(an OpenID issuer, http://127.0.0.1:PORT) is the same string inside the sandbox, and works.

Labelled and limited like the sandbox (no capabilities, no new privileges, small limits), removed with it.
"""
from __future__ import annotations

import time
from typing import Mapping

from labctl.core import labels
from labctl.core.errors import LabctlError
from labctl.runtime.base import SandboxSpec
from labctl.runtime.docker.client import translated

MEMORY = 64 * 1024 * 1024
READY_SECONDS = 15.0


def start_forwards(box, spec: SandboxSpec, sandbox_labels: Mapping[str, str]) -> None:
    """Start every forwarder of spec beside the sandbox `box` and wait until each listens. Raises LabctlError."""
    api = box.client.api
    for number, forward in enumerate(spec.forwards):
        name = f"labctl-{spec.instance}-sandbox-forward-{number}"
        with translated(f"starting the forwarder {name}"):
            host_config = api.create_host_config(
                network_mode=f"container:{box.id}", mem_limit=MEMORY, memswap_limit=MEMORY,
                nano_cpus=int(0.25 * 1e9), pids_limit=64, cap_drop=["ALL"], security_opt=["no-new-privileges"],
                privileged=False, init=True)
            created = api.create_container(
                forward.image, command=list(forward.command), name=name, host_config=host_config,
                labels={**sandbox_labels, labels.SERVICE: "sandbox-forward"},
                environment={"LISTEN_PORT": str(forward.listen_port), "TARGET_HOST": forward.target_host,
                             "TARGET_PORT": str(forward.target_port)})
            box.helpers.append(created["Id"])
            api.start(created["Id"])
        deadline = time.monotonic() + READY_SECONDS
        while not box.listening(forward.listen_port):
            state = api.inspect_container(created["Id"])["State"]
            if not state.get("Running") or time.monotonic() > deadline:
                tail = api.logs(created["Id"], tail=10).decode(errors="replace").strip()
                raise LabctlError(f"the forwarder to {forward.target_host} did not start beside the sandbox",
                                  f"Its last output:\n{tail}" if tail else "It printed nothing.")
            time.sleep(0.1)
