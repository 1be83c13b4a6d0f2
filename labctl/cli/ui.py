"""rich renderers: the only place that draws lines, tables and markdown."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from rich.markup import escape
from rich.text import Text

from labctl.core import events
from labctl.core.events import Event
from labctl.core.model import ROADMAP_STAGES, Lab, Task
from labctl.runtime.base import ServiceState

if TYPE_CHECKING:  # rich's Console, Markdown and Table, the check engine and the lab manager load only when used
    from rich.console import Console

    from labctl.check_engine.result import TaskResult
    from labctl.core.views import InstanceView

MARK = {"passed": "[green]✔[/]", "failed": "[red]✘[/]", "error": "[yellow]![/]"}  # by Status value
STATE_STYLE = {
    ServiceState.RUNNING: "green", ServiceState.STOPPED: "yellow", ServiceState.PAUSED: "yellow",
    ServiceState.STARTING: "cyan", ServiceState.MISSING: "red", ServiceState.FAILED: "red",
}
_QUIET_EVENTS = {events.IMAGE_PROGRESS, events.CONTAINER_CREATING, events.CONTAINER_STARTING, events.SERVICE_WAITING}


def show_event(err: Console, event: Event) -> None:
    if event.kind in _QUIET_EVENTS:
        if event.kind == events.IMAGE_PROGRESS and event.message.startswith("Step "):
            err.print(f"  [dim]{escape(event.service or '')}: {escape(event.message[:100])}[/]")
        return
    prefix = f"{event.service}: " if event.service and not event.message.startswith(event.service) else ""
    style = {events.WARNING: "yellow", events.PORT_MOVED: "yellow", events.IMAGE_PULL_FAILED: "yellow",
             events.SERVICE_READY: "green"}.get(event.kind, "")
    text = escape(prefix + event.message)
    if event.kind == events.SERVICE_READY and "seconds" in event.data:
        text += f" [dim]({event.data['seconds']:.1f}s)[/]"
    err.print(f"  [{style}]{text}[/]" if style else f"  {text}")


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)")
LIST_ITEM = re.compile(r"^\s{0,3}(\d+[.)]|[-*+])\s")


def markdown_segments(text: str) -> list[tuple[str, str]]:
    """("markdown", text) and ("code", text) pieces, in order; code without its fences and indentation."""
    pieces: list[tuple[str, str]] = []
    prose: list[str] = []
    code: list[str] | None = None
    fence, indent, after_code = "", 0, False
    for line in text.splitlines():
        match = FENCE.match(line)
        if code is None and match:
            pieces.append(("markdown", "\n".join(prose)))
            prose, code = [], []
            fence, indent = match.group("fence"), len(match.group("indent"))
        elif code is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            pieces.append(("code", "\n".join(code)))
            code = None
            after_code = True
        elif code is not None:
            code.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
        else:
            if after_code and prose and prose[-1].strip() and LIST_ITEM.match(line):
                # Cut from its list by the code block, a list item cannot interrupt the paragraph before it.
                prose.append("")
            if not line.strip() and any(p.strip() for p in prose):
                after_code = False  # the paragraph that continued the list item has ended
            prose.append(line)
    if code is not None:  # an unclosed fence: show what there is
        pieces.append(("code", "\n".join(code)))
    pieces.append(("markdown", "\n".join(prose)))
    return [(kind, chunk) for kind, chunk in pieces if chunk.strip()]


def markdown_file(console: Console, path: Path, *, drop_title: bool = False) -> None:
    """A task's text. Code blocks are printed as they are, never wrapped into extra lines, so that a
    command copied from the terminal is the command the task wrote (the terminal only folds it).
    drop_title leaves out a first-line `# heading` when the caller has printed the task's title already."""
    from rich.markdown import Markdown

    text = path.read_text(encoding="utf-8")
    if drop_title and text.lstrip().startswith("# "):
        text = text.lstrip().split("\n", 1)[1] if "\n" in text.lstrip() else ""
    for kind, chunk in markdown_segments(text):
        if kind == "markdown":
            console.print(Markdown(chunk))
        else:
            console.print()
            for line in chunk.splitlines():
                console.print(Text("    " + line, style="cyan"), soft_wrap=True)
            console.print()


def services_table(console: Console, view: InstanceView) -> None:
    """Each service's state and ports, then its URLs whole, one per line (a URL holds the instance's password:
    cut to the terminal's width, it could not be copied)."""
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("service")
    table.add_column("state")
    table.add_column("ports")
    for sv in view.services:
        st = sv.status
        state = f"[{STATE_STYLE[st.state]}]{st.state.value}[/]"
        if st.detail and st.detail != st.state.value and st.state is not ServiceState.RUNNING:
            state += f" [dim]({escape(st.detail)})[/]"
        table.add_row(escape(st.service), state, ", ".join(f"127.0.0.1:{h}" for h in st.ports.values()))
    console.print(table)
    urls = [(key, url) for sv in view.services for key, url in sv.urls.items()]
    if urls:
        console.print()
        for key, url in urls:
            console.print(Text(f"  {key}={url}"), soft_wrap=True)


