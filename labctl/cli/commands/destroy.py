"""labctl destroy: remove a lab's containers, network and data volumes (after confirmation)."""
from __future__ import annotations

import click

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_instance, yes_option


@click.command()
@click.argument("instance", required=False)
@name_option
@yes_option
@click.pass_obj
def destroy(app: App, instance: str | None, name: str | None, yes: bool) -> None:
    """Remove a lab and ALL its data. Your workspace files are kept."""
    chosen = pick_instance(app, instance, name)
    app.confirm(f"Delete {chosen} and all the data in its services? This cannot be undone.", yes)
    done = app.manager.destroy(chosen, emit=app.emit)
    app.say(f"[green]✔[/] Removed {chosen} ({len(done)} resources). Your workspace files were not touched.")
