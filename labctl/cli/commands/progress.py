"""labctl progress: how far the learner is along the ten roadmap stages."""
from __future__ import annotations

import click
from rich.markup import escape

from labctl.cli import ui
from labctl.cli.app import App
from labctl.cli.options import json_option
from labctl.core.model import ROADMAP_STAGES


@click.command()
@json_option
@click.pass_obj
def progress(app: App, as_json: bool) -> None:
    """Show labs done per roadmap stage, and tasks done and hints used per lab."""
    labs = app.loader.load_all(checks=False)
    record = app.progress.all()
    per_lab = []
    for lab in labs:
        tasks = record.get(lab.id, {})
        done = sum(1 for t in lab.tasks if tasks.get(t.id, {}).get("first_passed"))
        hints = sum(tasks.get(t.id, {}).get("hints_used", 0) for t in lab.tasks)
        attempts = sum(tasks.get(t.id, {}).get("attempts", 0) for t in lab.tasks)
        per_lab.append((lab, done, hints, attempts))
    stages = []
    for stage in ROADMAP_STAGES:
        in_stage = [p for p in per_lab if p[0].stage == stage]
        stages.append((stage, sum(1 for lab, done, _, _ in in_stage if done == len(lab.tasks)), len(in_stage)))
    if as_json:
        app.print_json({
            "stages": [{"stage": s, "name": ROADMAP_STAGES[s], "labs_done": d, "labs": n} for s, d, n in stages],
            "labs": [{"id": lab.id, "stage": lab.stage, "tasks": len(lab.tasks), "tasks_done": done,
                      "hints_used": hints, "attempts": attempts} for lab, done, hints, attempts in per_lab],
        })
        return
    ui.stages_table(app.console, stages)
    started = [p for p in per_lab if p[3] or p[2]]
    if started:
        app.console.print()
        for lab, done, hints, _ in started:
            app.console.print(f"  [bold]{lab.id}[/]: {done}/{len(lab.tasks)} tasks, {hints} hint{'s' if hints != 1 else ''} used"
                              f" [dim]({escape(lab.title)})[/]")
    else:
        app.console.print("\nNo lab started yet: [cyan]labctl list[/] shows them.")
