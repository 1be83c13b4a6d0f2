"""Live tests of the practice-api service and the api_tests.catch check (test lab api-tests-only): the control
endpoints are labctl's only, a mutant looks like the reference but for its bug, and the learner's own tests
are run against the reference and the mutants, on the host and contained as graded."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from labctl.check_engine import registry
from labctl.check_engine.result import Status
from labctl.check_engine.runner import run_check as run_one
from labctl.core.model import CheckSpec, Task
from labctl.services.practice_api import SECRET, deploy, deployment_count, mutants, remove
from labctl.services.practice_http import base_url
from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live

LAB = TEST_LABS / "api-tests-only"
SUITES = Path(__file__).parents[2] / "labs" / "rest-101"  # the reference, near-miss and variant suites
PYTEST = '"$LABCTL_PYTHON" -m pytest -q -p no:cacheprovider'
FEW = ["create-200", "other-user-readable", "delete-keeps"]  # enough to tell caught from missed, quickly


@pytest.fixture(scope="module")
def lab(engine, tmp_path_factory):
    """(manager, instance name, workspace) of a running api-tests-only instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("api-home"))
    name = new_instance_name("apitests")
    workspace = tmp_path_factory.mktemp("api-ws")
    manager.start("api-tests-only", name=name, workspace=workspace, ephemeral=True)
    try:
        yield manager, name, workspace
    finally:
        manager.destroy(name)


@pytest.fixture
def access(lab):
    manager, name, _ = lab
    ctx = manager.context(manager.view(name))
    yield ctx.service("practice-api")
    ctx.close()


def run_check(lab, entry: dict, *, files: dict[str, str], command: str | None):
    """Put lab files into the workspace, set the command, run the check: its CheckResult."""
    manager, name, workspace = lab
    if files:
        shutil.rmtree(workspace / "api-tests", ignore_errors=True)
    for source, target in files.items():
        (workspace / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SUITES / source, workspace / target)
    manager.set_setting(name, "api_tests", command)
    view = manager.view(name)
    params = dict(entry)
    cls = registry.get(params.pop("type"))
    params.setdefault("service", "practice-api")
    check = cls.model_validate(params)
    ctx = manager.context(view)
    try:
        return run_one(Task("t", "t", LAB, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
    finally:
        ctx.close()


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


# -- the service

def test_control_endpoints_need_the_instance_secret(access):
    base = base_url(access)
    with session() as s:
        assert s.get(base + "/_labctl/variants", timeout=10).status_code == 403
        assert s.post(base + "/_labctl/deployments", json={"variant": "reference"},
                      headers={"X-Labctl-Control": "practice-api-control"}, timeout=10).status_code == 403
        assert s.get(base + "/_labctl/variants", headers={"X-Labctl-Control": access.environment[SECRET]},
                     timeout=10).status_code == 200
    listed = mutants(access)
    assert len(listed) >= 10 and all(m.description and m.hint for m in listed)


def test_a_mutant_answers_like_the_reference_but_for_its_bug(access):
    answers = {}
    for variant in ("reference", "create-200"):
        prefix = deploy(access, variant)
        url = base_url(access) + prefix
        with session() as s:
            s.post(url + "/register", json={"email": "a@example.com", "password": "long-enough"}, timeout=10)
            token = s.post(url + "/login", json={"email": "a@example.com", "password": "long-enough"},
                           timeout=10).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            bad = s.post(url + "/todos", json={"title": ""}, headers=auth, timeout=10)
            made = s.post(url + "/todos", json={"title": "milk"}, headers=auth, timeout=10)
            answers[variant] = (bad, made)
        remove(access, prefix)
    (ref_bad, ref_made), (mut_bad, mut_made) = answers["reference"], answers["create-200"]
    assert (ref_bad.status_code, ref_bad.text) == (mut_bad.status_code, mut_bad.text) == (
        400, '{"error": "title must not be empty"}')
    same = lambda r: {k: v for k, v in r.headers.items() if k != "Date"}
    assert same(ref_bad) == same(mut_bad)
    assert ref_made.status_code == 201 and mut_made.status_code == 200
    assert ref_made.json() == mut_made.json() == {"id": 1, "title": "milk", "done": False, "due": None}


def test_deployments_are_apart_and_removed(access):
    one, two = deploy(access, "reference"), deploy(access, "reference")
    assert one != two and len(one) > 20
    base = base_url(access)
    with session() as s:
        assert s.post(base + one + "/register", json={"email": "b@example.com", "password": "long-enough"},
                      timeout=10).status_code == 201
        assert s.post(base + two + "/register", json={"email": "b@example.com", "password": "long-enough"},
                      timeout=10).status_code == 201  # its own empty store
        remove(access, one)
        assert s.post(base + one + "/login", json={"email": "b@example.com", "password": "long-enough"},
                      timeout=10).status_code == 404  # gone: no such route
    remove(access, two)


# -- the check, on the host

def test_the_reference_suite_catches_every_mutant(lab, access):
    before = deployment_count(access)
    result = run_check(lab, {"type": "api_tests.catch"},
                       files={"solution/api-tests/test_todo_api.py": "api-tests/test_todo_api.py"},
                       command=f"{PYTEST} api-tests/test_todo_api.py")
    assert result.status is Status.PASSED, result.message
    assert f"caught all {len(mutants(access))} bugs" in result.message
    assert deployment_count(access) == before  # every deployment it made is removed


def test_a_happy_path_suite_is_told_which_bugs_it_missed(lab):
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW},
                       files={"near-miss/api-tests/test_happy_path.py": "api-tests/test_happy_path.py"},
                       command=f"{PYTEST} api-tests/test_happy_path.py")
    assert result.status is Status.FAILED
    assert "caught 1 of 3 bugs" in result.message
    assert "another user's todo is readable" in result.message and "expect 403" in result.message
    assert "DELETE answers 204 but the todo is still there" in result.message
    assert "POST /todos answers 200" not in result.message  # that one it caught


