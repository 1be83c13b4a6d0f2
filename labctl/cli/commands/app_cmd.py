"""labctl app: run your own app for you (launch mode): start, stop, restart, status, logs."""
from __future__ import annotations

import time

import click
from rich.markup import escape

from labctl.cli.app import App
from labctl.cli.options import json_option, name_option
from labctl.core.errors import LabctlError


def _launcher(app: App, name: str | None):
    instance = app.manager.resolve_instance(name)
    return app.manager.launcher(app.manager.view(instance))


def _names(launcher, process: str | None) -> list[str]:
    if process is not None:
        launcher.spec(process)
        return [process]
    names = launcher.configured()
    if not names:
        if not launcher.lab.processes:
            launcher.spec("app")  # raises: this lab runs no app of yours
        first = next(iter(launcher.lab.processes.values()))
        setting = launcher.lab.settings[first.command_setting]
        example = f' "{setting.example}"' if setting.example else " COMMAND"
        app_hint = f"Tell labctl how to start it once: labctl config set {first.command_setting}{example}"
        raise LabctlError("labctl does not know how to start your app yet", app_hint)
    return names


@click.group("app")
def app_group() -> None:
    """Run your own app for you (launch mode): `labctl config set app "npm start"` once, then
    `labctl app start`. It runs from your workspace with PORT, the lab's connection settings
    (`labctl env`) and secrets in its environment; its output goes to `labctl app logs`."""


@app_group.command("start")
@click.argument("process", required=False)
@click.option("--copies", type=click.IntRange(1, 8), default=1, show_default=True,
              help="How many copies to run (the first on the app's URL, the others on free ports).")
@name_option
@click.pass_obj
def start(app: App, process: str | None, copies: int, name: str | None) -> None:
    """Start PROCESS (default: every process of your app that has a command)."""
    launcher = _launcher(app, name)
    for process_name in _names(launcher, process):
        for copy in range(copies):
            record = launcher.start(process_name, copy=copy)
            where = f" at {record.url}" if record.url else ""
            app.say(f"[green]✔[/] {process_name}{f' (copy {copy})' if copies > 1 else ''} runs{where} "
                    f"(pid {record.pid})")
    app.say("Its output: [cyan]labctl app logs -f[/]. Check your work: [cyan]labctl check[/].")


@app_group.command("stop")
@click.argument("process", required=False)
@name_option
@click.pass_obj
def stop(app: App, process: str | None, name: str | None) -> None:
    """Stop PROCESS (default: everything labctl runs of your app), with everything it started."""
    launcher = _launcher(app, name)
    stopped = launcher.stop(process)
    if not stopped:
        app.say("Nothing of your app was running under labctl.")
    for record in stopped:
        app.say(f"[green]✔[/] stopped {record.process}" + (f" (copy {record.copy})" if record.copy else ""))


@app_group.command("restart")
@click.argument("process", required=False)
@name_option
@click.pass_obj
def restart(app: App, process: str | None, name: str | None) -> None:
    """Stop PROCESS and start it again (default: every process of your app that has a command)."""
    launcher = _launcher(app, name)
    for process_name in _names(launcher, process):
        for record in launcher.restart(process_name):
            where = f" at {record.url}" if record.url else ""
            app.say(f"[green]✔[/] {process_name} runs again{where} (pid {record.pid})")


@app_group.command("status")
@name_option
@json_option
@click.pass_obj
def status(app: App, name: str | None, as_json: bool) -> None:
    """Show each process of your app: its command, whether it runs, where, and who started it."""
    launcher = _launcher(app, name)
    running = launcher.running()
    rows = []
    for spec in launcher.lab.processes.values():
        copies = [r for r in running if r.process == spec.name]
        rows.append({"process": spec.name, "command": launcher.command(spec.name), "setting": spec.command_setting,
                     "running": [{"copy": r.copy, "pid": r.pid, "url": r.url, "started_by": r.by} for r in copies]})
    if as_json:
        app.print_json(rows)
        return
    if not rows:
        app.say(f"{launcher.lab.id} runs no app of yours.")
        return
    for row in rows:
        command = row["command"]
        if not command:
            app.console.print(f"[bold]{row['process']}[/]: [yellow]no command[/] (you run it yourself: URL mode). "
                              f"Let labctl run it: [cyan]labctl config set {row['setting']} COMMAND[/]")
            continue
        app.console.print(f"[bold]{row['process']}[/]: {escape(command)}")
        if not row["running"]:
            app.console.print("  [yellow]not running[/]: [cyan]labctl app start[/] (or `labctl check` starts it)")
        for copy in row["running"]:
            where = f" at {copy['url']}" if copy["url"] else ""
            app.console.print(f"  [green]running[/] copy {copy['copy']}{where}, pid {copy['pid']}, "
                              f"started by {copy['started_by']}")


@app_group.command("logs")
@click.argument("process", required=False)
@click.option("--copy", "copy", type=click.IntRange(0, 7), default=0, show_default=True)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("--tail", "tail", type=click.IntRange(1, 100000), default=100, show_default=True, help="How many lines.")
@name_option
@click.pass_obj
def logs(app: App, process: str | None, copy: int, follow: bool, tail: int, name: str | None) -> None:
    """Show what PROCESS printed (default: the app's first process)."""
    launcher = _launcher(app, name)
    if process is None:
        if not launcher.lab.processes:
            launcher.spec("app")
        process = next(iter(launcher.lab.processes))
    path = launcher.log_path(process, copy)
    if not path.is_file():
        app.abort(f"{process} has printed nothing yet", hint="Start it: labctl app start")
    for line in launcher.log_tail(process, copy, tail):
        click.echo(line)
    if not follow:
        return
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        handle.seek(0, 2)
        while True:  # until Ctrl-C (exit 130 through the single exit path)
            line = handle.readline()
            if line:
                click.echo(line.rstrip("\n"))
            else:
                time.sleep(0.2)
