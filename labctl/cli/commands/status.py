"""labctl status: each service's state and how to reach it."""
from __future__ import annotations

import click

from labctl.cli import ui
from labctl.cli.app import App
from labctl.cli.options import json_option, name_option, pick_instance
from labctl.core.exit_codes import ExitCode


def view_json(view) -> dict:
    return {
        "instance": view.instance,
        "lab": view.lab.id,
        "ready": view.ready,
        "workspace": str(view.workspace) if view.workspace else None,
        "settings": dict(view.settings),
        "services": [
            {
                "service": sv.status.service,
                "state": sv.status.state.value,
                "detail": sv.status.detail,
                "container": sv.status.container,
                "image": sv.status.image,
                "newer_image": sv.newer_image(),
                "ports": {str(c): h for c, h in sv.status.ports.items()},
                "urls": dict(sv.urls),
            }
            for sv in view.services
        ],
    }


@click.command()
@click.argument("instance", required=False)
@name_option
@json_option
@click.pass_obj
def status(app: App, instance: str | None, name: str | None, as_json: bool) -> None:
    """Show the state of a lab's services (exit 5 when one is not running)."""
    chosen = pick_instance(app, instance, name)
    view = app.manager.view(chosen)
    if as_json:
        data = view_json(view)
        if view.lab.processes:
            data["app"] = [{"process": r.process, "copy": r.copy, "pid": r.pid, "url": r.url, "started_by": r.by}
                           for r in app.manager.launcher(view).running()]
        app.print_json(data)
    else:
        app.console.print(f"[bold]{view.lab.title}[/] ({view.instance})")
        if view.services:
            ui.services_table(app.console, view)
            ui.newer_images(app.console, view)
        else:
            app.console.print("  This lab needs no services: you work in your own files"
                              + (f", in {view.workspace}" if view.workspace else "") + ".")
        ui.settings_help(app.console, view)
        _launched(app, view)
        if not view.ready:
            app.console.print(f"Some services are down: [cyan]labctl start {view.lab.id}"
                              f"{'' if view.instance == view.lab.id else ' --name ' + view.instance}[/] brings them back, "
                              "keeping your data.")
    if not view.ready:
        raise click.exceptions.Exit(ExitCode.SERVICE_NOT_READY)


def _launched(app: App, view) -> None:
    """Launch mode: what labctl runs of the learner's app."""
    if not view.lab.processes:
        return
    launcher = app.manager.launcher(view)
    running = launcher.running()
    for record in running:
        where = f" at {record.url}" if record.url else ""
        app.console.print(f"  your {record.process}" + (f" (copy {record.copy})" if record.copy else "")
                          + f" runs{where}, pid {record.pid}, started by {record.by}: [cyan]labctl app logs[/]")
    idle = [name for name in launcher.configured() if not any(r.process == name for r in running)]
    for name in idle:
        app.console.print(f"  your {name} is not running: [cyan]labctl app start[/] (`labctl check` starts it too)")
