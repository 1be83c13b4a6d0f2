"""labctl lab mutate: wrong answers made from each reference solution, and whether the checks catch them."""
from __future__ import annotations

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.core.exit_codes import ExitCode
from labctl.core.mutate import DEFAULT_MUTATE_SECONDS


@click.command("mutate")
@click.argument("lab_ids", metavar="[LAB]...", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Mutate every lab.")
@click.option("--task", "tasks", multiple=True, metavar="TASK", help="Only this task's mutants (repeatable; one lab).")
@click.option("-j", "--jobs", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Mutate this many labs at once (each on its own instance).")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=DEFAULT_MUTATE_SECONDS, show_default=True,
              metavar="SECONDS", help="Stop a lab's run after this long (it then counts as an error).")
@click.option("-v", "--verbose", is_flag=True, help="List every mutant, not only the survivors.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def mutate(app: App, lab_ids: tuple[str, ...], all_labs: bool, tasks: tuple[str, ...], jobs: int, timeout: float,
           verbose: bool, as_json: bool) -> None:
    """Make wrong answers from each LAB's reference solutions and prove the checks refuse every one.

    For SQL: ORDER BY dropped, a comparison's boundary moved, a WHERE or join condition left out, a join
    type changed, DISTINCT or LIMIT dropped, a number changed by one, a constraint dropped, a view made a
    table. For command files and scripts: a line dropped, two swapped, a number or a quoted string changed.
    For reference apps and programs: each bug switch the lab lists. A mutant that passes its task survives;
    lab.yaml can mark one as equivalent (a right answer after all) with the reason. Exit 3 when one survives
    unmarked. Each lab runs on a fresh, throwaway instance.
    """
    from labctl.core.mutate import MutationReport, run_mutation

    ids = app.loader.ids() if all_labs else list(lab_ids)
    if not ids:
        app.abort("name at least one lab, or use --all", code=ExitCode.USAGE, hint="e.g. labctl lab mutate databases-101")
    if tasks and len(ids) != 1:
        app.abort("--task needs exactly one lab", code=ExitCode.USAGE)
    for lab_id in ids:
        loaded = app.loader.load(lab_id)  # a broken lab file is reported before anything starts
        unknown = [t for t in tasks if loaded.task(t) is None]
        if unknown:
            app.abort(f"{loaded.id} has no task {unknown[0]!r}", code=ExitCode.USAGE,
                      hint=f"Its tasks: {', '.join(t.id for t in loaded.tasks)}.")

    def one(lab_id: str) -> MutationReport:
        if not as_json:
            app.err.print(f"Mutating [bold]{lab_id}[/] ...")
        report = run_mutation(app.manager, lab_id, tasks=tasks, timeout=timeout,
                              emit=app.emit if jobs == 1 and not as_json else (lambda e: None))
        if not as_json:
            show_mutation(app, report, verbose=verbose)
        return report

    if jobs == 1:
        reports = [one(lab_id) for lab_id in ids]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            reports = list(pool.map(one, ids))
    if as_json:
        app.print_json([{
            "lab": r.lab, "ok": r.ok, "error": r.error, "skipped": r.skipped, "problems": r.problems,
            "duration": round(r.duration, 3),
            "mutants": [{"id": m.id, "task": m.task, "description": m.description, "origin": m.origin,
                         "outcome": m.outcome, "message": m.message} for m in r.results]} for r in reports])
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(ExitCode.CHECKS_FAILED)


_MARKS = {"killed": "[green]✔[/]", "survived": "[red]✘[/]", "equivalent": "[yellow]=[/]", "stillborn": "[dim]·[/]"}


def show_mutation(app: App, report, *, verbose: bool) -> None:
    if report.skipped:
        app.console.print(f"[yellow]- {report.lab}: skipped: {escape(report.skipped)}[/]")
        return
    if report.error:
        app.console.print(f"[red]✘ {report.lab}: could not run: {escape(report.error)}[/]")
    for result in report.results:
        if verbose or result.outcome == "survived":
            app.console.print(f"  {_MARKS[result.outcome]} {escape(result.id)} [dim]{escape(result.description)}[/]")
            if result.outcome == "survived":
                app.console.print("      passes its task: a wrong answer the checks accept "
                                  "(or mark it equivalent in lab.yaml, with the reason)")
            elif verbose:
                app.console.print(f"      [dim]{escape(result.message)}[/]")
    for problem in report.problems:
        app.console.print(f"  [red]![/] {escape(problem)}")
    counts = ", ".join(f"{report.count(o)} {o}" for o in ("killed", "survived", "equivalent", "stillborn"))
    verdict = "ok" if report.ok else "error" if report.error else "problems"
    app.console.print(f"[bold]{report.lab}: {verdict}[/] ({counts}; {report.duration:.1f}s)")
