"""Running one check from its lab.yaml form: outside any lab instance (run_entry: for live tests of check families
whose target is an app the test serves itself), or in a given context (run_spec)."""
from __future__ import annotations

from pathlib import Path

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.check_engine.runner import run_check
from labctl.core.model import CheckSpec, Task


def run_entry(entry: dict, lab_path: Path, *, timeout: float = 5, **context):
    """Validate {"type": ..., params} as the loader would and run it as the runner does: its CheckResult.
    `context` goes to the CheckContext (env, settings, services...)."""
    ctx = CheckContext(lab_path=lab_path, services=context.pop("services", None) or {}, workspace=None,
                       timeout=timeout, **context)
    try:
        return run_spec(entry, lab_path, ctx)
    finally:
        ctx.close()


def run_spec(entry: dict, lab_path: Path, ctx: CheckContext):
    """Validate {"type": ..., params} as the loader would and run it in ctx as the runner does: its CheckResult."""
    params = dict(entry)
    cls = registry.get(params.pop("type"))
    assert cls is not None, entry
    check = cls.model_validate(params)
    return run_check(Task("t", "t", lab_path, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
