"""Abuse of lab files and names: no path leaves the lab folder, names are checked, oversized YAML is refused.

test_loader.py already covers instructions escaping (../, absolute, one symlink), copy.to escaping, a
60-deep flow list, a 10^9 alias bomb of lists and a 1 MiB comment. This file covers every other path field,
the names, and the edges of the YAML limits.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from labctl.core import file_models as schema
from labctl.core.errors import LabctlError, LabFileError, UnknownLabError
from labctl.core.loader import LabLoader, load_lab_dir
from labctl.core.naming import validate_instance
from labctl.core.yamlfile import MAX_BYTES, MAX_DEPTH, read_yaml
from tests.unit.test_loader import GOOD

HAS_APP_STEP = hasattr(schema, "AppStep")
SETTINGS = {"app_url": {"description": "Where your app answers.", "kind": "url"}}


def lab_folder(tmp_path: Path, data: dict) -> Path:
    """demo-lab under tmp_path, with the files GOOD names, plus files and a folder just outside it."""
    folder = tmp_path / "demo-lab"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "one.md").write_text("# One\n")
    (folder / "one.sql").write_text("CREATE TABLE t (id int);\n")
    (folder / "ref.sql").write_text("SELECT 1;\n")
    (tmp_path / "outside.md").write_text("secret\n")
    (tmp_path / "outside-dir").mkdir(exist_ok=True)
    (folder / "lab.yaml").write_text(yaml.safe_dump(data))
    return folder


def with_field(kind: str, value: str) -> tuple[dict, str]:
    """GOOD with `value` placed in the path field `kind`, and the field the error must name."""
    data = copy.deepcopy(GOOD)
    task = data["tasks"][0]
    if kind == "workspace":
        data["workspace"] = value
        return data, "workspace"
    if kind == "instructions":
        task["instructions"] = value
        return data, "tasks[0].instructions"
    if kind == "seed.sql":
        data["seed"] = [{"sql": value}]
        return data, "seed[0].sql"
    if kind == "seed.run":
        data["seed"] = [{"run": value, "service": "postgres"}]
        return data, "seed[0].run"
    if kind in ("solution.sql", "solution.run", "solution.copy", "solution.to"):
        step = {"solution.sql": {"sql": value}, "solution.run": {"run": value, "service": "postgres"},
                "solution.copy": {"copy": value, "to": "one.sql"}, "solution.to": {"copy": "one.sql", "to": value}}[kind]
        task["solution"] = [step]
        return data, f"tasks[0].solution[0].{kind.split('.')[1]}"
    if kind in ("near_miss.sql", "near_miss.run", "near_miss.copy"):
        step = {"near_miss.sql": {"sql": value}, "near_miss.run": {"run": value, "service": "postgres"},
                "near_miss.copy": {"copy": value, "to": "x.sql"}}[kind]
        data["near_misses"] = [{"id": "nm", "task": "one", "steps": [step], "expect": "t"}]
        return data, f"near_misses[0].steps[0].{kind.split('.')[1]}"
    if kind in ("variant.sql", "variant.copy"):
        step = {"variant.sql": {"sql": value}, "variant.copy": {"copy": value, "to": "x.sql"}}[kind]
        data["variants"] = [{"id": "v", "task": "one", "description": "d", "steps": [step]}]
        return data, f"variants[0].steps[0].{kind.split('.')[1]}"
    if kind == "check.reference_file":
        task["checks"].append({"type": "sql.query_file", "file": "q.sql", "reference_file": value})
        return data, "tasks[0].checks[1].reference_file"
    if kind == "check.file":
        task["checks"].append({"type": "sql.query_file", "file": value, "reference": "SELECT 1"})
        return data, "tasks[0].checks[1].file"
    if kind in ("app.dir", "app.dir-in-workspace"):
        data["settings"] = SETTINGS
        app = {"command": "python app.py", "dir": value, "url-setting": "app_url"}
        if kind == "app.dir-in-workspace":
            app["in"] = "workspace"
        task["solution"].append({"app": app})
        return data, "tasks[0].solution[1].app.dir"
    raise AssertionError(kind)


LAB_FILE_FIELDS = ["instructions", "seed.sql", "seed.run", "solution.sql", "solution.run", "solution.copy",
                   "near_miss.sql", "near_miss.run", "near_miss.copy", "variant.sql", "variant.copy",
                   "check.reference_file"]
LAB_FOLDER_FIELDS = ["workspace"] + (["app.dir"] if HAS_APP_STEP else [])
WORKSPACE_FIELDS = ["solution.to", "check.file"] + (["app.dir-in-workspace"] if HAS_APP_STEP else [])


def test_the_base_lab_with_every_field_loads(tmp_path):
    """Every path field, filled in properly, loads (so the refusals below are about the path alone)."""
    for kind in LAB_FILE_FIELDS:
        data, _ = with_field(kind, "ref.sql" if "reference" in kind else "one.sql")
        load_lab_dir(lab_folder(tmp_path / kind, data))
    for kind in LAB_FOLDER_FIELDS:
        load_lab_dir(lab_folder(tmp_path / kind, with_field(kind, "sub")[0]))
    for kind in WORKSPACE_FIELDS:
        load_lab_dir(lab_folder(tmp_path / kind, with_field(kind, "sub/q.sql")[0]))


@pytest.mark.parametrize("kind", LAB_FILE_FIELDS + LAB_FOLDER_FIELDS)
@pytest.mark.parametrize("value, words", [
    ("../outside.md", "outside the lab folder"),
    ("sub/../../outside.md", "outside the lab folder"),
    ("/etc/passwd", "relative path"),
    ("..\\outside.md", "relative path"),
    ("", "relative path"),
])
def test_lab_paths_cannot_leave_the_lab_folder(tmp_path, kind, value, words):
    if kind in LAB_FOLDER_FIELDS:
        value = value.replace("outside.md", "outside-dir").replace("/etc/passwd", "/etc")
    data, field = with_field(kind, value)
    if kind == "workspace" and value == "":
        assert load_lab_dir(lab_folder(tmp_path, data)).workspace is None  # empty means none: nothing to escape
        return
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == field, info.value
    assert words in info.value.problem
    assert str(info.value).startswith(str(tmp_path / "demo-lab" / "lab.yaml"))


@pytest.mark.parametrize("kind", LAB_FILE_FIELDS + LAB_FOLDER_FIELDS)
def test_a_symlink_out_of_the_lab_folder_is_refused(tmp_path, kind):
    data, field = with_field(kind, "sub/link")
    folder = lab_folder(tmp_path, data)
    target = tmp_path / ("outside-dir" if kind in LAB_FOLDER_FIELDS else "outside.md")
    os.symlink(target, folder / "sub" / "link")
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert info.value.field == field
    assert "outside the lab folder" in info.value.problem


def test_a_symlinked_folder_out_of_the_lab_is_refused(tmp_path):
    """tasks/ itself a symlink to a folder outside: everything under it is outside too."""
    data, _ = with_field("instructions", "linked/one.md")
    folder = lab_folder(tmp_path, data)
    (tmp_path / "outside-dir" / "one.md").write_text("# elsewhere\n")
    os.symlink(tmp_path / "outside-dir", folder / "linked")
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert "outside the lab folder" in info.value.problem


@pytest.mark.parametrize("kind", WORKSPACE_FIELDS)
@pytest.mark.parametrize("value", ["../escape.sql", "sub/../../escape.sql", "/tmp/escape.sql", "sub\\..\\..\\x", ""])
def test_workspace_paths_cannot_leave_the_workspace(tmp_path, kind, value):
    data, field = with_field(kind, value)
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == field, info.value
    assert str(info.value).startswith(str(tmp_path / "demo-lab" / "lab.yaml"))


@pytest.mark.parametrize("value", ["one\x00.md", "x" * 300])
def test_unresolvable_lab_paths_are_a_lab_file_error(tmp_path, value):
    data, field = with_field("instructions", value)
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == field


@pytest.mark.parametrize("value", ["../../../etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key"])
def test_ssh_key_file_cannot_leave_labctl_home(tmp_path, value):
    data = copy.deepcopy(GOOD)
    data["services"] = {"postgres": {}, "linuxbox": {}}
    data["tasks"][0]["checks"].append({"type": "ssh.key_login", "key_file": value})
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == "tasks[0].checks[1].key_file"


# ---- names ------------------------------------------------------------------------------------

BAD_NAMES = ["", "../x", "..", "a/b", "a\\b", "Alice", "ALICE", "a" * 49, "-alice", "alice_b", "alice.b",
             " alice", "alice ", "alice\n", "alice\x00", "äliCe", "ålice", "alice😀", "٣", "ｆｕｌｌ", "a\tb"]
GOOD_NAMES = ["alice", "a", "0", "a" * 48, "lab-1", "1-lab", "alice-"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_instance_names_are_refused(name):
    with pytest.raises(LabctlError) as info:
        validate_instance(name)
    assert "not a valid instance name" in info.value.message
    assert "lowercase" in info.value.hint


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_instance_names_pass(name):
    assert validate_instance(name) == name


def test_none_is_not_an_instance_name():
    with pytest.raises(LabctlError):
        validate_instance(None)


@pytest.mark.parametrize("lab_id", [n for n in BAD_NAMES if n != ""] + ["demo-lab\n", "demo-lab/", "./demo-lab",
                                                                        "demo-lab/../demo-lab"])
def test_bad_lab_ids_are_unknown_labs(tmp_path, lab_id):
    lab_folder(tmp_path, GOOD)
    loader = LabLoader([tmp_path], include_bundled=False)
    with pytest.raises(UnknownLabError):
        loader.path_of(lab_id)


def test_an_empty_lab_id_is_an_unknown_lab(tmp_path):
    with pytest.raises(UnknownLabError):
        LabLoader([tmp_path], include_bundled=False).path_of("")


def test_folders_with_bad_names_are_not_labs(tmp_path):
    """A folder that is not a valid id is not listed, even with a lab.yaml in it."""
    for name in ("Demo", "demo lab", "démo", ".hidden", "x" * 49):
        (tmp_path / name).mkdir()
        (tmp_path / name / "lab.yaml").write_text(yaml.safe_dump(GOOD))
    assert LabLoader([tmp_path], include_bundled=False).ids() == []


@pytest.mark.parametrize("lab_id", ["demo-lab\n", "Demo-Lab", "../demo-lab", "x" * 49, "démo"])
def test_bad_ids_in_lab_yaml_are_refused(tmp_path, lab_id):
    data = dict(GOOD, id=lab_id)
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == "id"


@pytest.mark.parametrize("name", ["Postgres", "../postgres", "pg/x", "", "x" * 49])
def test_bad_service_names_are_refused(tmp_path, name):
    data = dict(GOOD, services={name: {"catalog": "postgres"}})
    with pytest.raises(LabFileError) as info:
        load_lab_dir(lab_folder(tmp_path, data))
    assert info.value.field == "services"


# ---- oversized and hostile YAML ---------------------------------------------------------------

def write(tmp_path: Path, text: str | bytes, name: str = "lab.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def refused(path: Path) -> LabFileError:
    with pytest.raises(LabFileError) as info:
        read_yaml(path)
    assert info.value.path == path
    assert str(info.value).startswith(str(path))
    return info.value


def test_a_file_just_over_the_limit_is_refused_without_parsing(tmp_path):
    # Valid YAML, one byte too many: refused by size, not by content.
    path = write(tmp_path, "a: " + "x" * (MAX_BYTES - 3) + "\n")
    assert path.stat().st_size == MAX_BYTES + 1
    assert "at most" in refused(path).problem


def test_a_file_at_the_limit_is_read(tmp_path):
    path = write(tmp_path, "a: " + "x" * (MAX_BYTES - 4) + "\n")
    assert path.stat().st_size == MAX_BYTES
    assert len(read_yaml(path)["a"]) == MAX_BYTES - 4


def _nested(levels: int, style: str) -> str:
    if style == "flow-map":
        return "{a: " * levels + "1" + "}" * levels + "\n"
    if style == "flow-list":
        return "[" * levels + "1" + "]" * levels + "\n"
    return "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "1\n"


@pytest.mark.parametrize("style", ["flow-map", "flow-list", "block"])
def test_nesting_up_to_the_limit_is_read_and_beyond_refused(tmp_path, style):
    read_yaml(write(tmp_path, _nested(MAX_DEPTH, style)))
    error = refused(write(tmp_path, _nested(MAX_DEPTH + 1, style)))
    assert "nested too deeply" in error.problem


def test_very_deep_nesting_does_not_blow_the_stack(tmp_path):
    error = refused(write(tmp_path, "[" * 50_000 + "]" * 50_000 + "\n"))
    assert "nested too deeply" in error.problem or "not valid YAML" in error.problem


def test_billion_laughs_with_strings_is_refused(tmp_path):
    lines = ['lol: &lol0 "lol"']
    for i in range(1, 10):
        lines.append(f"l{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]")
    error = refused(write(tmp_path, "\n".join(lines) + "\n"))
    assert "too many elements" in error.problem


def test_an_alias_bomb_of_mappings_is_refused(tmp_path):
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for i in range(1, 8):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(8)) + "}")
    error = refused(write(tmp_path, "\n".join(lines) + "\n"))
    assert "too many elements" in error.problem


def test_a_recursive_alias_is_refused(tmp_path):
    error = refused(write(tmp_path, "a: &a [*a]\n"))
    assert "not valid YAML" in error.problem or "nested too deeply" in error.problem


def test_merge_keys_cannot_smuggle_a_bomb(tmp_path):
    lines = ["b0: &b0 {x0: 1, x1: 2, x2: 3, x3: 4}"]
    for i in range(1, 8):
        lines.append(f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 12) + "]")
    lines.append("c: {<<: *b0, y: [*b7, *b7]}")
    assert "too many elements" in refused(write(tmp_path, "\n".join(lines) + "\n")).problem


def test_non_utf8_is_refused(tmp_path):
    assert "not UTF-8" in refused(write(tmp_path, b"id: caf\xe9\n")).problem


def test_non_text_keys_are_refused(tmp_path):
    assert "plain text" in refused(write(tmp_path, "2024-01-01: a date as a key\n")).problem


def test_a_directory_named_lab_yaml_is_a_clean_error(tmp_path):
    (tmp_path / "lab.yaml").mkdir()
    error = refused(tmp_path / "lab.yaml")
    assert "cannot read" in error.problem or "does not exist" in error.problem


def test_a_compose_file_over_the_limit_is_refused_naming_it(tmp_path):
    from labctl.core.catalog import load_service

    path = write(tmp_path, "# " + "x" * MAX_BYTES + "\nservices: {}\n", name="postgres.yml")
    with pytest.raises(LabFileError) as info:
        load_service("postgres", compose_dir=tmp_path)
    assert info.value.path == path
    assert "at most" in info.value.problem


@pytest.mark.parametrize("build, words", [
    ({"context": "../.."}, "leaves the compose folder"),
    ({"context": "/"}, "leaves the compose folder"),
    ({"context": ".", "dockerfile": "../outside/Dockerfile"}, "leaves the build context"),
    ({"context": ".", "dockerfile": "/etc/hostname"}, "leaves the build context"),
    ({"context": "x" * 300}, "not a usable path"),
    ({"context": "a\x00b"}, "not a usable path"),
])
def test_compose_build_paths_stay_in_the_catalog(tmp_path, build, words):
    from labctl.core.catalog import load_service

    catalog = tmp_path / "compose"
    catalog.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Dockerfile").write_text("FROM scratch\n")
    (catalog / "Dockerfile").write_text("FROM scratch\n")
    (catalog / "box.yml").write_text(yaml.safe_dump({"services": {"box": {
        "build": build, "x-labctl": {"kind": "linuxbox", "image-policy": "build-only"}}}}))
    with pytest.raises(LabFileError) as info:
        load_service("box", compose_dir=catalog)
    assert info.value.field == "services.box.build"
    assert words in info.value.problem
