"""labctl tasks / labctl task: the lab's tasks, and one task's instructions."""
from __future__ import annotations

import click
from rich.markup import escape

from labctl.cli import ui
from labctl.cli.app import App
from labctl.cli.options import name_option, pick_task


def _lab_and_done(app: App, name: str | None, lab_id: str | None):
    lab = app.loader.load(lab_id, checks=False) if lab_id else app.manager.lab_of(app.manager.resolve_instance(name))
    return lab, app.progress.lab(lab.id)


@click.command()
@click.argument("lab_arg", metavar="[LAB]", required=False)
@name_option
@click.option("--lab", "lab_id", metavar="LAB", help="Any lab, running or not.")
@click.pass_obj
def tasks(app: App, lab_arg: str | None, name: str | None, lab_id: str | None) -> None:
    """List the tasks of LAB (any lab, running or not; default: yours); ✔ marks those you have done."""
    if lab_arg and lab_id and lab_arg != lab_id:
        app.abort(f"two different labs given ({lab_arg} and {lab_id})", hint="Give one of them.")
    lab, done = _lab_and_done(app, name, lab_arg or lab_id)
    app.console.print(f"[bold]{escape(lab.title)}[/] ({lab.id}), stage {lab.stage}: {lab.stage_name}")
    for number, task in enumerate(lab.tasks, 1):
        mark = "[green]✔[/]" if done.get(task.id, {}).get("first_passed") else " "
        app.console.print(f" {mark} {number}. {escape(task.title)} [dim]({task.id})[/]")
    app.console.print("Read one with [cyan]labctl task ID[/]; check your work with [cyan]labctl check[/].")


@click.command()
@click.argument("task_id", metavar="TASK", required=False)
@name_option
@click.option("--lab", "lab_id", metavar="LAB", help="Any lab, running or not.")
@click.pass_obj
def task(app: App, task_id: str | None, name: str | None, lab_id: str | None) -> None:
    """Show TASK's instructions (default: the first task not done yet)."""
    lab, done = _lab_and_done(app, name, lab_id)
    chosen = pick_task(app, lab, task_id, done)
    ui.task_header(app.console, lab, chosen, bool(done.get(chosen.id, {}).get("first_passed")))
    ui.markdown_file(app.console, chosen.instructions, drop_title=True)
