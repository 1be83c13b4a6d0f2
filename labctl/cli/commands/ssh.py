"""labctl ssh: log in to the lab's Linux box with the system's ssh client and the instance's key."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import click

from labctl.cli.app import App
from labctl.cli.options import name_option
from labctl.runtime.base import ServiceState
from labctl.services import SshLogin


def ssh_argv(client: str, login: SshLogin, host: str, port: int, command: tuple[str, ...]) -> list[str]:
    """The ssh command line: the instance's key only, its host key pinned in the instance's known_hosts."""
    return [client, "-i", str(login.key_file), "-p", str(port),
            "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={login.known_hosts}",
            f"{login.user}@{host}", *command]


def pin_host_key(login: SshLogin, host: str, port: int) -> None:
    """Write known_hosts with the box's own host key (labctl made it), so ssh never asks and never
    trusts an impostor; rewritten each time because the port may change between starts."""
    if not login.host_public_key.is_file():
        return  # a box from before host keys were pinned: accept-new learns it
    algorithm, key = login.host_public_key.read_text().split()[:2]
    where = host if port == 22 else f"[{host}]:{port}"  # ssh's own spelling, or it would not match
    login.known_hosts.write_text(f"{where} {algorithm} {key}\n")


class _SshCommand(click.Command):
    """Everything after `--` is the remote command, even when SERVICE is left out (`labctl ssh -- ls`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta["labctl.ssh.command"] = tuple(args[cut + 1:])
            args = args[:cut]
        return super().parse_args(ctx, args)


@click.command(cls=_SshCommand, context_settings={"ignore_unknown_options": True})
@click.argument("service", required=False)
@name_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def ssh(app: App, service: str | None, name: str | None, command: tuple[str, ...]) -> None:
    """Log in to SERVICE (default: the lab's Linux box) over SSH, or run a command there: `labctl ssh -- ls -la`."""
    view = app.manager.view(app.manager.resolve_instance(name))

    def login_of(sv) -> SshLogin | None:
        return app.manager.drivers.get(sv.spec.kind).ssh_login(app.settings.home, view.instance) if sv.spec else None

    boxes = [sv for sv in view.services if login_of(sv) is not None]
    if service:
        chosen = [sv for sv in view.services if sv.status.service == service]
        if not chosen:
            app.abort(f"{view.instance} has no service {service!r}",
                      hint=f"Its services: {', '.join(sv.status.service for sv in view.services)}.")
        if login_of(chosen[0]) is None:
            app.abort(f"{service} is not a Linux box, so it has no SSH login", hint="Try `labctl shell` instead.")
        boxes = chosen
    if not boxes:
        app.abort(f"the lab {view.lab.id} has no Linux box to log in to", hint="Use `labctl shell` to open a service's shell.")
    if len(boxes) > 1 and not service:
        app.abort(f"the lab has several Linux boxes ({', '.join(b.status.service for b in boxes)}); say which",
                  hint=f"e.g. `labctl ssh {boxes[0].status.service}`.")
    box = boxes[0]
    if box.status.state is not ServiceState.RUNNING:
        app.abort(f"{box.status.service} is not running", hint=f"Start it: `labctl start {view.lab.id}`.")
    login = login_of(box)
    assert login is not None
    port = box.status.ports.get(login.port)
    if port is None:
        app.abort(f"{box.status.service} publishes no SSH port", hint="Run `labctl status` to see its ports.")
    if not login.key_file.is_file():
        app.abort(f"the SSH key of {view.instance} is missing ({login.key_file})",
                  hint=f"`labctl start {view.lab.id}` makes a new one and installs it in the box.")
    client = shutil.which("ssh")
    if client is None:
        app.abort("cannot log in: no ssh client is installed",
                  hint="Install OpenSSH (e.g. `sudo apt install openssh-client`), or use `labctl shell`.")
    command = click.get_current_context().meta.get("labctl.ssh.command", ()) or command
    pin_host_key(login, box.status.host, port)
    argv = ssh_argv(client, login, box.status.host, port, command)
    if not sys.stdin.isatty() or command:
        # Scripts and one-off commands: keep our process to pass the exit code on.
        raise click.exceptions.Exit(subprocess.call(argv))
    os.execvp(argv[0], argv)
