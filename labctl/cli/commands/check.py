"""labctl check: verify the learner's work against the live services, task by task."""
from __future__ import annotations

import time

import click
from rich.markup import escape

from labctl.check_engine.result import Status
from labctl.cli import ui
from labctl.cli.app import App
from labctl.cli.options import containment_from, containment_options, json_option, name_option
from labctl.core.exit_codes import ExitCode
from labctl.core.learner_progress import next_task


def _contain(app: App, instance: str, app_command: str | None, containment) -> None:
    """Run the learner's program or app in a sandbox for this check, as `labctl grade` does."""
    manager = app.manager
    view = manager.view(instance)
    url_settings = [s.name for s in view.lab.settings.values() if s.kind == "url"]
    if url_settings and not app_command:
        raise click.UsageError("this lab checks your app: give the command that starts it, e.g. "
                               "--app \"python3 app.py\" (it listens on $PORT)")
    code = manager.contain(instance, containment, app.emit)
    commands = [view.settings.get(s.name) for s in view.lab.settings.values() if s.kind == "command"]
    command = app_command or next((c for c in commands if c), None)
    if command:
        code.open(command, publish=bool(app_command))  # a runner image is built before any check's clock starts
    if app_command:
        assert view.workspace is not None
        manager.start_app(view, app_command, view.workspace, url_setting=url_settings[0])


def exit_code_for(results) -> ExitCode:
    """5 when a service did not answer; 3 when a task does not pass (a check that could not run for another
    reason, such as one that needs launch mode, included); else 0."""
    if any(c.service_silent for r in results for c in r.checks):
        return ExitCode.SERVICE_NOT_READY
    if any(r.status is not Status.PASSED for r in results):
        return ExitCode.CHECKS_FAILED
    return ExitCode.OK


@click.command()
@click.argument("task_ids", metavar="[TASK]...", nargs=-1)
@name_option
@json_option
@click.option("-v", "--verbose", is_flag=True, help="Show every check, what was expected and found, and the query run.")
@click.option("--contained", is_flag=True,
              help="Run your program (or, with --app, your app) in a sandbox, the way `labctl grade` will.")
@click.option("--app", "app_command", metavar="CMD", help="With --contained: the command that starts your app.")
@containment_options
@click.pass_obj
def check(app: App, task_ids: tuple[str, ...], name: str | None, as_json: bool, verbose: bool, contained: bool,
          app_command: str | None, runner: str | None, image: str | None, install: str | None) -> None:
    """Check every task (or the TASKs named) against the live services.

    Exit 0 when all pass, 3 when some do not (a check that needs another mode included), 5 when a service
    did not answer.
    """
    instance = app.manager.resolve_instance(name)
    if (app_command or runner or image or install) and not contained:
        raise click.UsageError("--app, --runner, --image and --install go with --contained")
    try:
        if contained:
            _contain(app, instance, app_command, containment_from(runner, image, install))
        view, results = app.manager.check(instance, list(task_ids) or None)
    finally:
        if contained:
            app.manager.release(instance)
    newly = app.progress.record_checks(view.lab.id, results)
    done = app.progress.lab(view.lab.id)
    code = exit_code_for(results)
    if as_json:
        app.print_json({
            "instance": view.instance, "lab": view.lab.id,
            "status": "error" if any(r.status is Status.ERROR for r in results)
            else "failed" if code is ExitCode.CHECKS_FAILED else "passed",
            "passed": sum(r.status is Status.PASSED for r in results), "total": len(results),
            "tasks": [r.to_dict() for r in results],
        })
        raise click.exceptions.Exit(code)
    console = app.console
    ui.check_results(console, results, verbose=verbose, focus=not task_ids)
    console.print()
    if view.lab.processes and not contained:
        for launched, changed in app.manager.edited_apps(view, list(task_ids) or None):
            since = time.strftime("%H:%M:%S", time.localtime(launched.started))
            who = "Your app" if launched.process == "app" else f"Your app's {escape(launched.process)} process"
            console.print(f"[yellow]{who} has run since {since}, and {escape(changed)} changed after that: these "
                          f"checks saw the old code. [cyan]labctl app restart[/] runs the new one.[/]")
    for task_id in newly:
        console.print(f"[green]★ {escape(view.lab.task(task_id).title)}: done for the first time.[/]")
    passed_now = sum(r.status is Status.PASSED for r in results)
    console.print(f"[bold]{passed_now} of {len(results)} tasks pass.[/]")
    if code is ExitCode.SERVICE_NOT_READY:
        console.print("Some checks could not run; their messages above say why. If a service is down: "
                      f"[cyan]labctl status[/], then [cyan]labctl start {view.lab.id}[/].")
    elif code is ExitCode.CHECKS_FAILED:
        if any(r.status is Status.ERROR for r in results):
            console.print("Some checks could not run here; their messages above say how to run them.")
        failing = next((r for r in results if r.status is Status.FAILED), None) or \
            next(r for r in results if r.status is Status.ERROR)
        task = view.lab.task(failing.task)
        console.print(f"Next: [bold]{escape(task.title)}[/]. Read it with [cyan]labctl task {task.id}[/]; "
                      f"stuck? [cyan]labctl hint {task.id}[/]. [cyan]labctl check -v[/] shows every check in detail.")
    else:
        upcoming = next_task(view.lab, done)
        if upcoming is not None:
            console.print(f"Next: [bold]{escape(upcoming.title)}[/]. Read it with [cyan]labctl task {upcoming.id}[/].")
        else:
            console.print("[green]Every task of this lab is done. Well done![/] `labctl list` shows what comes next.")
    raise click.exceptions.Exit(code)
