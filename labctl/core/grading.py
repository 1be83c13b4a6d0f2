"""`labctl grade`: a learner's submission, applied to a fresh throwaway instance, checked task by task.

Never the learner's own instance: a new ephemeral one with a unique name, random free ports and a
temporary workspace holding a copy of the submission. Whatever happens (a failure, Ctrl-C, SIGTERM
from a CI runner), the instance is removed by label before grade returns, and once more at exit
in case a service was still being created in a worker thread.
"""
from __future__ import annotations

import atexit
import secrets
import shutil
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from labctl.check_engine.result import Status
from labctl.core import events
from labctl.core.contained import Containment
from labctl.core.deadline import DEFAULT_GRADE_SECONDS, Deadline
from labctl.core.errors import EngineUnavailableError, LabctlError, ServiceNotReadyError
from labctl.core.events import Emit, Event
from labctl.core.grade_report import GradeNote, GradeReport, GradeTest
from labctl.core.manager import LabManager
from labctl.core.memory_limit import explanation, oom_kills
from labctl.core.model import Lab, Step
from labctl.core.submission import holds_reference

SKIPPED_NAMES = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
MAX_SUBMISSION_BYTES = 200 * 1024 * 1024


def grade(manager: LabManager, lab_id: str, submission: Path, *, settings: Mapping[str, str] | None = None,
          app_command: str | None = None, app_url: str | None = None, labels: Mapping[str, str] | None = None,
          timeout: float = DEFAULT_GRADE_SECONDS, containment: Containment | None = Containment(),
          emit: Emit = events.discard) -> GradeReport:
    """Grade the submission folder against the lab. Never raises for the learner's mistakes: they are in the
    report. Raises only for what makes grading impossible to even begin (unknown lab, missing folder).
    After `timeout` seconds the instance is taken down and the report says so: a submission cannot hang it.
    The submission's own program or app runs in a sandbox (`containment`), or on this machine when it is None."""
    started = time.monotonic()
    lab = manager.loader.load(lab_id)
    if app_command is None:
        # Launch mode: the submission's settings say how to start its app (`--set app="npm start"`); it is
        # started like --app, contained.
        app_command = next((settings[p.command_setting] for p in lab.processes.values()
                            if p.url_setting and (settings or {}).get(p.command_setting)), None)
        settings = {k: v for k, v in (settings or {}).items()
                    if not any(k == p.command_setting for p in lab.processes.values())}
    _check_gradable(lab, submission, settings or {}, app_command)
    report = GradeReport(lab.id, lab.title)
    instance = f"grade-{lab.id[:30]}-{secrets.token_hex(3)}"
    workspace = Path(tempfile.mkdtemp(prefix=f"labctl-grade-{lab.id}-"))
    cleanup = _Cleanup(manager, instance, workspace)
    atexit.register(cleanup.run)
    deadline = Deadline(timeout, lambda: _take_down(manager, instance))
    try:
        with _sigterm_as_interrupt(), deadline:
            _copy_submission(submission, workspace)
            report.holds_reference = holds_reference(lab, workspace)
            emit(Event(events.INFO, f"starting a fresh {lab.id} as {instance}"))
            manager.start(lab.id, name=instance, workspace=workspace, ephemeral=True, labels=labels, emit=emit)
            for name, value in (settings or {}).items():
                manager.set_setting(instance, name, value)
            commands = [value for name, value in (settings or {}).items() if lab.settings[name].kind == "command"]
            contained = None
            if containment and (app_command or commands):
                contained = manager.contain(instance, containment, emit)
                contained.open(app_command or commands[0], publish=bool(app_command))  # before the checks' clocks
            view = manager.view(instance, lab)
            notes = _apply_submission(manager, lab, view, workspace, emit)
            report.notes.extend(notes)
            if deadline.expired:
                raise LabctlError(deadline.message)
            if notes:  # a file that failed may have crashed its service: it recovers before the checks
                manager.wait_ready(instance, emit)
            if app_command:
                emit(Event(events.INFO, f"starting the app: {app_command}"))
                manager.start_app(view, app_command, workspace, url=app_url)
            emit(Event(events.INFO, "checking every task"))
            _, results = manager.check(instance)
            if contained is not None and contained.image:
                report.runner = {"language": contained.language, "image": contained.image,
                                 "versions": contained.versions}
            for task, result in zip(lab.tasks, results):
                status = {Status.PASSED: "pass", Status.FAILED: "fail", Status.ERROR: "error"}[result.status]
                problems = [c.message for c in result.checks if c.status is not Status.PASSED]
                report.tests.append(GradeTest(task.title, task.id, status, "\n".join(dict.fromkeys(problems)),
                                              sum(c.duration for c in result.checks), task.weight))
    except EngineUnavailableError as exc:
        report.fail_to_run(exc, exit_code=int(exc.exit_code))
    except ServiceNotReadyError as exc:
        report.fail_to_run(exc, exit_code=int(exc.exit_code))
    except LabctlError as exc:
        report.fail_to_run(exc, exit_code=int(exc.exit_code))
    finally:
        if deadline.expired:
            _out_of_time(report, lab, deadline)
        with _shielded():
            cleanup.run()
        atexit.unregister(cleanup.run)
        report.duration = time.monotonic() - started
    return report


