"""The Linux box from the host: per-instance SSH keys, readiness over SSH, and lab scripts run as root.

How learners manage services in the box (there is no systemd: the container is unprivileged): labctl's
own service manager (compose/images/linuxbox/svcd.py and its modules) runs under tini and answers
`systemctl`, `journalctl` and `service` as systemd does for what labs teach; the verbs, the unit options it
honours, those it accepts without effect and those it refuses are in docs/box-services.md.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError
from labctl.core.model import Step
from labctl.services.base import ServiceDriver, SshLogin

USER = "learner"
SEEDED_MARKER = "/var/lib/labctl/seeded"
KEY_NAME = "id_ed25519"
HOST_KEY_NAME = "ssh_host_ed25519_key"
SSH_PORT = 22
# reset: everything in the learner's home goes but .ssh (labctl's key, for this very login); /etc/skel comes back.
EMPTY_HOME = f"""set -e
cd /
find /home/{USER} -mindepth 1 -maxdepth 1 ! -name .ssh -exec rm -rf {{}} +
cp -a /etc/skel/. /home/{USER}/
chown -R {USER}:{USER} /home/{USER}
"""


def key_dir(home: Path, instance: str) -> Path:
    return Path(home) / "keys" / instance


def ensure_keys(folder: Path, instance: str) -> tuple[str, str]:
    """Create (once) the login key pair and the box's host key in folder. Returns (login public key, host private key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    for name in (KEY_NAME, HOST_KEY_NAME):
        private, public = folder / name, folder / f"{name}.pub"
        if private.is_file() and public.is_file():
            continue
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
        # Created with mode 600 from the start: ssh refuses private keys others can read.
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.chmod(private, 0o600)
        openssh = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        public.write_text(f"{openssh.decode()} labctl-{instance}\n")
    return (folder / f"{KEY_NAME}.pub").read_text().strip(), (folder / HOST_KEY_NAME).read_text()


def key_candidates(access: ServiceAccess) -> list[Path]:
    """The instance's own private key under LABCTL_HOME/keys/<instance>/, if it is there."""
    if not access.instance or access.home is None:
        return []
    key = key_dir(Path(access.home), access.instance) / KEY_NAME
    return [key] if key.is_file() else []


def _load_key(path: Path):
    import paramiko

    return paramiko.Ed25519Key.from_private_key_file(str(path))


