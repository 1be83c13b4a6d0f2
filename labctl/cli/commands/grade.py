"""labctl grade: grade a learner's submission on a fresh throwaway instance (for course CI)."""
from __future__ import annotations

import os
from pathlib import Path

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.cli.options import containment_from, containment_options
from labctl.core.deadline import DEFAULT_GRADE_SECONDS
from labctl.core.exit_codes import ExitCode

MARK = {"pass": "[green]✔[/]", "fail": "[red]✘[/]", "error": "[yellow]![/]"}


def _settings(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        out[name.strip()] = value
    return out


@click.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--workspace", "submission", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The learner's submission: the folder with their files.")
@click.option("--app", "app_command", metavar="CMD", help="Start the learner's app with this command (run in the "
              "submission's copy; it gets its port in $PORT) and wait for it before checking.")
@click.option("--app-url", metavar="URL", help="Where the app listens (default: a free port on 127.0.0.1).")
@click.option("--set", "settings", metavar="NAME=VALUE", multiple=True,
              help='A lab setting, e.g. --set run="python3 main.py" (repeatable).')
@click.option("--json", "json_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write the results JSON (docs/grading.md) to FILE ('-' for stdout).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML to FILE.")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=DEFAULT_GRADE_SECONDS, show_default=True,
              metavar="SECONDS", help="Stop grading after this long: what is left unchecked counts as an error.")
@containment_options
@click.option("--host", "on_host", is_flag=True,
              help="Run the submission's program or app on this machine, as this user: NOT isolated. "
                   "Only for code you trust.")
@click.pass_obj
def grade(app: App, lab_id: str, submission: Path, app_command: str | None, app_url: str | None,
          settings: tuple[str, ...], json_file: Path | None, junit_file: Path | None, timeout: float,
          runner: str | None, image: str | None, install: str | None, on_host: bool) -> None:
    """Grade a submission for LAB on a fresh instance, never your own, removed afterwards.

    Exit 0 when every task passes, 3 when some fail, 4 when no engine answers, 5 when a service or the
    app did not answer, 1 when grading could not run. The score weighs each task as lab.yaml says.

    The submission's own program or app runs in a sandbox: a container with only a copy of its files,
    limits, a deadline, and no way to labctl's files, this machine or the engine (docs/grading.md).
    """
    import json

    from labctl.core.grading import grade as run_grade

    if on_host and (runner or image or install):
        raise click.UsageError("--host runs the code on this machine: --runner, --image and --install are for the "
                               "sandbox")
    if on_host and not app.quiet:
        app.err.print("[yellow]--host: the submission's code runs on this machine, as you, NOT isolated.[/]")
    if app_url is not None:
        from labctl.core.loopback import check_loopback

        try:
            check_loopback(app_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--app-url") from None
    chosen = _settings(settings)
    for option, path in (("--json", json_file), ("--junit", junit_file)):
        if path is not None and str(path) != "-":
            _writable(path, option)  # before grading: a finished grade must never be lost for a typo
    if not app.quiet:
        app.err.print(f"Grading [bold]{escape(str(submission))}[/] for [bold]{lab_id}[/] on a fresh instance ...")
    try:
        report = run_grade(app.manager, lab_id, submission.resolve(), settings=chosen, app_command=app_command,
                           app_url=app_url, timeout=timeout, emit=app.emit,
                           containment=None if on_host else containment_from(runner, image, install))
    except KeyboardInterrupt:
        app.err.print("Interrupted. The grading instance and its data were removed.")
        raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None
    data = report.to_dict()
    if json_file is not None:
        text = json.dumps(data, indent=2) + "\n"
        if str(json_file) == "-":
            click.echo(text, nl=False)
        else:
            json_file.write_text(text, encoding="utf-8")
    if junit_file is not None:
        junit_file.write_bytes(report.junit_xml())
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(report.markdown())
    if str(json_file) != "-":
        _show(app, report)
    if report.error is not None:
        raise click.exceptions.Exit(report.error_exit_code)
    code = {"pass": ExitCode.OK, "fail": ExitCode.CHECKS_FAILED, "error": ExitCode.SERVICE_NOT_READY}[report.status]
    raise click.exceptions.Exit(code)


def _writable(path: Path, option: str) -> None:
    """Raise a usage error unless `path` can be written: its folder exists and is writable, it is no folder."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise click.BadParameter(f"{path} is a folder; give a file name", param_hint=option)
    if not folder.is_dir():
        raise click.BadParameter(f"cannot write {path}: the folder {folder} does not exist", param_hint=option)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise click.BadParameter(f"cannot write {path}: permission denied", param_hint=option)


def _show(app: App, report) -> None:
    console = app.console
    if report.error:
        first, *rest = report.error.splitlines() or [""]
        console.print(f"[red]✘ Grading could not run:[/] {escape(first)}")
        for line in rest:
            console.print(f"    {escape(line)}")
    for test in report.tests:
        console.print(f"{MARK[test.status]} [bold]{escape(test.name)}[/] [dim]({test.task})[/] {test.score}/{test.weight}")
        if test.message:
            for line in test.message.splitlines():
                console.print(f"    {escape(line)}")
    for note in report.notes:
        # Every line of a note is indented: a submission's error text can never pass for a line of ours.
        first, *rest = note.message.splitlines() or [""]
        console.print(f"[yellow]note:[/] {escape(note.file)}: {escape(first)}")
        for line in rest:
            console.print(f"    {escape(line)}")
    if report.tests:
        console.print(f"[bold]Score: {report.score}/{report.max_score}[/] ({report.status}, {report.duration:.1f}s)")