def test_a_suite_failing_against_the_correct_api_is_said_first_with_its_output(lab):
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW},
                       files={"near-miss/api-tests/test_wrong_expectation.py": "api-tests/test_wrong.py"},
                       command=f"{PYTEST} api-tests/test_wrong.py")
    assert result.status is Status.FAILED
    assert "fail against the correct API" in result.message
    assert "assert 403 == 404" in result.message  # the tail of the output says which test
    assert "stays up for 15 minutes" in result.message and "API_URL=http://127.0.0.1:" in result.message
    from labctl.cli.ui import split_command

    prose, command = split_command(result.message)  # the command to try, last, on a line of its own
    assert prose.endswith("Try it:") and command.startswith("API_URL=http://127.0.0.1:")
    kept = command.split("API_URL=")[1].split(" ")[0]  # the correct API it failed against, kept
    with session() as s:
        assert s.post(kept + "/register", json={"email": "c@example.com", "password": "long-enough"},
                      timeout=10).status_code == 201


def test_nothing_is_served_at_the_root(access):
    with session() as s:
        answer = s.post(base_url(access) + "/register", json={"email": "d@example.com", "password": "long-enough"},
                        timeout=10)
    assert answer.status_code == 404 and answer.json()["error"]


def test_a_suite_passing_only_its_first_run_is_caught_by_the_last_run(lab):
    _, _, workspace = lab
    (workspace / ".api-tests-cache.json").unlink(missing_ok=True)
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW[:1]},
                       files={"near-miss/api-tests/test_cached_login.py": "api-tests/test_cached.py"},
                       command=f"{PYTEST} api-tests/test_cached.py")
    (workspace / ".api-tests-cache.json").unlink(missing_ok=True)
    assert result.status is Status.FAILED
    assert "on the first run but failed on the last one" in result.message


def test_the_url_placeholder_and_a_missing_command(lab):
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW},
                       files={"variant/api-tests/todo-tests.sh": "api-tests/todo-tests.sh"},
                       command="sh api-tests/todo-tests.sh {url}")
    assert result.status is Status.PASSED, result.message
    unset = run_check(lab, {"type": "api_tests.catch"}, files={}, command=None)
    assert unset.status is Status.FAILED and "labctl config set api_tests" in unset.message


