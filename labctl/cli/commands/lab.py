"""labctl lab: for lab authors and course CI: self-test labs, validate lab folders, print the JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.core.deadline import DEFAULT_SELF_TEST_SECONDS
from labctl.core.exit_codes import ExitCode


@click.group()
def lab() -> None:
    """Tools for lab authors and course CI."""


@lab.command("test")
@click.argument("lab_ids", metavar="[LAB]...", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Self-test every lab.")
@click.option("-j", "--jobs", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Self-test this many labs at once (each on its own instance).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JUnit XML to FILE: a testsuite per lab, a testcase per self-test case.")
@click.option("--keep", is_flag=True, help="Leave the test instance running (to look at it).")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=DEFAULT_SELF_TEST_SECONDS, show_default=True,
              metavar="SECONDS", help="Stop a lab's self-test after this long (it then counts as an error).")
@click.option("--mutants", is_flag=True, help="Then run `labctl lab mutate` on each lab that passed: a surviving "
              "mutant is a problem too.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def test(app: App, lab_ids: tuple[str, ...], all_labs: bool, jobs: int, junit_file: Path | None, keep: bool,
         timeout: float, mutants: bool, as_json: bool) -> None:
    """Prove each LAB works: checks fail before each solution, pass after, near misses fail, variants pass.

    Each lab runs on a fresh, throwaway instance that is removed afterwards. A lab whose image cannot be
    had here (e.g. MongoDB offline) is skipped, with the reason. With --mutants, the wrong answers made from
    its references must fail too. Exit 3 when a lab has a problem.
    """
    from labctl.core.selftest import SelfTestReport, run_self_test

    ids = app.loader.ids() if all_labs else list(lab_ids)
    if not ids:
        app.abort("name at least one lab, or use --all", code=ExitCode.USAGE, hint="e.g. labctl lab test databases-101")
    for lab_id in ids:
        app.loader.load(lab_id)  # a broken lab file is reported before anything starts
    quiet = as_json or jobs > 1  # interleaved progress from several labs reads as noise

    def one(lab_id: str) -> SelfTestReport:
        if not as_json:
            app.err.print(f"Self-testing [bold]{lab_id}[/] ...")
        report = run_self_test(app.manager, lab_id, emit=(lambda e: None) if quiet else app.emit, keep=keep,
                               timeout=timeout)
        if mutants and report.ok and not report.skipped:
            report.cases.append(_mutants_case(app, lab_id, timeout, as_json))
        if not as_json:
            _show_self_test(app, report, details=jobs == 1)
        return report

    if jobs == 1:
        reports = [one(lab_id) for lab_id in ids]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            reports = list(pool.map(one, ids))
    if junit_file is not None:
        junit_file.write_bytes(_self_test_junit(reports))
    if as_json:
        app.print_json([{
            "lab": r.lab, "ok": r.ok, "error": r.error, "skipped": r.skipped, "duration": round(r.duration, 3),
            "cases": [{"name": c.name, "task": c.task, "ok": c.ok, "message": c.message, "duration": round(c.duration, 3)}
                      for c in r.cases]} for r in reports])
    elif len(reports) > 1:
        _summary_table(app, reports)
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(ExitCode.CHECKS_FAILED)


def _mutants_case(app: App, lab_id: str, timeout: float, as_json: bool):
    """`labctl lab mutate` as one more case of a lab's self-test."""
    from labctl.cli.commands.lab_mutate import show_mutation
    from labctl.core.mutate import run_mutation
    from labctl.core.selftest import SelfTestCase

    mutation = run_mutation(app.manager, lab_id, timeout=timeout)
    if not as_json:
        show_mutation(app, mutation, verbose=False)
    problems = [f"{m.id} passes its task" for m in mutation.survivors] + mutation.problems
    if mutation.error:
        problems.insert(0, mutation.error)
    message = "; ".join(problems) or (f"{mutation.count('killed')} killed, {mutation.count('equivalent')} marked "
                                      f"equivalent, {mutation.count('stillborn')} stillborn")
    return SelfTestCase("mutants: each fails its task", "", mutation.ok, message, mutation.duration)


