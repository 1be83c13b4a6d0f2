"""labctl start LAB: start (or resume) a lab and show how to connect and the first task."""
from __future__ import annotations

from pathlib import Path

import click

from labctl.cli import ui
from labctl.cli.app import App
from labctl.core.learner_progress import next_task


@click.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--name", help="Instance name, to run the same lab twice (default: the lab's id).")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for your lab files (default: in labctl's data folder).")
@click.pass_obj
def start(app: App, lab_id: str, name: str | None, workspace: Path | None) -> None:
    """Start LAB's services (data is kept between starts) and show the first task."""
    if not app.quiet:
        app.err.print(f"Starting [bold]{lab_id}[/]{f' as {name}' if name else ''} ...")
    report = app.manager.start(lab_id, name=name, workspace=workspace, emit=app.emit)
    view = report.view
    console = app.console
    if view.services:
        console.print(f"[green]✔[/] [bold]{view.lab.title}[/] is running ({view.instance}).")
    else:
        console.print(f"[green]✔[/] [bold]{view.lab.title}[/] is ready ({view.instance}). It needs no services: "
                      "you work in your own files.")
    if report.seeded:
        console.print("  Loaded the lab's starting data.")
    console.print()
    ui.connection_help(console, view)
    if app.quiet:
        return
    task = view.lab.tasks[0] if report.seeded else next_task(view.lab, app.progress.lab(view.lab.id))
    console.print()
    if task is None:
        console.print("You have done every task of this lab. `labctl list` shows what comes next.")
        return
    ui.task_header(console, view.lab, task)
    ui.markdown_file(console, task.instructions, drop_title=True)
    console.print()
    console.print("When you think you are done, run [cyan]labctl check[/]. Stuck? [cyan]labctl hint[/].")
