"""labctl shell: the service's own client (psql for PostgreSQL), inside its container."""
from __future__ import annotations

import os
import subprocess
import sys

import click

from labctl.cli.app import App
from labctl.cli.options import name_option
from labctl.core.views import render
from labctl.runtime.base import Capability, ServiceState


@click.command()
@click.argument("service", required=False)
@name_option
@click.pass_obj
def shell(app: App, service: str | None, name: str | None) -> None:
    """Open SERVICE's shell (default: the lab's first service that has one)."""
    view = app.manager.view(app.manager.resolve_instance(name))
    candidates = [sv for sv in view.services if sv.spec is not None and sv.spec.shell]
    if service:
        candidates = [sv for sv in view.services if sv.status.service == service]
        if not candidates:
            app.abort(f"{view.instance} has no service {service!r}",
                      hint=f"Its services: {', '.join(sv.status.service for sv in view.services)}.")
    if not candidates or not candidates[0].spec or not candidates[0].spec.shell:
        app.abort("this service has no shell", hint="Use `labctl env` to connect with your own client.")
    chosen = candidates[0]
    if chosen.status.state is not ServiceState.RUNNING:
        app.abort(f"{chosen.status.service} is not running", hint=f"Start it: `labctl start {view.lab.id}`.")
    argv = [render(a, chosen.spec, chosen.status, app.settings.home) for a in chosen.spec.shell]
    tty = sys.stdin.isatty()
    command = None
    if Capability.INTERACTIVE in app.runtime.capabilities:
        command = app.runtime.interactive_command(view.instance, chosen.status.service, argv, tty=tty)
    if command is None:
        command = app.manager.drivers.get(chosen.spec.kind).host_client(chosen.urls)
    if command is None:
        app.abort(f"cannot open an interactive shell: the {app.runtime.name} backend has no client for it here "
                  "(for Docker, the docker command is not installed)",
                  hint="Install the docker CLI, or connect with your own client using `labctl env`.")
    if not tty:
        # No terminal (scripts, CI): keep our process, pass stdin through and the exit code on.
        raise click.exceptions.Exit(subprocess.call(command))
    os.execvp(command[0], command)
