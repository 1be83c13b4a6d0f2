"""Read labs/<id>/lab.yaml and the catalog into a Lab; every error names the file and the field."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from labctl.core import resources
from labctl.core.catalog import load_service, resource_limits
from labctl.core.errors import LabFileError, UnknownLabError
from labctl.core.file_models import (ID_RE, AppStep, CheckEntry, ConfigStep, CopyStep, GradeSqlStep, LabModel, RunStep,
                                     SqlStep)
from labctl.core.instance_config import setting_problem
from labctl.core.model import (AppLaunch, BugSwitch, CheckSpec, EquivalentMutant, GradeStep, Grading, Lab, LabProcess,
                               LabSecret, NearMiss, ServiceSpec, Setting, Step, Task, Variant)
from labctl.core.validation import raise_for
from labctl.core.yamlfile import read_yaml
from labctl.services import driver_for

LAB_FILE = "lab.yaml"


class LabLoader:
    """Finds and loads labs from the bundled labs/ folder and any extra folders (LABCTL_LABS_DIR)."""

    def __init__(self, lab_dirs: Iterable[Path] = (), compose_dir: Path | None = None, include_bundled: bool = True):
        dirs = list(lab_dirs)
        if include_bundled:
            dirs.append(resources.labs_dir())
        self.lab_dirs = dirs
        self.compose_dir = compose_dir

    def ids(self) -> list[str]:
        found: set[str] = set()
        for folder in self.lab_dirs:
            if folder.is_dir():
                found.update(p.parent.name for p in folder.glob(f"*/{LAB_FILE}") if ID_RE.match(p.parent.name))
        return sorted(found)

    def path_of(self, lab_id: str) -> Path:
        if not ID_RE.match(lab_id):
            raise UnknownLabError(lab_id, self.ids())
        for folder in self.lab_dirs:
            candidate = folder / lab_id
            if (candidate / LAB_FILE).is_file():
                return candidate
        raise UnknownLabError(lab_id, self.ids())

    def load(self, lab_id: str, *, checks: bool = True) -> Lab:
        """The lab, validated; with checks=False its checks are validated when first used (no family imported)."""
        return load_lab_dir(self.path_of(lab_id), compose_dir=self.compose_dir, checks=checks)

    def load_all(self, *, checks: bool = True) -> list[Lab]:
        return [self.load(i, checks=checks) for i in self.ids()]


def load_lab_dir(folder: Path, *, compose_dir: Path | None = None, checks: bool = True) -> Lab:
    """Load and validate one lab folder (its checks too unless checks=False). Raises LabFileError."""
    path = folder / LAB_FILE
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise LabFileError(path, None, "lab.yaml must be a mapping (id, title, stage, tasks, ...)")
    try:
        model = LabModel.model_validate(data)
    except ValidationError as exc:
        raise_for(path, exc)
    if model.id != folder.name:
        raise LabFileError(path, "id", f"is {model.id!r} but the folder is called {folder.name!r}; they must match")
    return _Resolver(folder, path, model, compose_dir, checks).lab()


class _Resolver:
    def __init__(self, folder: Path, path: Path, model: LabModel, compose_dir: Path | None, checks: bool = True):
        self.folder = folder
        self.root = folder.resolve()
        self.path = path
        self.model = model
        self.compose_dir = compose_dir
        self.eager_checks = checks  # False: each check is validated when first used

    def lab(self) -> Lab:
        model = self.model
        services = self._services()
        self.settings = {name: Setting(name, m.description.strip(), m.kind, m.default, m.example, m.env)
                         for name, m in model.settings.items()}
        self._setting_variables(model)
        for name, setting in self.settings.items():
            if setting.default is not None:
                problem = setting_problem(setting, setting.default)
                if problem:
                    raise LabFileError(self.path, f"settings.{name}.default", problem)
        seed = tuple(self._step(s, f"seed[{i}]", services) for i, s in enumerate(model.seed))
        workspace = self._lab_path(model.workspace, "workspace", folder=True) if model.workspace else None
        tasks = self._tasks(services)
        near = self._near_misses(services, {t.id for t in tasks})
        variants = self._variants(services, {t.id for t in tasks}, {n.id for n in near})
        switches, equivalent = self._mutants(services, {t.id for t in tasks})
        return Lab(
            id=model.id, title=model.title, stage=model.stage, summary=model.summary.strip(),
            minutes=model.minutes, path=self.folder, services=services, seed=seed,
            workspace=workspace, tasks=tasks, near_misses=near, variants=variants,
            bug_switches=switches, equivalent_mutants=equivalent,
            plumbing_lines=tuple(g for p in model.mutants.plumbing for g in p.lines),
            secrets={name: LabSecret(name, m.description.strip(), m.bytes_) for name, m in model.secrets.items()},
            settings=self.settings,
            processes=self._processes(),
            grading=self._grading(services),
        )

    # -- paths

    def _lab_path(self, relative: str, field: str, *, folder: bool = False) -> Path:
        """A path inside the lab folder; refuses absolute paths, `..` and symlinks that leave it."""
        if not relative or Path(relative).is_absolute() or "\\" in relative:
            raise LabFileError(self.path, field, f"{relative!r} must be a relative path inside the lab folder")
        try:
            resolved = (self.folder / relative).resolve()
            if not resolved.is_relative_to(self.root):
                raise LabFileError(self.path, field, f"{relative!r} points outside the lab folder")
            exists = resolved.is_dir() if folder else resolved.is_file()
        except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system
            raise LabFileError(self.path, field, f"{relative[:80]!r} is not a usable path ({exc})") from None
        if not exists:
            kind = "folder" if folder else "file"
            raise LabFileError(self.path, field, f"{kind} {relative!r} does not exist in {self.folder}")
        return resolved

    def _workspace_path(self, relative: str, field: str) -> None:
        parts = Path(relative).parts
        if not relative or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
            raise LabFileError(self.path, field, f"{relative!r} must be a relative path inside the workspace, without '..'")

    # -- services

    def _services(self) -> dict[str, ServiceSpec]:
        out: dict[str, ServiceSpec] = {}
        for name, entry in self.model.services.items():
            catalog = entry.catalog or name
            try:
                out[name] = load_service(catalog, name=name, overrides=entry.environment, compose_dir=self.compose_dir)
            except LabFileError as exc:
                if exc.path == self.path:
                    raise
                raise LabFileError(self.path, f"services.{name}", exc.message, exc.hint) from None
            if entry.limits is not None:
                limits = resource_limits(self.path, f"services.{name}.limits", entry.limits, out[name].limits)
                out[name] = replace(out[name], limits=limits)
        return out

    def _default_service(self, kind: str | None, field: str, services: dict[str, ServiceSpec]) -> str | None:
        if kind is None:
            return None
        matching = [n for n, s in services.items() if s.kind == kind]
        if len(matching) == 1:
            return matching[0]
        if not matching:
            raise LabFileError(self.path, field, f"needs a {kind} service, and the lab has none (add one under services)")
        raise LabFileError(self.path, f"{field}.service", f"the lab has several {kind} services ({', '.join(matching)}); say which")

    def _step_service(self, action: str, service: str | None, field: str, services: dict[str, ServiceSpec]) -> str:
        """The service a `sql:` or `run:` step goes to: the one named, else the only one whose driver runs the action."""
        if service is None:
            able = [n for n, s in services.items() if action in driver_for(s.kind).step_actions]
            if len(able) == 1:
                return able[0]
            if not able:
                raise LabFileError(self.path, field, f"a `{action}:` step needs a service that runs it, and the lab has none")
            raise LabFileError(self.path, f"{field}.service", f"several services can run it ({', '.join(able)}); say which")
        if service not in services:
            raise LabFileError(self.path, f"{field}.service", f"the lab has no service {service!r}")
        driver = driver_for(services[service].kind)
        if action not in driver.step_actions:
            runs = " or ".join(f"`{a}:`" for a in sorted(driver.step_actions))
            raise LabFileError(self.path, f"{field}.service",
                               f"{service!r} ({driver.title or driver.kind}) cannot run `{action}:` steps; it runs {runs}")
        return service

    def _step(self, raw: Any, field: str, services: dict[str, ServiceSpec]) -> Step:
        if isinstance(raw, SqlStep):
            source = self._lab_path(raw.sql, f"{field}.sql")
            return Step("sql", source, service=self._step_service("sql", raw.service, field, services))
        if isinstance(raw, RunStep):
            service = self._step_service("run", raw.service, field, services)
            return Step("run", self._lab_path(raw.run, f"{field}.run"), service=service)
        if isinstance(raw, ConfigStep):
            for name, value in raw.config.items():
                self._setting_name(name, f"{field}.config.{name}")
                problem = setting_problem(self.settings[name], value)
                if problem:
                    raise LabFileError(self.path, f"{field}.config.{name}", problem)
            return Step("config", values=dict(raw.config))
        if isinstance(raw, AppStep):
            spec = raw.app
            if spec.in_ == "lab":
                folder = self._lab_path(spec.dir, f"{field}.app.dir", folder=True)
                relative = str(folder.relative_to(self.root))
            else:
                if spec.dir != ".":
                    self._workspace_path(spec.dir, f"{field}.app.dir")
                relative = spec.dir
            self._setting_name(spec.url_setting, f"{field}.app.url-setting")
            if self.settings[spec.url_setting].kind != "url":
                raise LabFileError(self.path, f"{field}.app.url-setting", f"setting {spec.url_setting!r} is not a url setting")
            return Step("app", app=AppLaunch(spec.command, relative, spec.in_ == "workspace", spec.url_setting))
        assert isinstance(raw, CopyStep)
        self._workspace_path(raw.to, f"{field}.to")
        return Step("copy", self._lab_path(raw.copy_, f"{field}.copy"), target=raw.to)

    def _grading(self, services: dict[str, ServiceSpec]) -> Grading | None:
        model = self.model.grading
        if model is None:
            return None
        steps = []
        for i, raw in enumerate(model.steps):
            field = f"grading.steps[{i}]"
            if isinstance(raw, GradeSqlStep):
                action, pattern = "sql", raw.sql
            else:
                action, pattern = "run", raw.run
            service = self._step_service(action, raw.service, field, services)
            self._workspace_path(pattern, f"{field}.{action}")
            steps.append(GradeStep(action, pattern, service))
        return Grading(model.summary.strip(), tuple(steps))

    def _processes(self) -> dict[str, LabProcess]:
        out = {}
        for name, m in self.model.processes.items():
            field = f"processes.{name}"
            self._setting_name(m.command, f"{field}.command")
            if self.settings[m.command].kind != "command":
                raise LabFileError(self.path, f"{field}.command", f"setting {m.command!r} is not a command setting")
            if m.url is not None:
                self._setting_name(m.url, f"{field}.url")
                if self.settings[m.url].kind != "url":
                    raise LabFileError(self.path, f"{field}.url", f"setting {m.url!r} is not a url setting")
            out[name] = LabProcess(name, m.command, m.url, m.description.strip())
        return out

    def _setting_variables(self, model) -> None:
        """A setting's environment variable is its own: no other setting's, and no secret's."""
        seen: dict[str, str] = {}
        for name, m in model.settings.items():
            if m.env is None:
                continue
            if m.env in model.secrets:
                raise LabFileError(self.path, f"settings.{name}.env", f"{m.env} is also the name of a secret")
            if m.env in seen:
                raise LabFileError(self.path, f"settings.{name}.env", f"{m.env} is also the variable of {seen[m.env]}")
            seen[m.env] = name

    def _setting_name(self, name: str, field: str) -> None:
        if name not in self.settings:
            known = ", ".join(self.settings) or "none"
            raise LabFileError(self.path, field, f"{name!r} is not a setting of this lab (its settings: {known})",
                               "Declare it under `settings:` in lab.yaml.")

    # -- tasks and checks

    def _tasks(self, services: dict[str, ServiceSpec]) -> tuple[Task, ...]:
        seen: set[str] = set()
        tasks = []
        for i, t in enumerate(self.model.tasks):
            field = f"tasks[{i}]"
            if t.id in seen:
                raise LabFileError(self.path, f"{field}.id", f"task id {t.id!r} is used twice")
            for j, need in enumerate(t.needs):
                if need not in seen:
                    raise LabFileError(self.path, f"{field}.needs[{j}]", f"{need!r} is not a task that comes before {t.id!r}")
            checks = tuple(self._check(c, f"{field}.checks[{j}]", j, services) for j, c in enumerate(t.checks))
            tasks.append(Task(
                id=t.id, title=t.title,
                instructions=self._lab_path(t.instructions, f"{field}.instructions"),
                hints=tuple(h.strip() for h in t.hints),
                checks=checks, needs=tuple(t.needs),
                solution=tuple(self._step(s, f"{field}.solution[{j}]", services) for j, s in enumerate(t.solution)),
                weight=t.weight,
            ))
            seen.add(t.id)
        return tuple(tasks)

    def _check(self, entry: CheckEntry, field: str, index: int, services: dict[str, ServiceSpec]) -> CheckSpec:
        if self.eager_checks:
            return CheckSpec(entry.type, self._validated_check(entry, field, services), index)
        return CheckSpec(entry.type, None, index, resolve=lambda: self._validated_check(entry, field, services))

    def _validated_check(self, entry: CheckEntry, field: str, services: dict[str, ServiceSpec]):
        from labctl.check_engine import registry  # the check families load here, when a check is first needed

        cls = registry.get(entry.type)
        if cls is None:
            known = ", ".join(registry.all_types())
            raise LabFileError(self.path, f"{field}.type", f"unknown check type {entry.type!r}", f"Known check types: {known}.")
        params = dict(entry.model_extra or {})
        try:
            check = cls.model_validate(params)
        except ValidationError as exc:
            raise_for(self.path, exc, prefix=field)
        if check.service is None:
            default = self._default_service(cls.service_kind, field, services)
            if default is not None:
                check = check.model_copy(update={"service": default})
        elif check.service not in services:
            raise LabFileError(self.path, f"{field}.service", f"the lab has no service {check.service!r}")
        elif cls.service_kind and services[check.service].kind != cls.service_kind:
            raise LabFileError(self.path, f"{field}.service", f"{entry.type} needs a {cls.service_kind} service, and {check.service!r} is {services[check.service].kind}")
        for name in cls.workspace_paths:
            value = getattr(check, name, None)
            if value is not None:
                self._workspace_path(value, f"{field}.{name}")
        for name in cls.lab_paths:
            value = getattr(check, name, None)
            if value is not None:
                self._lab_path(value, f"{field}.{name}")
        for name in cls.setting_fields:
            value = getattr(check, name, None)
            for one in ([value] if isinstance(value, str) else value or ()):
                self._setting_name(one, f"{field}.{name}")
        for name in cls.seconds_setting_fields:
            for one in getattr(check, name, None) or ():
                self._setting_name(one, f"{field}.{name}")
                if self.settings[one].kind != "seconds":
                    raise LabFileError(self.path, f"{field}.{name}", f"setting {one!r} is not a seconds setting")
        return check

    def _near_misses(self, services: dict[str, ServiceSpec], task_ids: set[str]) -> tuple[NearMiss, ...]:
        out = []
        seen: set[str] = set()
        for i, n in enumerate(self.model.near_misses):
            field = f"near_misses[{i}]"
            if n.id in seen:
                raise LabFileError(self.path, f"{field}.id", f"near miss id {n.id!r} is used twice")
            seen.add(n.id)
            if n.task not in task_ids:
                raise LabFileError(self.path, f"{field}.task", f"{n.task!r} is not a task of this lab")
            steps = tuple(self._step(s, f"{field}.steps[{j}]", services) for j, s in enumerate(n.steps))
            out.append(NearMiss(n.id, n.task, n.description.strip(), steps, n.expect))
        return tuple(out)

    def _mutants(self, services: dict[str, ServiceSpec],
                 task_ids: set[str]) -> tuple[tuple[BugSwitch, ...], tuple[EquivalentMutant, ...]]:
        from pydantic import TypeAdapter

        from labctl.core.file_models import StepModel

        switches: list[BugSwitch] = []
        seen: set[tuple[str, str]] = set()
        for i, entry in enumerate(self.model.mutants.bug_switches):
            field = f"mutants.bug_switches[{i}]"
            if entry.task not in task_ids:
                raise LabFileError(self.path, f"{field}.task", f"{entry.task!r} is not a task of this lab")
            raw_steps = [s.model_dump(by_alias=True, exclude_defaults=True) for s in entry.steps]
            if "{bug}" not in repr(raw_steps):
                raise LabFileError(self.path, f"{field}.steps", "no step says {bug}: where does the bug's name go?")
            for j, bug in enumerate(entry.bugs):
                if not ID_RE.match(bug):
                    raise LabFileError(self.path, f"{field}.bugs[{j}]", f"{bug!r}: use lowercase letters, digits and dashes")
                if (entry.task, bug) in seen:
                    raise LabFileError(self.path, f"{field}.bugs[{j}]", f"{bug!r} is listed twice for {entry.task}")
                seen.add((entry.task, bug))
                steps = []
                for k, raw in enumerate(raw_steps):
                    filled = _fill(raw, "{bug}", bug)
                    model = TypeAdapter(StepModel).validate_python(filled)
                    steps.append(self._step(model, f"{field}.steps[{k}]", services))
                switches.append(BugSwitch(entry.task, bug, tuple(steps)))
        equivalent = []
        for i, entry in enumerate(self.model.mutants.equivalent):
            if entry.task not in task_ids:
                raise LabFileError(self.path, f"mutants.equivalent[{i}].task", f"{entry.task!r} is not a task of this lab")
            equivalent.append(EquivalentMutant(entry.task, entry.mutant, " ".join(entry.reason.split())))
        return tuple(switches), tuple(equivalent)

    def _variants(self, services: dict[str, ServiceSpec], task_ids: set[str], near_ids: set[str]) -> tuple[Variant, ...]:
        out = []
        seen: set[str] = set()
        for i, v in enumerate(self.model.variants):
            field = f"variants[{i}]"
            if v.id in seen or v.id in near_ids:
                raise LabFileError(self.path, f"{field}.id",
                                   f"{v.id!r} is used twice (variants and near misses share one set of ids)")
            seen.add(v.id)
            if v.task not in task_ids:
                raise LabFileError(self.path, f"{field}.task", f"{v.task!r} is not a task of this lab")
            steps = tuple(self._step(s, f"{field}.steps[{j}]", services) for j, s in enumerate(v.steps))
            out.append(Variant(v.id, v.task, v.description.strip(), steps))
        return tuple(out)


def _fill(value: Any, placeholder: str, text: str) -> Any:
    """A raw step (dicts, lists, strings) with every placeholder replaced."""
    if isinstance(value, str):
        return value.replace(placeholder, text)
    if isinstance(value, dict):
        return {k: _fill(v, placeholder, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, placeholder, text) for v in value]
    return value
