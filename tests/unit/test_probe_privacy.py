"""Probe data is the lab's secret: what only the probes hold never appears in what a learner reads."""
from __future__ import annotations

import re

import pytest
import yaml

from labctl.core.loader import LabLoader

_LITERAL = re.compile(r"'((?:[^']|'')+)'")


def _probe_sql(lab_yaml: dict) -> list[str]:
    found = []
    for task in lab_yaml.get("tasks", []):
        for check in task.get("checks", []):
            # SQL checks' probes hold rows; other families' probes are names (oauth.login, rest.resource).
            found += [p["sql"] for p in check.get("probes", []) if isinstance(p, dict) and "sql" in p]
            if check.get("setup"):
                found.append(check["setup"])
    return found


@pytest.mark.parametrize("lab_id", LabLoader().ids())
def test_values_only_the_probes_hold_are_never_in_the_task_texts_or_hints(lab_id):
    lab = LabLoader().load(lab_id)
    data = yaml.safe_load((lab.path / "lab.yaml").read_text())
    probes = _probe_sql(data)
    if not probes:
        pytest.skip(f"{lab_id} has no SQL probe data")
    elsewhere = "".join(p.read_text(errors="replace") for folder in ("seed", "solution") if (lab.path / folder).is_dir()
                        for p in sorted((lab.path / folder).rglob("*")) if p.is_file())
    secret = {value for sql in probes for value in _LITERAL.findall(sql)
              if len(value) > 3 and value not in elsewhere}
    assert secret, "the probes should add values of their own"
    readable = [p.read_text() for p in sorted((lab.path / "tasks").glob("*.md"))]
    readable += [(lab.path / "README.md").read_text()] if (lab.path / "README.md").is_file() else []
    readable += [hint for task in lab.tasks for hint in task.hints] + [t.title for t in lab.tasks]
    leaked = sorted(value for value in secret if any(value in text for text in readable))
    assert not leaked
