"""Malformed lab files give LabFileError naming the file and the field, never a traceback."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from labctl.core.errors import LabFileError, UnknownLabError
from labctl.core.loader import LabLoader, load_lab_dir

GOOD = {
    "id": "demo-lab",
    "title": "Demo",
    "stage": 5,
    "summary": "A demo.",
    "minutes": 10,
    "services": {"postgres": {}},
    "tasks": [{
        "id": "one",
        "title": "One",
        "instructions": "one.md",
        "hints": ["a hint"],
        "checks": [{"type": "sql.table_exists", "table": "t"}],
        "solution": [{"sql": "one.sql"}],
    }],
}


def write_lab(tmp_path: Path, data, name: str = "demo-lab") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "one.md").write_text("# One\n")
    (folder / "one.sql").write_text("CREATE TABLE t (id int);\n")
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    (folder / "lab.yaml").write_text(text)
    return folder


def load_error(tmp_path: Path, data) -> LabFileError:
    with pytest.raises(LabFileError) as info:
        load_lab_dir(write_lab(tmp_path, data))
    return info.value


def mutate(**changes):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for dotted, value in changes.items():
        target = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


def test_good_lab_loads(tmp_path):
    lab = load_lab_dir(write_lab(tmp_path, GOOD))
    assert lab.id == "demo-lab"
    assert lab.tasks[0].checks[0].check.service == "postgres"
    assert lab.services["postgres"].kind == "postgres"


@pytest.mark.parametrize("changes, field, words", [
    ({"title": KeyError}, "title", "is required"),
    ({"stage": 11}, "stage", "less than or equal to 10"),
    ({"colour": "blue"}, "colour", "not a known field"),
    ({"tasks__0__hints": []}, "tasks[0].hints", "at least 1"),
    ({"tasks__0__checks__0__type": "sql.tabel_exists"}, "tasks[0].checks[0].type", "unknown check type 'sql.tabel_exists'"),
    ({"tasks__0__checks__0__table": KeyError}, "tasks[0].checks[0].table", "is required"),
    ({"tasks__0__checks__0__tabel": "x"}, "tasks[0].checks[0].tabel", "not a known field"),
    ({"tasks__0__instructions": "missing.md"}, "tasks[0].instructions", "does not exist"),
    ({"tasks__0__instructions": "../../etc/passwd"}, "tasks[0].instructions", "outside the lab folder"),
    ({"tasks__0__instructions": "/etc/passwd"}, "tasks[0].instructions", "relative path"),
    ({"tasks__0__needs": ["later"]}, "tasks[0].needs[0]", "not a task that comes before"),
    ({"id": "other-lab"}, "id", "folder is called 'demo-lab'"),
    ({"services": {"postgres": {"catalog": "oracle"}}}, "services.postgres", "no service called 'oracle'"),
    ({"services": {}}, "tasks[0].checks[0]", "needs a postgres service"),
    ({"tasks__0__solution__0": {"sql": "one.sql", "service": "nope"}}, "tasks[0].solution[0].service", "no service 'nope'"),
])
def test_malformed_lab_names_file_and_field(tmp_path, changes, field, words):
    error = load_error(tmp_path, mutate(**changes))
    assert error.field == field
    assert words in error.message
    assert str(error.path).endswith("lab.yaml")
    assert str(error).startswith(str(error.path))


def test_symlink_out_of_the_lab_is_refused(tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("secret")
    folder = write_lab(tmp_path, mutate(tasks__0__instructions="link.md"))
    os.symlink(outside, folder / "link.md")
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert "outside the lab folder" in info.value.message


def test_workspace_path_cannot_escape(tmp_path):
    error = load_error(tmp_path, mutate(tasks__0__solution=[{"copy": "one.sql", "to": "../escape.sql"}]))
    assert error.field == "tasks[0].solution[0].to"


def test_invalid_yaml_names_the_line(tmp_path):
    error = load_error(tmp_path, "id: demo-lab\ntitle: [unclosed\n")
    assert error.field.startswith("line ")
    assert "not valid YAML" in error.message


def test_deeply_nested_yaml_is_refused(tmp_path):
    error = load_error(tmp_path, "a: " + "[" * 60 + "]" * 60 + "\n")
    assert "nested too deeply" in error.message


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    error = load_error(tmp_path, "\n".join(lines) + "\n")
    assert "too many elements" in error.message


def test_huge_file_is_refused(tmp_path):
    error = load_error(tmp_path, "# " + "x" * (1024 * 1024 + 10) + "\n")
    assert "at most" in error.message


def test_not_a_mapping(tmp_path):
    error = load_error(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in error.message


def test_python_tags_are_not_executed(tmp_path):
    error = load_error(tmp_path, "id: !!python/object/apply:os.system ['echo pwned']\n")
    assert "not valid YAML" in error.message


def test_unknown_lab_and_bad_ids(tmp_path):
    write_lab(tmp_path, GOOD)
    loader = LabLoader([tmp_path], include_bundled=False)
    assert loader.ids() == ["demo-lab"]
    for bad in ("nope", "../demo-lab", "Demo-Lab", "/etc"):
        with pytest.raises(UnknownLabError):
            loader.load(bad)


def test_bundled_labs_all_load():
    loader = LabLoader()
    ids = loader.ids()
    assert "databases-101" in ids
    for lab in loader.load_all():
        assert lab.tasks


def test_a_lab_may_raise_or_lower_a_services_limits(tmp_path):
    lab = load_lab_dir(write_lab(tmp_path, mutate(services={"postgres": {"limits": {"memory": "1G", "pids": 100}}})))
    limits = lab.services["postgres"].limits
    assert (limits.memory_bytes, limits.pids, limits.cpus) == (1024 ** 3, 100, 1.0)  # cpus: the catalog's
    error = load_error(tmp_path / "bad", mutate(services={"postgres": {"limits": {"memory": "9T"}}}))
    assert error.field == "services.postgres.limits.memory" and str(error.path).endswith("lab.yaml")


def _lab_with_variants(tmp_path, variants):
    import yaml
    folder = tmp_path / "lab"
    (folder / "tasks").mkdir(parents=True)
    (folder / "tasks" / "one.md").write_text("Do it.\n")
    (folder / "one.sh").write_text("true\n")
    data = {"id": "lab", "title": "t", "stage": 1, "summary": "s", "minutes": 5,
            "tasks": [{"id": "one", "title": "One", "instructions": "tasks/one.md", "hints": ["h"],
                       "checks": [{"type": "http.status", "url": "http://127.0.0.1:9/", "status": 200}],
                       "solution": [{"copy": "one.sh", "to": "one.sh"}]}],
            "near_misses": [{"id": "nm", "task": "one", "steps": [{"copy": "one.sh", "to": "one.sh"}], "expect": "x"}],
            "variants": variants}
    (folder / "lab.yaml").write_text(yaml.safe_dump(data))
    return folder


def test_variants_load_with_their_steps(tmp_path):
    from labctl.core.loader import load_lab_dir
    folder = _lab_with_variants(tmp_path, [{"id": "other", "task": "one", "description": "another way",
                                            "steps": [{"copy": "one.sh", "to": "two.sh"}]}])
    lab = load_lab_dir(folder)
    assert [(v.id, v.task, v.description) for v in lab.variants] == [("other", "one", "another way")]
    assert lab.variants[0].steps[0].action == "copy"


@pytest.mark.parametrize("variant, field, words", [
    ({"id": "nm", "task": "one", "description": "d", "steps": [{"copy": "one.sh", "to": "x"}]}, "variants[0].id", "used twice"),
    ({"id": "v", "task": "two", "description": "d", "steps": [{"copy": "one.sh", "to": "x"}]}, "variants[0].task", "not a task"),
    ({"id": "v", "task": "one", "description": "d", "steps": [{"copy": "nothere.sh", "to": "x"}]}, "variants[0].steps[0].copy", ""),
])
def test_a_bad_variant_names_its_field(tmp_path, variant, field, words):
    from labctl.core.errors import LabFileError
    from labctl.core.loader import load_lab_dir
    with pytest.raises(LabFileError) as caught:
        load_lab_dir(_lab_with_variants(tmp_path, [variant]))
    assert field in str(caught.value)
    assert words in str(caught.value)


def test_bug_switches_expand_to_one_mutant_per_bug(tmp_path):
    import yaml
    folder = _lab_with_variants(tmp_path, [])
    data = yaml.safe_load((folder / "lab.yaml").read_text())
    data["settings"] = {"run": {"description": "how to run it", "kind": "command"}}
    data["mutants"] = {
        "bug_switches": [{"task": "one", "bugs": ["off-by-one", "no-header"],
                          "steps": [{"copy": "one.sh", "to": "one.sh"}, {"config": {"run": "sh one.sh --bug {bug}"}}]}],
        "equivalent": [{"task": "one", "mutant": "one:drop-step-2", "reason": "the second step\n  only repeats the first"}],
    }
    (folder / "lab.yaml").write_text(yaml.safe_dump(data))
    lab = load_lab_dir(folder)
    assert [(s.task, s.bug, s.steps[1].values) for s in lab.bug_switches] == [
        ("one", "off-by-one", {"run": "sh one.sh --bug off-by-one"}),
        ("one", "no-header", {"run": "sh one.sh --bug no-header"})]
    assert [(e.mutant, e.reason) for e in lab.equivalent_mutants] == [
        ("one:drop-step-2", "the second step only repeats the first")]


@pytest.mark.parametrize("switch, field", [
    ({"task": "one", "bugs": ["x"], "steps": [{"copy": "one.sh", "to": "one.sh"}]}, "mutants.bug_switches[0].steps"),
    ({"task": "two", "bugs": ["x"], "steps": [{"config": {"run": "a {bug}"}}]}, "mutants.bug_switches[0].task"),
    ({"task": "one", "bugs": ["x", "x"], "steps": [{"config": {"run": "a {bug}"}}]}, "mutants.bug_switches[0].bugs[1]"),
    ({"task": "one", "bugs": ["Bad Name"], "steps": [{"config": {"run": "a {bug}"}}]}, "mutants.bug_switches[0].bugs[0]"),
])
def test_a_bad_bug_switch_names_its_field(tmp_path, switch, field):
    import yaml
    folder = _lab_with_variants(tmp_path, [])
    data = yaml.safe_load((folder / "lab.yaml").read_text())
    data["settings"] = {"run": {"description": "how to run it", "kind": "command"}}
    data["mutants"] = {"bug_switches": [switch]}
    (folder / "lab.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(LabFileError) as caught:
        load_lab_dir(folder)
    assert field in str(caught.value)
