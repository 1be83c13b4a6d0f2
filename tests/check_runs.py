"""Running one check from its lab.yaml form, outside any lab instance: for live tests of check families whose
target is an app the test serves itself (no lab services)."""
from __future__ import annotations

from pathlib import Path

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.check_engine.runner import run_check
from labctl.core.model import CheckSpec, Task


def run_entry(entry: dict, lab_path: Path, *, timeout: float = 5, **context):
    """Validate {"type": ..., params} as the loader would and run it as the runner does: its CheckResult.
    `context` goes to the CheckContext (env, settings, services...)."""
    params = dict(entry)
    cls = registry.get(params.pop("type"))
    assert cls is not None, entry
    check = cls.model_validate(params)
    ctx = CheckContext(lab_path=lab_path, services=context.pop("services", None) or {}, workspace=None,
                       timeout=timeout, **context)
    try:
        return run_check(Task("t", "t", lab_path, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
    finally:
        ctx.close()
