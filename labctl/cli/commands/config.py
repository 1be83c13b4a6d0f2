"""labctl config: the values a lab asks you for (how to run your program, where your app listens)."""
from __future__ import annotations

import click

from labctl.cli.app import App
from labctl.cli.options import json_option, name_option
from labctl.cli.ui import shell_quoted
from labctl.core import instance_config


@click.group()
def config() -> None:
    """See and change the lab's settings, e.g. `labctl config set run "python3 main.py"`."""


@config.command("set")
@click.argument("setting")
@click.argument("value")
@name_option
@click.pass_obj
def set_(app: App, setting: str, value: str, name: str | None) -> None:
    """Give SETTING the VALUE (quote a value with spaces)."""
    instance = app.manager.resolve_instance(name)
    app.manager.set_setting(instance, setting, value)
    app.say(f"[green]✔[/] {setting} = {value}")
    app.say("Run [cyan]labctl check[/] to try it.")


@config.command("unset")
@click.argument("setting")
@name_option
@click.pass_obj
def unset(app: App, setting: str, name: str | None) -> None:
    """Forget SETTING's value (the lab's default applies again)."""
    instance = app.manager.resolve_instance(name)
    app.manager.set_setting(instance, setting, None)
    lab = app.manager.lab_of(instance)
    default = lab.settings[setting].default
    app.say(f"[green]✔[/] {setting} is back to " + (f"its default, {default}" if default else "no value"))


@config.command("get")
@click.argument("setting")
@name_option
@click.pass_obj
def get(app: App, setting: str, name: str | None) -> None:
    """Print SETTING's value (exit 1 when it has none)."""
    instance = app.manager.resolve_instance(name)
    lab = app.manager.lab_of(instance)
    instance_config.lookup(lab, setting)
    value = app.manager.view(instance, lab).settings.get(setting)
    if value is None:
        app.abort(f"{setting} has no value yet", hint=f"Give it one: labctl config set {setting} VALUE")
    click.echo(value)


@config.command("list")
@name_option
@json_option
@click.pass_obj
def list_(app: App, name: str | None, as_json: bool) -> None:
    """Show every setting of the lab, its value and what it is for."""
    instance = app.manager.resolve_instance(name)
    lab = app.manager.lab_of(instance)
    chosen = app.manager.chosen_settings(instance)
    values = instance_config.effective(lab, chosen)
    if as_json:
        app.print_json([{"setting": s.name, "value": values.get(s.name), "default": s.default,
                         "chosen": s.name in chosen, "description": s.description, "example": s.example}
                        for s in lab.settings.values()])
        return
    if not lab.settings:
        app.say(f"{lab.id} has no settings: nothing needs configuring.")
        return
    from rich.markup import escape

    for s in lab.settings.values():
        value = values.get(s.name)
        shown = f"[green]{escape(value)}[/]" if value else "[yellow](not set)[/]"
        origin = "" if s.name in chosen or value is None else " [dim](default)[/]"
        app.console.print(f"[bold]{s.name}[/] = {shown}{origin}")
        app.console.print(f"  {escape(s.description)}")
        if value is None and s.example:
            app.console.print(f"  Set it: [cyan]labctl config set {s.name} {escape(shell_quoted(s.example))}[/]")