def _take_down(manager: LabManager, instance: str) -> None:
    """At the deadline: stop the app and remove the instance under whatever still waits on it."""
    manager.stop_app(instance)
    manager.runtime.down(instance, remove=True, emit=events.discard)


def _out_of_time(report: GradeReport, lab: Lab, deadline: Deadline) -> None:
    """The grade ran out of time: say so, and count every task not checked yet as an error."""
    report.error = f"grading {deadline.message}; what was left unchecked counts as an error"
    report.error_exit_code = 1
    checked = {t.task for t in report.tests}
    for task in lab.tasks:
        if task.id not in checked:
            report.tests.append(GradeTest(task.title, task.id, "error", "not checked: grading ran out of time",
                                          0.0, task.weight))


def _check_gradable(lab: Lab, submission: Path, settings: Mapping[str, str], app_command: str | None) -> None:
    if not submission.is_dir():
        raise LabctlError(f"the submission folder {submission} does not exist",
                          "Give the folder that holds the learner's files: labctl grade LAB --workspace DIR")
    if lab.services and lab.grading is None:
        raise LabctlError(f"{lab.id} does not say how to grade a submission (it has no `grading:` section)",
                          "Its checks read the learner's live services; grade it on the learner's own machine "
                          "with `labctl check`, or add a grading section to its lab.yaml (docs/grading.md).")
    for name in settings:
        if name not in lab.settings:
            raise LabctlError(f"{lab.id} has no setting {name!r}",
                              f"Its settings: {', '.join(lab.settings) or 'none'}.")
    if app_command and not any(s.kind == "url" for s in lab.settings.values()):
        raise LabctlError(f"{lab.id} checks no app, so --app has nothing to do")


def _copy_submission(source: Path, target: Path) -> None:
    """Copy the learner's files (not version-control folders, dependencies or caches); symlinks are not followed."""
    total = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in SKIPPED_NAMES for part in relative.parts) or path.is_symlink():
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            total += path.stat().st_size
            if total > MAX_SUBMISSION_BYTES:
                raise LabctlError(f"the submission is larger than {MAX_SUBMISSION_BYTES // (1024 * 1024)} MiB",
                                  "Leave build output and dependencies out of it.")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def _apply_submission(manager: LabManager, lab: Lab, view, workspace: Path, emit: Emit) -> list[GradeNote]:
    """Run the submission's files as the lab's grading section says; a file that fails is a note, not the end."""
    notes: list[GradeNote] = []
    if lab.grading is None:
        return notes
    kills_seen: dict[str, int] = {}  # a fresh instance: every memory kill is one of this submission's files
    for step in lab.grading.steps:
        files = sorted(p for p in workspace.glob(step.pattern)
                       if p.is_file() and p.resolve().is_relative_to(workspace.resolve()))
        if not files:
            notes.append(GradeNote(step.pattern, f"no file matches {step.pattern}"))
            continue
        for path in files:
            shown = str(path.relative_to(workspace))
            emit(Event(events.INFO, f"applying {shown} to {step.service}"))
            try:
                # As a solution step is applied: the same driver, the same way.
                manager.apply_steps(view, (Step(step.action, path, service=step.service),))
            except LabctlError as exc:
                why = exc.message
                kills = oom_kills(manager.runtime, view.instance, step.service)
                if kills is not None and kills > kills_seen.get(step.service, 0):
                    kills_seen[step.service] = kills
                    why = f"{explanation(lab.services[step.service])} ({why})"
                notes.append(GradeNote(shown, f"failed: {why}"))
    return notes


class _Cleanup:
    """Remove the instance and its workspace, once, whichever of finally or atexit gets there first...
    and again at exit, in case a worker thread created a container after the first removal."""

    def __init__(self, manager: LabManager, instance: str, workspace: Path):
        self.manager, self.instance, self.workspace = manager, instance, workspace

    def run(self) -> None:
        try:
            self.manager.destroy(self.instance)
        except LabctlError:
            pass  # nothing was created, or it is already gone
        shutil.rmtree(self.workspace, ignore_errors=True)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A CI runner cancels with SIGTERM: treat it as Ctrl-C, so the instance is removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _shielded() -> Iterator[None]:
    """Cleanup must finish: a second Ctrl-C (or SIGTERM) during it is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