def banner(host: str, port: int, timeout: float = 3.0) -> str:
    """The server's SSH identification line. Raises OSError or ValueError while there is none."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        data = b""
        while b"\n" not in data and len(data) < 1024:
            chunk = sock.recv(256)
            if not chunk:
                break
            data += chunk
    line = data.split(b"\n", 1)[0].decode(errors="replace").strip()
    if not line.startswith("SSH-"):
        raise ValueError(f"no SSH banner on {host}:{port} (got {line[:60]!r})")
    return line


def connect(access: ServiceAccess, *, user: str = USER, keys: list[Path] | None = None, timeout: float = 5.0):
    """An authenticated paramiko SSHClient. Raises paramiko/socket errors (the caller translates them)."""
    import paramiko

    paths = keys if keys is not None else key_candidates(access)
    if not paths:
        raise paramiko.AuthenticationException("no labctl key found for this box")
    client = paramiko.SSHClient()
    # The box is on 127.0.0.1 and made by labctl; `labctl ssh` pins its host key for the learner.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    last: Exception | None = None
    for path in paths:
        try:
            client.connect(access.host, port=access.port, username=user, pkey=_load_key(path), timeout=timeout,
                           banner_timeout=timeout, auth_timeout=timeout, allow_agent=False, look_for_keys=False)
            return client
        except paramiko.AuthenticationException as exc:
            last = exc
            client.close()
    assert last is not None
    raise last


def run_script(access: ServiceAccess, script: bytes, *, timeout: float = 300.0) -> tuple[int, str]:
    """Run a shell script as root in the box (`sudo bash -s` as learner, script on stdin). Returns (exit code, output).

    The script sees the box's published ports as LABCTL_PORT_<container port>=<host port> (LABCTL_PORT_443=8443):
    what a learner reads in `labctl env` and writes into a config (a redirect to the published HTTPS port)."""
    ports = " ".join(f"LABCTL_PORT_{inside}={outside}" for inside, outside in sorted(access.ports.items()))
    return run_remote(access, f"sudo -n env {ports} bash -s" if ports else "sudo -n bash -s", script, timeout=timeout)


def run_remote(access: ServiceAccess, command: str, stdin: bytes | None = None, *,
               timeout: float = 300.0) -> tuple[int, str]:
    """Run a command line as learner over SSH, as `labctl ssh -- COMMAND` does. Returns (exit code, output);
    raises LabctlError when the box cannot be reached or the command outlives the timeout."""
    import paramiko

    try:
        client = connect(access, timeout=10)
    except (paramiko.SSHException, OSError) as exc:
        raise LabctlError(f"cannot log in to {access.name} over SSH: {exc}",
                          "Check that the box runs (`labctl status`), then try again.") from exc
    try:
        channel = client.get_transport().open_session(timeout=10)
        channel.settimeout(timeout)
        channel.set_combine_stderr(True)
        channel.exec_command(command)
        if stdin:
            channel.sendall(stdin)
        channel.shutdown_write()
        chunks = []
        while True:
            data = channel.recv(65536)
            if not data:
                break
            chunks.append(data)
        return channel.recv_exit_status(), b"".join(chunks).decode(errors="replace")
    except (socket.timeout, TimeoutError) as exc:
        raise LabctlError(f"a command on {access.name} ran for more than {timeout:.0f}s", "It may be waiting for input.") from exc
    except (paramiko.SSHException, OSError) as exc:
        raise LabctlError(f"lost the SSH connection to {access.name}: {exc}") from exc
    finally:
        client.close()


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.rstrip().splitlines()[-lines:])


class LinuxboxDriver(ServiceDriver):
    kind = "linuxbox"
    title = "The Linux box"
    run_file = "a shell script (run as root)"

    def prepare(self, instance: str, service, home) -> dict[str, str]:
        folder = key_dir(Path(home), instance)
        public, host_key = ensure_keys(folder, instance)
        return {"LABCTL_SSH_PUBLIC_KEY": public, "LABCTL_SSH_HOST_KEY": host_key}

    def probe(self, access: ServiceAccess) -> None:
        banner(access.host, access.port)
        client = connect(access, timeout=3)
        client.close()

    def apply(self, access: ServiceAccess, step: Step) -> None:
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        try:
            script = step.source.read_bytes()
        except OSError as exc:
            raise LabctlError(f"cannot read {step.source}: {exc.strerror}") from exc
        code, output = run_script(access, script)
        if code != 0:
            raise LabctlError(f"{step.source.name} failed in {access.name} with exit code {code}:\n{_tail(output)}",
                              "If this is a lab's own script, this is a bug in the lab; tell its author.")

    def is_seeded(self, access: ServiceAccess) -> bool:
        code, _ = run_script(access, f"test -e {SEEDED_MARKER}\n".encode(), timeout=30)
        return code == 0

    # holds_data: the base's False. Seeding the box runs the lab's seed scripts, which keep the learner's files
    # (they must be idempotent, as reset runs them again): there is nothing to lose by running them twice.

    def snapshot(self, access: ServiceAccess) -> None:
        # The box keeps no pristine copy: the marker only says the seed scripts have run.
        code, output = run_script(access, f"mkdir -p {os.path.dirname(SEEDED_MARKER)} && touch {SEEDED_MARKER}\n".encode(),
                                  timeout=30)
        if code != 0:
            raise LabctlError(f"cannot mark {access.name} as seeded: {_tail(output, 3)}")

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        """The learner's home as a new box has it (/etc/skel; labctl's SSH key stays), then the seed scripts again.
        The rest of the file system is the current image's already: reset makes the container afresh
        (keep-filesystem)."""
        code, output = run_script(access, EMPTY_HOME.encode(), timeout=120)
        if code != 0:
            raise LabctlError(f"cannot put {access.name}'s /home/{USER} back: {_tail(output, 3)}")
        self.seed(access, list(seed or []))

    def login_run(self, access: ServiceAccess, command: str, *, timeout: float = 60.0) -> tuple[int, str]:
        return run_remote(access, command, timeout=timeout)

    def ssh_login(self, home: Path, instance: str) -> SshLogin:
        folder = key_dir(home, instance)
        return SshLogin(USER, SSH_PORT, folder / KEY_NAME, folder / f"{HOST_KEY_NAME}.pub", folder / "known_hosts")

