"""Options shared by several commands."""
from __future__ import annotations

import click

from labctl.core.env_names import ENV_INSTANCE

name_option = click.option(
    "--name", "name", metavar="NAME", envvar=ENV_INSTANCE, show_envvar=True,
    help="Which lab instance (default: the only one running, else the last started).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")


def containment_options(command):
    """--runner, --image and --install: where a submission's own code runs when contained."""
    command = click.option("--install", metavar="CMD",
                           help="Run CMD first in the sandbox, with network (e.g. \"pip install -r requirements.txt\", "
                                "\"npm ci\"); the code itself then runs without.")(command)
    command = click.option("--image", metavar="IMAGE",
                           help="Run the code in this image (a course's own) instead of a labctl runner.")(command)
    command = click.option("--runner", metavar="LANGUAGE",
                           help="The runner to use: python, node, java, go or c (default: told by the command "
                                "and the files).")(command)
    return command


def containment_from(runner: str | None, image: str | None, install: str | None):
    from labctl.core.contained import Containment

    return Containment(runner=runner, image=image, install=install)


def pick_instance(app, positional: str | None, name: str | None) -> str:
    """The instance meant by a positional INSTANCE or --name (they must agree)."""
    if positional and name and positional != name:
        app.abort(f"two different instances given ({positional} and {name})", hint="Give one of them.")
    return app.manager.resolve_instance(positional or name)


def pick_task(app, lab, task_id: str | None, done: dict):
    """The task named, or else the one the learner is on (the last one when all are done)."""
    if task_id:
        task = lab.task(task_id)
        if task is None:
            app.abort(f"{lab.id} has no task {task_id!r}", hint=f"Its tasks: {', '.join(t.id for t in lab.tasks)}.")
        return task
    from labctl.core.learner_progress import next_task

    return next_task(lab, done) or lab.tasks[-1]
