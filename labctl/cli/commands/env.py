"""labctl env: connection settings as shell exports, for eval "$(labctl env)"."""
from __future__ import annotations

import shlex

import click

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_instance


@click.command()
@click.argument("instance", required=False)
@name_option
@click.option("--format", "fmt", type=click.Choice(["sh", "dotenv", "fish"]), default="sh", show_default=True,
              help="sh: export lines; dotenv: NAME=value for .env files; fish: set -gx lines.")
@click.pass_obj
def env(app: App, instance: str | None, name: str | None, fmt: str) -> None:
    """Print DATABASE_URL and friends. Use: eval "$(labctl env)"."""
    view = app.manager.view(pick_instance(app, instance, name))
    for key, value in view.env().items():
        if fmt == "dotenv":
            click.echo(f"{key}={value}")
        elif fmt == "fish":
            click.echo(f"set -gx {key} {shlex.quote(value)}")
        else:
            click.echo(f"export {key}={shlex.quote(value)}")
