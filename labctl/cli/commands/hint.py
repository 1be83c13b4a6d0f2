"""labctl hint: reveal a task's hints one at a time (they are counted)."""
from __future__ import annotations

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.cli.options import name_option, pick_task


@click.command()
@click.argument("task_id", metavar="TASK", required=False)
@name_option
@click.pass_obj
def hint(app: App, task_id: str | None, name: str | None) -> None:
    """Reveal the next hint for TASK (default: the first task not done yet)."""
    lab = app.manager.lab_of(app.manager.resolve_instance(name))
    done = app.progress.lab(lab.id)
    task = pick_task(app, lab, task_id, done)
    shown = app.progress.reveal_hint(lab.id, task.id, len(task.hints))
    app.console.print(f"[bold]Hints for {escape(task.title)}[/] ({shown} of {len(task.hints)} revealed)")
    for number, text in enumerate(task.hints[:shown], 1):
        app.console.print(f"  {number}. {escape(text)}")
    if shown < len(task.hints):
        app.console.print(f"Run [cyan]labctl hint {task.id}[/] again for the next one.")
    else:
        app.console.print("That was the last hint. The task's instructions: [cyan]labctl task " + task.id + "[/].")
