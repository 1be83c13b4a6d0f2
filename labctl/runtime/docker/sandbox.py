"""Sandboxes on a Docker engine: a submission's code in a container of its own (runtime/base.py SandboxSpec).

The container runs the runner image as its unprivileged user, with every capability dropped, no new
privileges, the limits given, no mount at all (the files arrive through the API into /work) and no engine
socket. An install command, when given, runs first on the engine's default network (it may download
dependencies); then the container leaves it for the instance's network, whose bridge masquerades nothing:
the lab's services answer by name, and nothing beyond the machine does.
"""
from __future__ import annotations

import io
import socket
import tarfile
import time
from typing import Mapping

from labctl.core import labels, naming
from labctl.core.errors import LabctlError
from labctl.runtime.base import INSTALL_CA_PATH, SandboxRun, SandboxSpec
from labctl.runtime.docker import ports as hostports
from labctl.runtime.docker.client import translated
from labctl.runtime.docker.forwards import start_forwards

MAX_OUTPUT = 1 << 20  # bytes of stdout and stderr kept per run
WORK = "/work"
APP_LOG = "/tmp/labctl-app.log"
APP_PID = "/tmp/labctl-app.pid"
APP_EXIT = "/tmp/labctl-app.exit"
KEEPALIVE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600; done"]
# Everything of the runner user but docker-init (PID 1), the keep-alive shell ($1) and this very shell: what a
# run left behind, daemons that setsid'd away included.
KILL_LEFTOVERS = ('for p in $(pgrep -u "$(id -u)"); do case "$p" in 1|"$1"|$$) ;; *) kill -9 "$p" 2>/dev/null;; '
                  'esac; done; true')
TERM_LEFTOVERS = KILL_LEFTOVERS.replace("kill -9", "kill -TERM")
# Whether anything but the keepalive (and this shell) still runs as the runner's user.
ANY_LEFT = 'for p in $(pgrep -u "$(id -u)"); do case "$p" in 1|"$1"|$$) ;; *) exit 0;; esac; done; exit 1'
ISOLATED = {"com.docker.network.bridge.enable_ip_masquerade": "false"}  # no route out of the machine


def sandbox_name(instance: str) -> str:
    return f"labctl-{instance}-sandbox"


