"""The App in click's context: settings, consoles, the lab manager, and the one way to end in error."""
from __future__ import annotations

import json
from functools import cached_property
from typing import Any, NoReturn

import click

from labctl.core.errors import LabctlError
from labctl.core.events import Event
from labctl.core.exit_codes import ExitCode
from labctl.core.settings import Settings


def _console(stderr: bool):
    from rich.console import Console

    # rich honours NO_COLOR and drops colour when not writing to a terminal.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_error(exc: LabctlError) -> None:
    from rich.markup import escape

    err = _console(True)
    err.print(f"[bold red]error:[/] {escape(exc.message)}")
    if exc.hint:
        for line in exc.hint.splitlines():
            err.print(f"  {escape(line)}")


class App:
    """What every command uses. Tests may hand it a runtime and drivers of their own (the fake runtime)."""

    def __init__(self, *, quiet: bool = False, settings: Settings | None = None, runtime=None, drivers=None):
        self.quiet = quiet
        self.settings = settings or Settings.from_environ()
        if runtime is not None:
            self.__dict__["runtime"] = runtime
        self._drivers = drivers

    @cached_property
    def console(self):
        return _console(False)

    @cached_property
    def err(self):
        return _console(True)

    @cached_property
    def loader(self):
        from labctl.core.loader import LabLoader

        return LabLoader(self.settings.extra_lab_dirs)

    @cached_property
    def runtime(self):
        from labctl.runtime import runtime_for

        return runtime_for(self.settings)

    @cached_property
    def manager(self):
        from labctl.core.manager import LabManager

        return LabManager(self.settings, self.runtime, self.loader, self._drivers, emit=self.emit)

    @cached_property
    def progress(self):
        from labctl.core.learner_progress import ProgressStore

        return ProgressStore(self.settings.home)

    def emit(self, event: Event) -> None:
        """Show a core event as one line on stderr (nothing in quiet mode)."""
        if self.quiet:
            return
        from labctl.cli import ui

        ui.show_event(self.err, event)

    def say(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text)

    def print_json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, default=str))

    def abort(self, message: str, code: ExitCode = ExitCode.ERROR, hint: str | None = None) -> NoReturn:
        raise LabctlError(message, hint, exit_code=code)

    def confirm(self, question: str, yes: bool) -> None:
        """Ask before deleting learner data; --yes skips the question. Without a terminal, refuse."""
        if yes:
            return
        import sys

        if not sys.stdin.isatty():
            self.abort("this deletes data and needs confirmation; nothing was changed",
                       hint="Run it again with --yes to confirm.")
        if not click.confirm(question, default=False):
            self.abort("nothing was changed", hint="Run it again and answer y, or add --yes.")
