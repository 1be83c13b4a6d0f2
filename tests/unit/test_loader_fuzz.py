"""Fuzz the lab loader: whatever lab.yaml or compose file it reads, it loads or raises LabFileError naming the file.

Three sources of bad input: random YAML-ish documents, mutations of the real lab files, mutations of the
service catalog (compose/*.yml). A lab folder cannot bring its own compose files (the catalog folder belongs
to the loader; a lab only names an entry, checked against the id pattern), so (c) mutates a copy of the catalog.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labctl.core.catalog import catalog_names, load_service
from labctl.core.errors import LabctlError, LabFileError
from labctl.core.loader import LAB_FILE, load_lab_dir

REPO = Path(__file__).resolve().parents[2]
REAL_LABS = [REPO / "labs" / "databases-101", *sorted(p.parent for p in (REPO / "tests" / "labs").glob(f"*/{LAB_FILE}"))]
COMPOSE = REPO / "compose"
FUZZ_ID = "fuzz-lab"

# Problems about the whole file, which have no field to name.
FILE_LEVEL = ("not valid YAML", "must be a mapping", "nested too deeply", "too many elements",
              "mapping keys must be plain text", "not UTF-8", "may be at most", "not a valid catalog name",
              "there is no service called")

LAB_KEYS = ["id", "title", "stage", "summary", "minutes", "services", "seed", "settings", "workspace", "tasks",
            "near_misses", "instructions", "hints", "checks", "needs", "solution", "weight", "type", "sql", "run",
            "copy", "to", "service", "catalog", "environment", "config", "app", "command", "dir", "in",
            "url-setting", "task", "steps", "expect", "description", "table", "file", "reference_file", "kind"]
COMPOSE_KEYS = ["services", "volumes", "image", "build", "context", "dockerfile", "ports", "x-labctl", "kind",
                "image-policy", "ready", "timeout", "urls", "credentials", "shell", "summary", "offline-hint", "name"]
ODD_STRINGS = [
    "", " ", ".", "..", "../x", "../../../../etc/passwd", "/etc/passwd", "/", "~/x", "C:\\x", "a\\..\\b",
    "tasks/../../lab.yaml", "tasks/../../../x", "./tasks", "a\x00b", "\x00", "{host}", "{", "}", "{0}",
    "{x!r}", "{port_5432}", "%s", "x" * 5000, "é漢字🙂", "\u202e", "\n", "line\nbreak", "fuzz-lab\n",
    "sql.table_exists", "http.status", "postgres", "redis", "linuxbox", "rabbitmq", "practice-http",
    "-1", "1e309", "yes", "NaN", FUZZ_ID, "127.0.0.1:5432:5432", "0.0.0.0:80:80", "99999", "data:/x",
    "/var/run/docker.sock:/var/run/docker.sock", "build-only", "pull-only", "text", "url", "workspace", "lab",
]

odd = st.sampled_from(ODD_STRINGS)
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats() | st.text(max_size=20) | odd)
keys = st.sampled_from(LAB_KEYS + COMPOSE_KEYS) | st.text(max_size=12) | st.integers(-3, 3) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)
# Fields the loader resolves as paths inside the lab folder (_lab_path).
LAB_PATH_KEYS = {"instructions", "sql", "run", "copy", "workspace", "dir", "reference_file"}
FUZZ = settings(max_examples=200, deadline=None,
                # isolated_env (autouse) only sets environment variables: sharing it across examples is fine.
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def assert_clean(exc: LabctlError, *allowed: Path) -> None:
    """The error is a LabFileError about one of `allowed` that names a field (or a whole-file problem)."""
    assert isinstance(exc, LabFileError), f"{type(exc).__name__}: {exc}"
    path = Path(exc.path)
    assert any(path == a or a in path.parents for a in allowed), f"{path} is none of {allowed}: {exc}"
    assert str(exc).startswith(str(exc.path)), str(exc)
    assert exc.field or any(words in exc.problem for words in FILE_LEVEL), f"no field named: {exc}"
    assert "Traceback" not in str(exc)


def load_or_clean_error(folder: Path, *allowed: Path, compose_dir: Path | None = None) -> None:
    try:
        load_lab_dir(folder, compose_dir=compose_dir)
    except LabctlError as exc:
        assert_clean(exc, *allowed)


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# ---- mutations --------------------------------------------------------------------------------

def _locations(node, here=()):
    yield here
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _locations(child, here + (key,))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _locations(child, here + (i,))


def _get(node, location):
    for part in location:
        node = node[part]
    return node


def mutate(draw, data, extra_keys: list[str]):
    """1 to 4 random edits: delete a key or item, change a type, add an unknown key, odd strings, duplicates."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(list(_locations(data))))
        node = _get(data, where)
        action = draw(st.sampled_from(["delete", "retype", "odd", "insert", "duplicate", "huge"]))
        if action == "insert" and isinstance(node, (dict, list)):
            value = draw(documents)
            if isinstance(node, dict):
                node[draw(st.sampled_from(extra_keys) | keys)] = value
            else:
                node.insert(draw(st.integers(0, len(node))), value)
            continue
        if action == "duplicate" and isinstance(node, list) and node:
            node.append(copy.deepcopy(draw(st.sampled_from(node))))
            continue
        if not where:  # the root: replace the whole document only now and then
            if action == "retype":
                data = draw(documents)
            continue
        parent, last = _get(data, where[:-1]), where[-1]
        if action == "delete":
            del parent[last]
        elif action == "retype":
            parent[last] = draw(documents)
        elif action == "huge":
            parent[last] = draw(st.sampled_from(["x" * 70_000, "é" * 30_000, "{" * 1000, "../" * 3000]))
        else:
            parent[last] = draw(odd)
    return data


