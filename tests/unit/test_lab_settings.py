"""Lab settings: declared in lab.yaml, validated, remembered per instance; loader errors name file and field."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from labctl.core.errors import LabctlError, LabFileError
from labctl.core.instance_config import effective, setting_problem, validated, variables
from labctl.core.instance_records import InstanceRecord, InstanceRecords
from labctl.core.loader import load_lab_dir
from labctl.core.model import Setting

TEST_LABS = Path(__file__).parents[1] / "labs"


@pytest.mark.parametrize("kind, value, problem", [
    ("command", "python3 main.py", None),
    ("command", "   ", "must not be empty"),
    ("command", "a\nb", "must be one line"),
    ("text", "x" * 1001, "longer than 1000"),
    ("url", "http://127.0.0.1:8000", None),
    ("url", "http://localhost:3000/api", None),
    ("url", "http://10.1.2.3:8000", "traffic never leaves this machine"),
    ("url", "ftp://127.0.0.1/", "must start with http"),
    ("url", "http://127.0.0.1:99999", "not a valid URL"),
    ("seconds", "5", None),
    ("seconds", "86400", None),
    ("seconds", "0", "whole number of seconds, from 1"),
    ("seconds", "1.5", "whole number of seconds"),
    ("seconds", "900s", "whole number of seconds"),
    ("seconds", "86401", "whole number of seconds"),
])
def test_setting_problem(kind, value, problem):
    found = setting_problem(Setting("x", "d", kind), value)
    assert (found is None) if problem is None else (problem in found)


def test_effective_values_prefer_the_learners_choice():
    lab = load_lab_dir(TEST_LABS / "app-only")
    assert effective(lab, {}) == {"app_url": "http://127.0.0.1:8000"}
    assert effective(lab, {"app_url": "http://127.0.0.1:9000", "stray": "x"}) == {"app_url": "http://127.0.0.1:9000"}
    with pytest.raises(LabctlError, match="has no setting 'port'"):
        validated(lab, "port", "1")


def _with_cool_down(data: dict) -> None:
    data["settings"]["cool_down"] = {"description": "a wait the lab teaches", "kind": "seconds", "default": "3",
                                     "env": "COOL_DOWN_SECONDS"}


def test_a_seconds_setting_reaches_the_app_in_its_variable(tmp_path):
    lab = load_lab_dir(_broken_copy(tmp_path, "app-only", _with_cool_down))
    assert lab.settings["cool_down"].env == "COOL_DOWN_SECONDS"
    assert variables(lab, effective(lab, {})) == {"COOL_DOWN_SECONDS": "3"}
    assert variables(lab, effective(lab, {"cool_down": "7"})) == {"COOL_DOWN_SECONDS": "7"}


def _wait_on(setting: str):
    def edit(data: dict) -> None:
        _with_cool_down(data)
        data["tasks"][0]["checks"][0] = {"type": "http.sequence", "setting": "app_url",
                                         "steps": [{"path": "/hello", "wait": setting}]}
    return edit


def test_a_sequence_waits_only_on_a_declared_seconds_setting(tmp_path):
    load_lab_dir(_broken_copy(tmp_path / "good", "app-only", _wait_on("cool_down")))
    for name, text in (("app_url", "'app_url' is not a seconds setting"), ("nope", "'nope' is not a setting")):
        with pytest.raises(LabFileError) as info:
            load_lab_dir(_broken_copy(tmp_path / name, "app-only", _wait_on(name)))
        assert info.value.field == "tasks[0].checks[0].waits" and text in info.value.message


def test_records_round_trip_and_damage(tmp_path):
    records = InstanceRecords(tmp_path)
    records.save(InstanceRecord("alice", "programming-101", "/w", containers=False, settings={"run": "go run ."}))
    again = InstanceRecords(tmp_path).get("alice")
    assert again == InstanceRecord("alice", "programming-101", "/w", False, {"run": "go run ."})
    assert [r.instance for r in records.all()] == ["alice"]
    (tmp_path / "instances" / "bob.json").write_text("{not json")
    assert [r.instance for r in records.all()] == ["alice"]  # a damaged file does not break listings
    with pytest.raises(LabctlError, match="bob.json"):
        records.get("bob")
    records.delete("alice")
    assert records.get("alice") is None
    with pytest.raises(LabctlError):
        records.get("../etc/passwd")


def test_ephemeral_records_never_touch_the_disk(tmp_path):
    records = InstanceRecords(tmp_path)
    records.save(InstanceRecord("selftest-x", "lab"), ephemeral=True)
    assert records.get("selftest-x") is not None
    assert not (tmp_path / "instances").exists()


def _broken_copy(tmp_path: Path, lab: str, edit) -> Path:
    target = tmp_path / lab
    shutil.copytree(TEST_LABS / lab, target)
    data = yaml.safe_load((target / "lab.yaml").read_text())
    edit(data)
    (target / "lab.yaml").write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize("lab, edit, field, text", [
    ("program-only", lambda d: d["tasks"][0]["solution"].append({"config": {"runn": "x"}}),
     "tasks[0].solution[2].config.runn", "'runn' is not a setting of this lab (its settings: run)"),
    ("program-only", lambda d: d["tasks"][0]["solution"].append({"config": {"run": ""}}),
     "tasks[0].solution[2].config.run", "must not be empty"),
    ("program-only", lambda d: d["tasks"][0]["checks"][0].update(setting="cmd"),
     "tasks[0].checks[0].setting", "'cmd' is not a setting"),
    ("program-only", lambda d: d["settings"].update({"Bad-Name": {"description": "x"}}),
     "settings", "lowercase letters, digits and underscores"),
    ("app-only", lambda d: d["settings"]["app_url"].update(default="http://example.com"),
     "settings.app_url.default", "traffic never leaves this machine"),
    ("app-only", lambda d: d["tasks"][0]["solution"][0]["app"].update(dir="../.."),
     "tasks[0].solution[0].app.dir", "outside the lab folder"),
    ("app-only", lambda d: d["tasks"][0]["solution"][0]["app"].update({"url-setting": "nope"}),
     "tasks[0].solution[0].app.url-setting", "'nope' is not a setting"),
    ("app-only", lambda d: d["tasks"][0]["checks"][0].update(service="web"),
     "tasks[0].checks[0]", "only one of url, setting and service"),
    ("app-only", lambda d: (_with_cool_down(d), d["settings"]["cool_down"].update(default="15m")),
     "settings.cool_down.default", "whole number of seconds"),
    ("app-only", lambda d: (_with_cool_down(d), d["settings"]["cool_down"].update(env="cool-down")),
     "settings.cool_down.env", "should match pattern"),
    ("app-only", lambda d: (_with_cool_down(d), d["settings"]["app_url"].update(env="COOL_DOWN_SECONDS")),
     "settings.", "is also the variable of"),
])
def test_loader_errors_name_file_and_field(tmp_path, lab, edit, field, text):
    folder = _broken_copy(tmp_path, lab, edit)
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert info.value.path == folder / "lab.yaml"
    assert info.value.field.startswith(field), info.value.field
    assert text in info.value.message


def test_a_task_is_found_by_its_id_or_by_its_number():
    lab = load_lab_dir(TEST_LABS / "program-only")
    assert lab.task("1") is lab.tasks[0] and lab.task(str(len(lab.tasks))) is lab.tasks[-1]
    assert lab.task(lab.tasks[1].id) is lab.tasks[1]
    assert lab.task("0") is None and lab.task(str(len(lab.tasks) + 1)) is None
