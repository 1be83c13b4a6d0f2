"""Which instances exist and which one a command means: the engine's labelled containers, plus the
records labctl keeps (labs without services, the settings a learner chose, the "current" instance)."""
from __future__ import annotations

from pathlib import Path

from labctl.core import events, instance_config, naming
from labctl.core.errors import EngineUnavailableError, InstanceNotFoundError, LabctlError
from labctl.core.events import Emit
from labctl.core.instance_records import InstanceRecord, InstanceRecords
from labctl.core.loader import LabLoader
from labctl.core.locks import instance_lock
from labctl.core.model import Lab
from labctl.runtime.base import InstanceSummary, Runtime

CURRENT_FILE = "current"


class InstanceDirectory:
    """Finds instances and their labs; never starts or stops anything."""

    def __init__(self, home: Path, runtime: Runtime, loader: LabLoader, emit: Emit = events.discard):
        self.home = home
        self.runtime = runtime
        self.loader = loader
        self.records = InstanceRecords(home)
        self.emit = emit  # says when leftovers of killed labctl processes were removed

    # -- which instance a command means

    def resolve(self, name: str | None, cwd: Path | None = None) -> str:
        """The instance a command means: the one named, else the only one, else the one whose workspace holds
        the current folder (two instances of a lab, one per workspace), else the last started."""
        if name:
            return naming.validate_instance(name)
        existing = self._for_resolving()
        if len(existing) == 1:
            return existing[0].instance
        here = _inside_workspace(existing, cwd or Path.cwd())
        if here is not None:
            return here
        current = self.current()
        if current and any(i.instance == current for i in existing):
            return current
        if not existing:
            raise InstanceNotFoundError("no lab is running", "Start one with `labctl start <lab>` (`labctl list` shows them).")
        names = ", ".join(i.instance for i in existing)
        raise LabctlError(f"several labs exist ({names}); say which", "Add the lab's name, e.g. `labctl check --name NAME`.")

    def current(self) -> str | None:
        """The instance started last (by a learner, not by tests or grading)."""
        try:
            return (self.home / CURRENT_FILE).read_text().strip() or None
        except OSError:
            return None

    def set_current(self, instance: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / CURRENT_FILE).write_text(instance + "\n")

    def forget_current(self, instance: str) -> None:
        if self.current() == instance:
            (self.home / CURRENT_FILE).unlink(missing_ok=True)

    def _for_resolving(self) -> list[InstanceSummary]:
        """Every instance; without an engine, those that need none (unless the current one needs it)."""
        try:
            return self.all()
        except EngineUnavailableError:
            local = self.local()
            current = self.records.get(self.current() or "") if self.current() else None
            if not local or (current is not None and current.containers):
                raise
            return local

    # -- what exists

    def all(self) -> list[InstanceSummary]:
        """Every instance: those with containers (found by label) and those of labs without services.
        Throwaway instances whose labctl was killed are removed on the way (core/leftovers.py)."""
        from labctl.core.leftovers import remove_leftovers

        local = self.local()
        names = {i.instance for i in local}
        found = remove_leftovers(self.runtime, self.runtime.list(), self.home, self.emit)
        return sorted(local + [i for i in found if i.instance not in names], key=lambda i: i.instance)

    def sweep(self) -> None:
        """Remove the leftovers of killed labctl processes: what all() does on its way, and also instances of
        which only a network or a volume is left."""
        from labctl.core.leftovers import remove_leftovers, remove_orphaned

        remove_leftovers(self.runtime, self.runtime.list(), self.home, self.emit)
        remove_orphaned(self.runtime, self.home, self.emit)

    def local(self) -> list[InstanceSummary]:
        """The instances of labs without services: their records are all there is of them."""
        return [InstanceSummary(r.instance, r.lab, (), r.workspace) for r in self.records.all() if not r.containers]

    def summary(self, instance: str, lab: Lab | None = None) -> InstanceSummary | None:
        """The instance as the engine (or its record) knows it; None when it does not exist."""
        record = self.records.get(instance)
        if record is not None and not record.containers:
            return InstanceSummary(instance, record.lab, (), record.workspace)
        if lab is not None and not lab.services:
            return None  # a lab without services needs no engine, even to learn that the instance is new
        statuses = self.runtime.status(instance)
        if not statuses:
            return None
        workspace = statuses[0].workspace or (record.workspace if record else "")
        return InstanceSummary(instance, statuses[0].lab, tuple(statuses), workspace)

    def found(self, instance: str) -> InstanceSummary:
        """The instance's summary. Raises InstanceNotFoundError when there is none."""
        summary = self.summary(instance)
        if summary is None:
            raise InstanceNotFoundError(f"there is no lab instance called {instance!r}",
                                        "Run `labctl list` to see the labs, and `labctl start <lab>` to start one.")
        return summary

    def lab_of(self, instance: str) -> Lab:
        """The instance's lab, loaded without validating its checks (those who run checks validate them)."""
        return self.loader.load(self.found(instance).lab, checks=False)

    def has_services(self, instance: str) -> bool:
        """Whether the instance runs containers, known without asking the engine (unknown: assume it does)."""
        record = self.records.get(instance)
        return record is None or record.containers

    # -- settings (`labctl config`)

    def set_setting(self, instance: str, name: str, value: str | None) -> None:
        """Give the instance a setting's value (None: back to the lab's default)."""
        lab = self.lab_of(instance)
        if value is None:
            instance_config.lookup(lab, name)
        else:
            instance_config.validated(lab, name, value)
        with instance_lock(self.home, instance, events.discard):
            record = self.records.get(instance) or InstanceRecord(instance, lab.id, containers=bool(lab.services))
            if value is None:
                record.settings.pop(name, None)
            else:
                record.settings[name] = value
            self.records.save(record)

    def chosen_settings(self, instance: str) -> dict[str, str]:
        record = self.records.get(instance)
        return dict(record.settings) if record else {}


def _inside_workspace(instances: list[InstanceSummary], folder: Path) -> str | None:
    """The instance whose workspace holds folder (the deepest, if workspaces nest), or None."""
    try:
        here = folder.resolve()
    except OSError:
        return None
    best: tuple[int, str] | None = None
    for summary in instances:
        if not summary.workspace:
            continue
        workspace = Path(summary.workspace).resolve()
        if here == workspace or workspace in here.parents:
            depth = len(workspace.parts)
            if best is None or depth > best[0]:
                best = (depth, summary.instance)
    return best[1] if best else None
