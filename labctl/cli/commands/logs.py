"""labctl logs: a service's log lines."""
from __future__ import annotations

import click

from labctl.cli.app import App
from labctl.cli.options import name_option
from labctl.runtime.base import Capability


@click.command()
@click.argument("service", required=False)
@name_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("--tail", "tail", type=click.IntRange(1, 100000), default=100, show_default=True, help="How many lines.")
@click.pass_obj
def logs(app: App, service: str | None, name: str | None, follow: bool, tail: int) -> None:
    """Show SERVICE's logs (default: the lab's only, or first, service)."""
    instance = app.manager.resolve_instance(name)
    lab = app.manager.lab_of(instance)
    service = service or next(iter(lab.services))
    if service not in lab.services:
        app.abort(f"{instance} has no service {service!r}", hint=f"Its services: {', '.join(lab.services)}.")
    if follow and Capability.FOLLOW_LOGS not in app.runtime.capabilities:
        app.abort(f"the {app.runtime.name} backend cannot follow logs", hint="Leave out -f to see the last lines.")
    for line in app.runtime.logs(instance, service, tail=tail, follow=follow):
        click.echo(line)
