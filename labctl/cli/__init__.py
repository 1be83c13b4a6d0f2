"""labctl's command line: the root group, global options, and the single exit path."""
from __future__ import annotations

import importlib
import os
import sys

import click

from labctl.core.env_names import ENV_DEBUG, ENV_QUIET, debug_from
from labctl.core.exit_codes import ExitCode

# name -> (module under labctl.cli.commands, attribute, short help). Imported only when run,
# so `labctl --help` never loads the docker SDK, psycopg or rich.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "list": ("list_labs", "list_labs", "List the labs, grouped by roadmap stage."),
    "start": ("start", "start", "Start a lab's services and show the first task."),
    "status": ("status", "status", "Show each service's state and how to reach it."),
    "tasks": ("tasks", "tasks", "List the lab's tasks and which are done."),
    "task": ("tasks", "task", "Show a task's instructions (the next one by default)."),
    "check": ("check", "check", "Check your work against the live services."),
    "hint": ("hint", "hint", "Reveal the next hint for a task."),
    "config": ("config", "config", "See and change the lab's settings (e.g. how to run your program)."),
    "app": ("app_cmd", "app_group", "Run your own app for you: start, stop, restart, status, logs."),
    "env": ("env", "env", "Print connection settings as shell exports."),
    "shell": ("shell", "shell", "Open the service's own shell (psql) inside its container."),
    "ssh": ("ssh", "ssh", "Log in to the lab's Linux box over SSH."),
    "logs": ("logs", "logs", "Show a service's logs."),
    "stop": ("stop", "stop", "Stop a lab; its data is kept."),
    "destroy": ("destroy", "destroy", "Remove a lab's containers and data (asks first)."),
    "reset": ("reset", "reset", "Put a lab's data back to its starting state (asks first)."),
    "grade": ("grade", "grade", "Grade a submission on a fresh throwaway instance (course CI)."),
    "progress": ("progress", "progress", "Show your progress along the ten roadmap stages."),
    "doctor": ("doctor", "doctor", "Check the container engine and this machine."),
    "images": ("images", "images", "Images for the labs: list, pull, build, save/load bundles, prune."),
    "lab": ("lab", "lab", "For lab authors: self-test, validate, JSON Schema."),
}

EPILOG = (
    "Exit codes: 0 ok, 1 error, 2 usage, 3 checks ran and some failed, "
    "4 engine unreachable, 5 service not ready, 130 interrupted."
)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module = importlib.import_module(f"labctl.cli.commands.{entry[0]}")
        return getattr(module, entry[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from labctl import __version__

        click.echo(f"labctl {__version__}")
        ctx.exit(0)


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, envvar=ENV_QUIET, show_envvar=True,
              help="Print only results and errors.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show labctl's version.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """labctl runs hands-on backend labs in local containers and checks your work.

    Start with `labctl list`, then `labctl start databases-101`.
    """
    from labctl.cli.app import App

    if isinstance(ctx.obj, App):  # tests hand in an App with a runtime of their own
        ctx.obj.quiet = ctx.obj.quiet or quiet
    else:
        ctx.obj = App(quiet=quiet)


def main(argv: list[str] | None = None, obj=None) -> None:
    """Run labctl; the only place that decides the process's exit code. `obj`: an App of a test's own."""
    debug = debug_from(os.environ)
    try:
        code = cli.main(args=argv, prog_name="labctl", standalone_mode=False, obj=obj)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("\nInterrupted. Anything half-started is left as it was: run the same command again to finish it, "
                   "or `labctl status` to see where things are.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as exc:  # the last line of defence: no traceback unless asked
        from labctl.core.errors import LabctlError

        if debug:
            raise
        if isinstance(exc, LabctlError):
            from labctl.cli.app import print_error

            print_error(exc)
            sys.exit(exc.exit_code)
        click.echo(f"error: labctl hit an unexpected problem: {type(exc).__name__}: {exc}", err=True)
        click.echo(f"Run the command again with {ENV_DEBUG}=1 to see the details, and report it.", err=True)
        sys.exit(ExitCode.ERROR)
