"""labctl destroy: remove a lab's containers, network and data volumes (after confirmation); --all for every lab."""
from __future__ import annotations

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_instance, yes_option
from labctl.core.errors import InstanceNotFoundError, LabctlError


@click.command()
@click.argument("instance", required=False)
@name_option
@click.option("--all", "everything", is_flag=True,
              help="Remove every labctl lab instance on this engine (asks once, listing them).")
@yes_option
@click.pass_obj
def destroy(app: App, instance: str | None, name: str | None, everything: bool, yes: bool) -> None:
    """Remove a lab and ALL its data. Your workspace files are kept."""
    if everything:
        if instance or name:
            app.abort("give an instance or --all, not both", hint="`labctl destroy --all` removes every lab instance.")
        _destroy_all(app, yes)
        return
    chosen = pick_instance(app, instance, name)
    services = app.manager.has_services(chosen)  # asks no engine: the question comes before anything is touched
    if services:
        app.confirm(f"Delete {chosen} and all the data in its services? This cannot be undone.", yes)
    else:
        app.confirm(f"Forget the lab instance {chosen} and its settings? Your files stay.", yes)
    app.manager.destroy(chosen, emit=app.emit)
    gone = "and the data in its services" if services else "and its settings"
    app.say(f"[green]✔[/] Removed {chosen} {gone}. Your workspace files were not touched.")


def _destroy_all(app: App, yes: bool) -> None:
    # Only what carries labctl's instance label is listed, so nothing else on the engine is touched.
    found = app.manager.instances()
    if not found:
        app.say("Nothing to destroy: no labctl lab instances exist.")
        return
    listing = "\n".join(f"  {s.instance} ({s.lab}, {s.state})" for s in found)
    app.confirm(f"Delete these {len(found)} lab instance(s) and all the data in their services?\n{listing}\n"
                "This cannot be undone.", yes)
    problems: list[LabctlError] = []
    for summary in found:
        try:
            app.manager.destroy(summary.instance, emit=app.emit)
        except InstanceNotFoundError:  # removed meanwhile (another labctl): nothing left to do
            app.say(f"[green]✔[/] {escape(summary.instance)} was already gone.")
            continue
        except LabctlError as exc:  # one stuck instance must not keep the others
            problems.append(exc)
            app.err.print(f"[red]✘[/] {escape(summary.instance)}: {escape(exc.message)}")
            continue
        app.say(f"[green]✔[/] Removed {escape(summary.instance)}.")
    if problems:
        app.abort(f"{len(problems)} of {len(found)} lab instances could not be removed",
                  hint="Run `labctl destroy --all` again, or `labctl doctor` to check the engine.")
    app.say(f"Removed {len(found)} lab instance(s). Your workspace files were not touched.")