def test_the_tests_get_the_url_and_never_the_control_secret(lab, access):
    _, _, workspace = lab
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW[:1]}, files={},
                       command="env > seen-env.txt; echo {url} > seen-url.txt; exit 1")
    assert result.status is Status.FAILED and "fail against the correct API" in result.message
    seen, url = (workspace / "seen-env.txt").read_text(), (workspace / "seen-url.txt").read_text().strip()
    assert url.startswith(base_url(access) + "/") and f"API_URL={url}\n" in seen
    assert access.environment[SECRET] not in seen and SECRET not in seen


def test_a_hanging_suite_is_stopped_at_its_time_limit(lab):
    result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW[:1], "time_limit": 2}, files={},
                       command="sleep 30")
    assert result.status is Status.FAILED
    assert "still running after 2s" in result.message and result.duration < 15


def test_an_unknown_mutant_is_an_error_not_a_failure(lab):
    result = run_check(lab, {"type": "api_tests.catch", "mutants": ["no-such-bug"]}, files={}, command="true")
    assert result.status is Status.ERROR and "no-such-bug" in result.message


# -- contained, as `labctl grade` runs it

def test_contained_the_tests_reach_the_service_by_its_name(lab):
    from labctl.core.contained import Containment

    manager, name, workspace = lab
    shutil.rmtree(workspace / "api-tests", ignore_errors=True)
    (workspace / "api-tests").mkdir()
    shutil.copyfile(SUITES / "variant/api-tests/todo.test.mjs", workspace / "api-tests/todo.test.mjs")
    code = manager.contain(name, Containment())
    try:
        result = run_check(lab, {"type": "api_tests.catch", "mutants": FEW}, files={},
                           command="node --test api-tests/todo.test.mjs")
        assert result.status is Status.PASSED, result.message
        wrong = run_check(lab, {"type": "api_tests.catch", "mutants": FEW}, files={},
                          command="node --test api-tests/todo.test.mjs; true")
        assert wrong.status is Status.FAILED and "caught 0 of 3 bugs" in wrong.message
    finally:
        code.close()
        manager.release(name)


def test_labctl_grade_runs_the_tests_contained(tmp_path):
    """`labctl grade`: the submission's tests run in the node runner against the lab's own practice API."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "sub" / "api-tests").mkdir(parents=True)
    shutil.copyfile(SUITES / "variant/api-tests/todo.test.mjs", tmp_path / "sub/api-tests/todo.test.mjs")
    report = tmp_path / "grade.json"

    def grade(command: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "labctl", "grade", "api-tests-only", "--workspace",
                               str(tmp_path / "sub"), "--set", f"api_tests={command}", "--json", str(report)],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
                              env=dict(os.environ, LABCTL_LABS_DIR=str(TEST_LABS)))
        assert done.returncode in (0, 3), done.stdout + done.stderr
        return json.loads(report.read_text())

    good = grade("node --test api-tests/todo.test.mjs")
    assert good["tests"][0]["status"] == "pass", good
    swallowed = grade("node --test api-tests/todo.test.mjs || true")
    assert swallowed["tests"][0]["status"] == "fail" and "caught 0 of" in swallowed["tests"][0]["message"]


def test_a_postman_collection_run_by_newman_is_accepted(lab, tmp_path_factory):
    """The command of the issue itself: `newman run ... --env-var base_url={url}`, newman installed from npm."""
    import subprocess

    folder = tmp_path_factory.mktemp("newman")
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed here")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "newman@6"], cwd=folder, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        pytest.skip(f"newman cannot be installed from npm here: {done.stderr[-300:]}")
    newman = folder / "node_modules" / ".bin" / "newman"
    result = run_check(lab, {"type": "api_tests.catch"},
                       files={"variant/api-tests/todo.postman_collection.json": "api-tests/todo.postman_collection.json"},
                       command=f"{newman} run api-tests/todo.postman_collection.json --env-var base_url={{url}}")
    assert result.status is Status.PASSED, result.message