def newer_images(console: Console, view: InstanceView) -> None:
    """A service that keeps its own file system (the Linux box) keeps the image it was made with: say when the
    lab's recipe now makes another one, and how to move to it."""
    named = "" if view.instance == view.lab.id else f" --name {view.instance}"
    for sv in view.services:
        newer = sv.newer_image()
        if newer is None:
            continue
        console.print(f"[yellow]{escape(sv.status.service)} runs the image it was made with "
                      f"({escape(sv.made_from)}); the lab now has {escape(newer)}.[/] "
                      f"[cyan]labctl reset{named}[/] moves it there (its system files start over; /home stays).",
                      soft_wrap=True)


def connection_help(console: Console, view: InstanceView) -> None:
    for sv in view.services:
        for key, url in sv.urls.items():
            console.print(f"  [bold]{key}[/]={escape(url)}", soft_wrap=True)
        if sv.client_hint:
            shell = "  or  [cyan]labctl shell[/]" if sv.spec is not None and sv.spec.shell else ""
            console.print(f"  Connect with: [cyan]{escape(sv.client_hint)}[/]{shell}", soft_wrap=True)
    if view.services:
        console.print('  Put these settings into your shell with: [cyan]eval "$(labctl env)"[/]')
    if view.workspace:
        console.print(f"  Your files: {escape(str(view.workspace))}")
    settings_help(console, view)


def shell_quoted(value: str) -> str:
    """A value as a learner types it in a shell: double quotes when it has spaces or specials."""
    if value and all(c.isalnum() or c in "-_./:=@%+," for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


def settings_help(console: Console, view: InstanceView) -> None:
    """The lab's settings: what is set, and how to set what is not."""
    for setting in view.lab.settings.values():
        value = view.settings.get(setting.name)
        if value is None:
            example = shell_quoted(setting.example) if setting.example else "VALUE"
            console.print(f"  [bold]{setting.name}[/] is not set yet. Set it with "
                          f"[cyan]labctl config set {setting.name} {escape(example)}[/]")
            console.print(f"    [dim]{escape(setting.description)}[/]")
        else:
            console.print(f"  [bold]{setting.name}[/] = {escape(value)}  "
                          f"[dim](change it: labctl config set {setting.name} ...)[/]")


def task_header(console: Console, lab: Lab, task: Task, done: bool = False) -> None:
    number = lab.tasks.index(task) + 1
    mark = " [green]✔ done[/]" if done else ""
    console.rule(f"[bold]Task {number} of {len(lab.tasks)}: {escape(task.title)}[/]{mark}", align="left")


COMMAND_CUES = (" Try it: ", " See it: ")


def split_command(message: str) -> tuple[str, str | None]:
    """A check's message without the command at its end ("... Try it: curl -i ..."), and that command."""
    for cue in COMMAND_CUES:
        prose, found, command = message.rpartition(cue)
        if found and command.strip():
            return f"{prose} {cue.strip()}", command.strip()
    return message, None


def check_results(console: Console, results: Iterable["TaskResult"], verbose: bool = False,
                  focus: bool = False) -> None:
    """Each task's mark and its problems. With focus, only the first unfinished task's problems are
    detailed: a beginner on task 1 need not read why tasks 2 to 8 are not done yet."""
    said_before: set[str] = set()  # a problem shared by many tasks (e.g. "is your app running?") is told once
    detailed_one = False
    for result in results:
        console.print(f"{MARK[result.status.value]} [bold]{escape(result.title)}[/] [dim]({result.task})[/]")
        if focus and not verbose and result.status.value == "failed":
            if detailed_one:
                console.print(f"    [dim]not done yet (details: labctl check {result.task})[/]")
                continue
            detailed_one = True
        said: set[str] = set()
        repeated = False
        for check in result.checks:
            if (check.status.value == "passed" and not verbose) or check.message in said:
                continue
            if check.message in said_before and not verbose:
                repeated = True
                continue
            said.add(check.message)
            prose, command = split_command(check.message)
            console.print(f"    {MARK[check.status.value]} {escape(prose)}")
            if command:
                # A command to paste goes on a line of its own, never wrapped: a line break inside a token or a
                # cookie would break it (the terminal still wraps it on screen, and copies it whole).
                console.print(Text(f"      {command}", style="cyan"), soft_wrap=True)
            if check.status.value != "passed" and check.expected is not None and verbose:
                console.print(f"      [dim]expected:[/] {escape(str(check.expected))}")
                console.print(f"      [dim]found:   [/] {escape(str(check.found))}")
            if verbose and check.evidence:
                console.print(f"      [dim]ran: {escape(check.evidence)}[/]")
        if repeated and not said:
            console.print("    [dim](the same problem as above)[/]")
        said_before |= said


def stages_table(console: Console, rows: list[tuple[int, int, int]]) -> None:
    """rows: (stage, labs done, labs in stage)."""
    from rich.table import Table

    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("stage", justify="right")
    table.add_column("topic")
    table.add_column("labs done")
    table.add_column("")
    for stage, done, total in rows:
        bar = "[green]" + "■" * done + "[/]" + "[dim]" + "□" * (total - done) + "[/]" if total else "[dim]no labs yet[/]"
        table.add_row(str(stage), ROADMAP_STAGES[stage], f"{done}/{total}", bar)
    console.print(table)