def _show_self_test(app: App, report, *, details: bool) -> None:
    if report.skipped:
        app.console.print(f"[yellow]- {report.lab}: skipped: {escape(report.skipped)}[/]")
        return
    if report.error:
        app.console.print(f"[red]✘ {report.lab}: could not run: {escape(report.error)}[/]")
    for case in report.cases:
        if details or not case.ok:
            mark = "[green]✔[/]" if case.ok else "[red]✘[/]"
            app.console.print(f"  {mark} {escape(case.name)} [dim]{case.duration:.2f}s[/]")
            if not case.ok:
                app.console.print(f"      {escape(case.message)}")
    bad = sum(not c.ok for c in report.cases)
    summary = "ok" if report.ok else "error" if report.error else f"{bad} problem{'s' if bad != 1 else ''}"
    app.console.print(f"[bold]{report.lab}: {summary}[/] ({len(report.cases)} cases, {report.duration:.1f}s)")


def _summary_table(app: App, reports) -> None:
    from rich.table import Table

    table = Table(title="Self-tests", show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("lab", "cases", "problems", "seconds", "result"):
        table.add_column(column, justify="right" if column in ("cases", "problems", "seconds") else "left")
    for r in reports:
        bad = sum(not c.ok for c in r.cases)
        result = ("[yellow]skipped[/]" if r.skipped else "[red]error[/]" if r.error else
                  "[green]ok[/]" if r.ok else "[red]problems[/]")
        table.add_row(r.lab, str(len(r.cases)), str(bad), f"{r.duration:.1f}", result)
    app.console.print()
    app.console.print(table)


def _self_test_junit(reports) -> bytes:
    from labctl.core import junit

    suites = []
    for r in reports:
        suite = junit.Suite(r.lab)
        if r.skipped:
            suite.cases.append(junit.Case("self-test", r.lab, 0.0, "skip", r.skipped))
        elif r.error:
            suite.cases.append(junit.Case("start", r.lab, r.duration, "error", r.error))
        for c in r.cases:
            suite.cases.append(junit.Case(c.name, r.lab, c.duration, "pass" if c.ok else "fail", "" if c.ok else c.message))
        suites.append(suite)
    return junit.to_xml("labctl lab test", suites)


@lab.command("submission")
@click.argument("lab_id", metavar="LAB")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--near-miss", "near_miss", metavar="ID", help="Use this near miss instead of its task's solution.")
@click.option("--variant", metavar="ID", help="Use this accepted variant instead of its task's solution.")
@click.pass_obj
def submission(app: App, lab_id: str, folder: Path, near_miss: str | None, variant: str | None) -> None:
    """Write LAB's reference solution into FOLDER as a learner would submit it, to try `labctl grade` on.

    An authoring tool: it writes the full reference solution for anyone who runs it. `labctl grade` records
    in its results whether a submission holds this reference byte for byte (holds_reference)."""
    from labctl.core.submission import write_submission

    if folder.exists() and any(folder.iterdir()):
        app.abort(f"{folder} is not empty; nothing was written", hint="Give a new or empty folder.")
    if near_miss and variant:
        app.abort("give --near-miss or --variant, not both", code=ExitCode.USAGE)
    plan = write_submission(app.loader.load(lab_id), folder, near_miss=near_miss, variant=variant)
    app.say(f"[green]✔[/] Wrote {len(plan.files)} files to {escape(str(folder))}.")
    app.say(f"Grade it with: [cyan]{escape(plan.grade_command(lab_id, folder))}[/]")


@lab.command("validate")
@click.argument("paths", metavar="[LAB_OR_FOLDER]...", nargs=-1)
@click.pass_obj
def validate(app: App, paths: tuple[str, ...]) -> None:
    """Load and validate lab folders (or lab ids; default: every lab) without starting anything."""
    from labctl.core.loader import load_lab_dir

    targets = list(paths) or app.loader.ids()
    for target in targets:
        folder = Path(target)
        loaded = load_lab_dir(folder) if (folder / "lab.yaml").is_file() else app.loader.load(target)
        app.console.print(f"[green]✔[/] {loaded.id}: {len(loaded.tasks)} tasks, {len(loaded.near_misses)} near misses, "
                          f"{len(loaded.variants)} accepted variants, "
                          f"services: {', '.join(loaded.services) or 'none'}")


@lab.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of lab.yaml (check types included), for editors."""
    from labctl.core.json_schema import lab_json_schema

    text = json.dumps(lab_json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


@lab.command("check-types")
def check_types() -> None:
    """List every check type and its parameters, as Markdown."""
    from labctl.core.json_schema import check_types_markdown

    click.echo(check_types_markdown(), nl=False)


def _register_mutate() -> None:
    from labctl.cli.commands.lab_mutate import mutate

    lab.add_command(mutate)


_register_mutate()
