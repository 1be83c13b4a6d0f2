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
        app.print_json(view_json(view))
    else:
        app.console.print(f"[bold]{view.lab.title}[/] ({view.instance})")
        if view.services:
            ui.services_table(app.console, view)
        else:
            app.console.print("  This lab needs no services: you work in your own files"
                              + (f", in {view.workspace}" if view.workspace else "") + ".")
        ui.settings_help(app.console, view)
        if not view.ready:
            app.console.print(f"Some services are down: [cyan]labctl start {view.lab.id}"
                              f"{'' if view.instance == view.lab.id else ' --name ' + view.instance}[/] brings them back, "
                              "keeping your data.")
    if not view.ready:
        raise click.exceptions.Exit(ExitCode.SERVICE_NOT_READY)
