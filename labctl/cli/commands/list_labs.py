"""labctl list: the labs, grouped by roadmap stage, with their state and your progress."""
from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from labctl.cli.app import App
from labctl.cli.options import json_option
from labctl.core.errors import EngineUnavailableError
from labctl.core.model import ROADMAP_STAGES


@click.command("list")
@json_option
@click.pass_obj
def list_labs(app: App, as_json: bool) -> None:
    """List every lab by roadmap stage (running ones marked)."""
    labs = app.loader.load_all(checks=False)
    try:
        running: dict[str, str] = {}
        for instance in app.manager.instances():
            if running.get(instance.lab) != "running":
                running[instance.lab] = instance.state
    except EngineUnavailableError:
        # Listing labs must work without an engine (labs without services are known locally).
        running = {i.lab: i.state for i in app.manager.local_instances()}
    progress = app.progress.all()
    rows = []
    for lab in labs:
        done = sum(1 for t in lab.tasks if progress.get(lab.id, {}).get(t.id, {}).get("first_passed"))
        rows.append((lab, done, running.get(lab.id, "")))
    if as_json:
        app.print_json([
            {"id": lab.id, "title": lab.title, "stage": lab.stage, "stage_name": lab.stage_name,
             "summary": lab.summary, "minutes": lab.minutes, "tasks": len(lab.tasks), "tasks_done": done,
             "services": sorted(lab.services), "state": state or None}
            for lab, done, state in rows
        ])
        return
    for stage in sorted({lab.stage for lab, _, _ in rows}):
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("id", style="bold cyan", no_wrap=True)
        table.add_column("title")
        table.add_column("info", style="dim", no_wrap=True)
        for lab, done, state in (r for r in rows if r[0].stage == stage):
            info = f"{lab.minutes} min, {done}/{len(lab.tasks)} tasks"
            if state:
                info += f", {state}"
            table.add_row(lab.id, escape(lab.title), info)
        app.console.print(f"[bold]Stage {stage}: {ROADMAP_STAGES[stage]}[/]")
        app.console.print(table)
        app.console.print()
    app.console.print("Start one with [cyan]labctl start LAB[/].")