class DockerSandbox:
    def __init__(self, client, container_id: str, host_port: int | None, install_output: str):
        self.client, self.id = client, container_id
        self.host_port, self.install_output = host_port, install_output
        self.keepalive = ""  # the pid of the shell that keeps the container up
        self.own_network: str | None = None  # a network made for this sandbox alone, removed with it
        self.helpers: list[str] = []  # loopback forwarders beside it (forwards.py), removed with it

    def _exec(self, argv: list[str], *, env: Mapping[str, str] | None = None, timeout: float = 60.0) -> tuple[int, str]:
        api = self.client.api
        with translated("running a command in the sandbox"):
            created = api.exec_create(self.id, argv, stdout=True, stderr=True, workdir=WORK, environment=dict(env or {}))
            output = api.exec_start(created["Id"])
            code = api.exec_inspect(created["Id"]).get("ExitCode")
        return int(code if code is not None else -1), output.decode(errors="replace")

    def run(self, command: str, *, stdin: bytes = b"", time_limit: float, env: Mapping[str, str] = {}) -> SandboxRun:
        from docker.utils.socket import frames_iter

        api = self.client.api
        argv = ["timeout", "-k", "1", f"{time_limit:g}", "sh", "-c", command]
        started = time.monotonic()
        with translated("running the submission's program in its sandbox"):
            created = api.exec_create(self.id, argv, stdin=True, stdout=True, stderr=True, workdir=WORK,
                                      environment=dict(env))
            stream = api.exec_start(created["Id"], socket=True)
            raw = getattr(stream, "_sock", stream)
            raw.settimeout(time_limit + 10)
            try:
                if stdin:
                    raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)
                out, err = io.BytesIO(), io.BytesIO()
                for kind, data in frames_iter(stream, tty=False):
                    target = out if kind == 1 else err
                    if target.tell() <= MAX_OUTPUT:
                        target.write(data)
            except (socket.timeout, OSError):
                pass
            finally:
                stream.close()
            code = api.exec_inspect(created["Id"]).get("ExitCode")
        seconds = time.monotonic() - started
        self._exec(["sh", "-c", KILL_LEFTOVERS, "sh", self.keepalive], timeout=10)  # nothing it started outlives it
        return SandboxRun(None if code in (124, 137) else code, out.getvalue(), err.getvalue(), seconds)

    def serve(self, command: str, *, env: Mapping[str, str] = {}) -> None:
        script = f'rm -f {APP_EXIT}; (sh -c "$0"; echo $? >{APP_EXIT}) >>{APP_LOG} 2>&1 & echo $! >{APP_PID}'
        code, output = self._exec(["sh", "-c", script, command], env=env, timeout=30)
        if code != 0:
            raise LabctlError(f"the app could not be started in its sandbox: {output.strip()[:300]}")

    def stop_serving(self, grace: float = 5.0) -> None:
        self._exec(["sh", "-c", TERM_LEFTOVERS, "sh", self.keepalive], timeout=10)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            code, _ = self._exec(["sh", "-c", ANY_LEFT, "sh", self.keepalive], timeout=10)
            if code != 0:
                return
            time.sleep(0.1)
        self._exec(["sh", "-c", KILL_LEFTOVERS, "sh", self.keepalive], timeout=10)

    def serving(self) -> bool:
        code, _ = self._exec(["sh", "-c", f'kill -0 "$(cat {APP_PID})" 2>/dev/null'], timeout=10)
        return code == 0

    def served_exit_code(self) -> int | None:
        code, output = self._exec(["sh", "-c", f"cat {APP_EXIT} 2>/dev/null"], timeout=10)
        return int(output.strip()) if code == 0 and output.strip().isdigit() else None

    def listening(self, port: int) -> bool:
        # The kernel's socket tables: a socket in state 0A (LISTEN) on the port, IPv4 or IPv6.
        script = f"cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -qiE ':{port:04X} [0-9A-F:]+ 0A '"
        code, _ = self._exec(["sh", "-c", script], timeout=10)
        return code == 0

    def logs(self, tail: int = 20) -> list[str]:
        _, output = self._exec(["sh", "-c", f"tail -n {int(tail)} {APP_LOG} 2>/dev/null"], timeout=10)
        return output.splitlines()

    def close(self) -> None:
        import docker.errors

        for helper in self.helpers:
            try:
                self.client.api.remove_container(helper, force=True)
            except docker.errors.NotFound:
                pass
        try:
            self.client.api.remove_container(self.id, force=True)
        except docker.errors.NotFound:
            pass
        if self.own_network:
            try:
                self.client.api.remove_network(self.own_network)
            except docker.errors.NotFound:
                pass


