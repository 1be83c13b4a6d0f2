"""labctl stop: stop a lab's containers; every byte of data is kept."""
from __future__ import annotations

import click

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_instance


@click.command()
@click.argument("instance", required=False)
@name_option
@click.pass_obj
def stop(app: App, instance: str | None, name: str | None) -> None:
    """Stop a lab. Your data stays; `labctl start LAB` resumes it."""
    chosen = pick_instance(app, instance, name)
    lab = app.manager.lab_of(chosen)
    if not app.manager.stop(chosen, emit=app.emit) and not lab.services:
        app.say(f"{chosen} has no services, so there is nothing to stop. Your files stay where they are.")
        return
    again = lab.id if chosen == lab.id else f"{lab.id} --name {chosen}"
    app.say(f"[green]✔[/] Stopped {chosen}. Your data is kept: [cyan]labctl start {again}[/] resumes it.")