# ---- (a) random documents as lab.yaml --------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / FUZZ_ID
    (folder / "tasks").mkdir(parents=True)
    (folder / "tasks" / "one.md").write_text("# One\n")
    (folder / "one.sql").write_text("SELECT 1;\n")
    return folder


@FUZZ
@given(doc=documents | st.dictionaries(st.sampled_from(LAB_KEYS) | keys, documents, max_size=8))
def test_random_documents_load_or_fail_cleanly(fuzz_folder, doc):
    (fuzz_folder / LAB_FILE).write_text(dump(doc), encoding="utf-8")
    load_or_clean_error(fuzz_folder, fuzz_folder / LAB_FILE)


@settings(FUZZ, max_examples=150)
@given(text=st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_random_text_loads_or_fails_cleanly(fuzz_folder, text):
    (fuzz_folder / LAB_FILE).write_bytes(text.encode("utf-8", errors="surrogatepass"))
    load_or_clean_error(fuzz_folder, fuzz_folder / LAB_FILE)


# ---- (b) mutations of the real lab files -----------------------------------------------------

@pytest.fixture(scope="module")
def lab_copies(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Each real lab copied once (so its files exist), with its parsed lab.yaml."""
    root = tmp_path_factory.mktemp("real-labs")
    out = {}
    for source in REAL_LABS:
        target = root / source.name
        shutil.copytree(source, target, symlinks=True)
        out[source.name] = (target, yaml.safe_load((source / LAB_FILE).read_text(encoding="utf-8")))
    return out


def test_every_real_lab_loads_unchanged(lab_copies):
    for folder, _ in lab_copies.values():
        load_lab_dir(folder)


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_mutated_real_labs_load_or_fail_cleanly(lab_copies, data):
    folder, original = lab_copies[data.draw(st.sampled_from(sorted(lab_copies)), label="lab")]
    mutated = mutate(data.draw, original, LAB_KEYS)
    (folder / LAB_FILE).write_text(dump(mutated), encoding="utf-8")
    load_or_clean_error(folder, folder / LAB_FILE)


# ---- (c) mutations of the service catalog ----------------------------------------------------

@pytest.fixture(scope="module")
def compose_copy(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of compose/ (with the image build contexts) and each file's original text."""
    target = tmp_path_factory.mktemp("catalog") / "compose"
    shutil.copytree(COMPOSE, target, symlinks=True)
    return target, {name: (target / f"{name}.yml").read_text(encoding="utf-8") for name in catalog_names(target)}


@settings(FUZZ, max_examples=250)
@given(data=st.data())
def test_mutated_compose_files_load_or_fail_cleanly(compose_copy, lab_copies, data):
    folder, originals = compose_copy
    name = data.draw(st.sampled_from(sorted(originals)), label="service")
    path = folder / f"{name}.yml"
    mutated = mutate(data.draw, yaml.safe_load(originals[name]), COMPOSE_KEYS)
    path.write_text(dump(mutated), encoding="utf-8")
    try:
        try:
            load_service(name, compose_dir=folder)
        except LabctlError as exc:
            assert_clean(exc, path)
        # Through a lab too: the loader re-labels catalog errors with the lab's services.<name> field.
        lab_dir, _ = lab_copies["four-services"]
        (lab_dir / LAB_FILE).write_text((REPO / "tests" / "labs" / "four-services" / LAB_FILE).read_text())
        load_or_clean_error(lab_dir, lab_dir / LAB_FILE, folder, compose_dir=folder)
    finally:
        path.write_text(originals[name], encoding="utf-8")


@pytest.mark.parametrize("catalog", ["../compose/postgres", "/etc/passwd", "postgres/../redis", "Postgres", "postgres\x00"])
def test_a_lab_cannot_reach_outside_the_catalog(lab_copies, catalog):
    folder, original = lab_copies["pg-only"]
    data = copy.deepcopy(original)
    data["services"]["postgres"] = {"catalog": catalog}
    (folder / LAB_FILE).write_text(dump(data), encoding="utf-8")
    with pytest.raises(LabFileError) as info:
        load_lab_dir(folder)
    assert info.value.field == "services.postgres"
    assert_clean(info.value, folder / LAB_FILE)