def open_sandbox(runtime, spec: SandboxSpec) -> DockerSandbox:
    """Create, fill and (if asked) install the sandbox; see the module's docstring. Raises LabctlError."""
    if spec.publish and not spec.network:
        raise LabctlError("a sandbox that publishes a port needs a network")
    client = runtime.client
    api = client.api
    name = sandbox_name(spec.instance)
    network, made = _ensure_isolated_network(runtime, spec) if spec.network else (None, False)
    sandbox_labels = {**labels.base(spec.instance, spec.lab), labels.OWNER: runtime.owner, labels.SERVICE: "sandbox",
                      labels.EPHEMERAL: "true"}
    if spec.holder:
        sandbox_labels[labels.HOLDER] = spec.holder
    first_network = "bridge" if spec.install else (network or "none")
    with translated(f"creating the sandbox {name}"):
        host_config = api.create_host_config(
            network_mode=first_network,
            # A port chosen here, as for services: an empty host port is not published by every engine.
            port_bindings={f"{spec.publish}/tcp": (hostports.LOOPBACK,
                                                   spec.publish if spec.same_port else hostports.any_free(set()))}
            if spec.publish and first_network != "none" else None,
            mem_limit=spec.limits.memory_bytes, memswap_limit=spec.limits.memory_bytes,
            nano_cpus=int(spec.limits.cpus * 1e9), pids_limit=spec.limits.pids,
            cap_drop=["ALL"], security_opt=["no-new-privileges"], privileged=False, init=True,
        )
        created = api.create_container(
            spec.image, command=KEEPALIVE, name=name,
            hostname="sandbox", labels=sandbox_labels, environment=dict(spec.env), working_dir=WORK,
            ports=[spec.publish] if spec.publish else None, host_config=host_config,
        )
    box = DockerSandbox(client, created["Id"], None, "")
    box.own_network = network if made else None
    try:
        with translated(f"starting the sandbox {name}"):
            api.start(created["Id"])
            if not api.put_archive(created["Id"], WORK, spec.files):
                raise LabctlError("the submission's files could not be copied into its sandbox")
        _, found = box._exec(["pgrep", "-o", "-P", "1"], timeout=10)
        box.keepalive = found.strip()
        if spec.install:
            if spec.install_ca:
                with translated("handing the host's certificate authorities to the install"):
                    if not api.put_archive(created["Id"], "/", _one_file(INSTALL_CA_PATH, spec.install_ca)):
                        raise LabctlError("the certificate authorities could not be copied into the sandbox")
            code, output = box._exec(["timeout", "-k", "5", f"{spec.install_timeout:g}", "sh", "-c", spec.install],
                                     env={**spec.env, **spec.install_env}, timeout=spec.install_timeout + 10)
            box.install_output = output
            if code != 0:
                tail = "\n".join(output.strip().splitlines()[-15:])
                why = "ran out of time" if code == 124 else f"exited with code {code}"
                raise LabctlError(f"the install command `{spec.install}` {why}", f"Its last output:\n{tail}")
            with translated("moving the sandbox to the lab's network"):
                api.disconnect_container_from_network(created["Id"], "bridge")
                if network:
                    api.connect_container_to_network(created["Id"], network, aliases=["app"])
        box.host_port = _published_port(api, created["Id"], spec.publish)
        if spec.forwards:
            start_forwards(box, spec, sandbox_labels)
        return box
    except BaseException:
        box.close()
        raise


def _one_file(path: str, data: bytes) -> bytes:
    """A tar of one readable file at path (relative to /)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo(path.lstrip("/"))
        member.size, member.mode = len(data), 0o644
        archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _published_port(api, container_id: str, port: int | None) -> int | None:
    if not port:
        return None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # a port is published again, on a new host port, after a network change
        found = (api.inspect_container(container_id)["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp")
        if found:
            return int(found[0]["HostPort"])
        time.sleep(0.05)
    raise LabctlError(f"the sandbox's port {port} was not published", "Try again; `labctl doctor` checks the engine.")


def _ensure_isolated_network(runtime, spec: SandboxSpec) -> tuple[str, bool]:
    """The instance's network: the lab's own when it has services, else one made for the sandbox, from which
    nothing beyond this machine can be reached (no masquerading). (its name, whether it was made now)"""
    name = naming.network(spec.instance)
    api = runtime.client.api
    with translated(f"preparing the network {name}"):
        found = [n for n in api.networks(names=[name]) if n["Name"] == name]
        if found:
            runtime._assert_ours(found[0], "network", name)
            return name, False
        api.create_network(name, driver="bridge", check_duplicate=True, options=ISOLATED,
                           labels={**labels.base(spec.instance, spec.lab), labels.OWNER: runtime.owner,
                                   labels.EPHEMERAL: "true", **({labels.HOLDER: spec.holder} if spec.holder else {})})
    return name, True
