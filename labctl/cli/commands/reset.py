"""labctl reset: put a lab's data back to its starting state (after confirmation)."""
from __future__ import annotations

import click

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_instance, yes_option


@click.command()
@click.argument("instance", required=False)
@name_option
@yes_option
@click.option("--workspace-files", is_flag=True, help="Also put the lab's starting files back in your workspace.")
@click.option("--new-secrets", is_flag=True, help="Also make new values for the lab's own secrets (e.g. JWT_SECRET): "
              "tokens signed with the old ones stop being valid. Restart your app to give it the new ones.")
@click.pass_obj
def reset(app: App, instance: str | None, name: str | None, yes: bool, workspace_files: bool,
          new_secrets: bool) -> None:
    """Restore the lab's starting data, deleting your changes in its services."""
    chosen = pick_instance(app, instance, name)
    what = "data and workspace files" if workspace_files else "data (your workspace files are kept)"
    app.confirm(f"Reset {chosen}'s {what} to the starting state? Your changes will be lost.", yes)
    app.manager.reset(chosen, emit=app.emit, workspace_files=workspace_files, new_secrets=new_secrets)
    app.say(f"[green]✔[/] {chosen} is back to its starting {what}.")
    if new_secrets:
        app.say("The lab's secrets have new values (see `labctl env`); restart your app so it uses them.")
