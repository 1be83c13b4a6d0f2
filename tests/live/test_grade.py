"""`labctl grade` end to end, as course CI runs it: a real process, real containers, files to read back."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import xmlschema

pytestmark = pytest.mark.live

ROOT = Path(__file__).parents[2]
RESULTS_SCHEMA = json.loads((ROOT / "docs" / "grade-results.schema.json").read_text())
JUNIT = xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit.xsd"))


def labctl(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout, stdin=subprocess.DEVNULL)


def submission(tmp_path: Path, lab: str, near_miss: str | None = None) -> Path:
    folder = tmp_path / f"sub-{lab}-{near_miss or 'reference'}"
    args = ["lab", "submission", lab, str(folder)] + (["--near-miss", near_miss] if near_miss else [])
    done = labctl(*args)
    assert done.returncode == 0, done.stderr
    return folder


def grade_leftovers() -> list[str]:
    """Every engine resource of a grading instance (they are all named labctl-grade-...)."""
    import docker

    client = docker.from_env()
    names = [c.name for c in client.containers.list(all=True, filters={"label": "io.labctl.managed=true"})]
    names += [n.name for n in client.networks.list(filters={"label": "io.labctl.managed=true"})]
    names += [v.name for v in client.volumes.list(filters={"label": "io.labctl.managed=true"})]
    return [n for n in names if n.startswith("labctl-grade-")]


@pytest.fixture(autouse=True)
def no_grading_instances_before():
    assert not grade_leftovers(), "a grading instance was left by an earlier run"
    yield
    assert not grade_leftovers()


def test_reference_solution_gets_full_score(tmp_path):
    folder = submission(tmp_path, "databases-101")
    results, junit, summary = tmp_path / "results.json", tmp_path / "junit.xml", tmp_path / "summary.md"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results), "--junit", str(junit),
                  env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(results.read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert data["status"] == "pass" and data["score"] == data["max_score"] == 10
    assert [t["status"] for t in data["tests"]] == ["pass"] * 8
    JUNIT.validate(str(junit))
    assert "## labctl grade: databases-101: 10/10" in summary.read_text()
    assert "Score: 10/10" in done.stdout


def test_the_results_say_whether_a_submission_is_the_reference_itself(tmp_path):
    folder = submission(tmp_path, "databases-101")
    (folder / "README.md").write_text("my notes\n")  # added files do not hide it
    results = tmp_path / "results.json"
    assert labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results)).returncode == 0
    assert json.loads(results.read_text())["holds_reference"] is True
    sql = sorted((folder / "sql").glob("*.sql"))[0]
    sql.write_text(sql.read_text().replace("CREATE TABLE", "create table"))  # the same answer, its own spelling
    assert labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results)).returncode == 0
    data = json.loads(results.read_text())
    assert data["holds_reference"] is False and data["score"] == data["max_score"]
    jsonschema.validate(data, RESULTS_SCHEMA)


def test_near_miss_fails_naming_the_task(tmp_path):
    folder = submission(tmp_path, "databases-101", near_miss="orders-without-fk")
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results), "--junit", str(junit))
    assert done.returncode == 3, done.stdout + done.stderr
    data = json.loads(results.read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    failing = [t for t in data["tests"] if t["status"] != "pass"]
    assert [t["task_id"] for t in failing] == ["create-orders"]
    assert "has no foreign key referencing customers" in failing[0]["message"]
    assert data["score"] == 9 and data["max_score"] == 10
    JUNIT.validate(str(junit))
    assert 'failure message="orders(customer_id) has no foreign key referencing customers"' in junit.read_text()


def test_a_file_that_fails_is_a_note_and_the_rest_is_graded(tmp_path):
    folder = submission(tmp_path, "databases-101")
    (folder / "sql" / "02-create-orders.sql").write_text("CREATE TABLE orders (oops;\n")
    results = tmp_path / "results.json"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results))
    assert done.returncode == 3
    data = json.loads(results.read_text())
    assert data["notes"] and data["notes"][0]["file"] == "sql/02-create-orders.sql"
    assert "syntax error" in data["notes"][0]["message"]
    assert data["tests"][0]["status"] == "pass"


def test_control_characters_from_a_submission_forge_nothing_and_break_no_report(tmp_path):
    folder = submission(tmp_path, "databases-101")
    forged = "\\x1b[32m ok\\r\\x1b[2KScore: 10/10\\nall tasks pass"
    name = "99-\x1b[2Kzz.sql"
    (folder / "sql" / name).write_text(f"DO $$ BEGIN RAISE EXCEPTION E'boom{forged}'; END $$;\n")
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results), "--junit", str(junit),
                  env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert done.returncode == 0, done.stdout + done.stderr  # the reference still scores; the file is a note
    written = [results.read_text(), junit.read_text(), (tmp_path / "summary.md").read_text(), done.stdout]
    for text in written:
        assert "\x1b" not in text and "\r" not in text, text
    JUNIT.validate(str(junit))
    note = json.loads(results.read_text())["notes"][0]
    assert note["file"] == "sql/99-\\x1b[2Kzz.sql" and "boom" in note["message"] and "\\x1b[32m" in note["message"]
    scores = [line for line in done.stdout.splitlines() if "Score:" in line]
    assert [line for line in scores if line.startswith("Score:")] == ["Score: 10/10 (pass, " + scores[-1].split("(pass, ")[1]]
    assert scores[-1].startswith("Score: 10/10 (pass")  # ours, last; the forged one is indented inside the note


def test_a_submission_that_sleeps_forever_is_stopped_by_the_deadline(tmp_path):
    folder = submission(tmp_path, "databases-101")
    (folder / "sql" / "00-sleep.sql").write_text("SET statement_timeout = 0;\nSELECT pg_sleep(3600);\n")
    results = tmp_path / "results.json"
    started = time.monotonic()
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results), "--timeout", "20")
    assert time.monotonic() - started < 90, "the deadline did not stop the grade"
    assert done.returncode == 1, done.stdout + done.stderr
    data = json.loads(results.read_text())
    assert data["status"] == "error" and "stopped at the deadline: it ran for more than 20s" in data["message"]
    assert {t["status"] for t in data["tests"]} == {"error"}
    jsonschema.validate(data, RESULTS_SCHEMA)


def test_a_runaway_query_is_stopped_by_the_memory_limit_with_a_clear_note(tmp_path):
    folder = submission(tmp_path, "databases-101")
    # Streams 200 million md5 strings into one text value: far beyond the container's 512 MiB.
    (folder / "sql" / "99-runaway.sql").write_text(
        "SELECT length(string_agg(md5(g::text), '')) FROM (SELECT generate_series(1, 200000000) AS g) AS s;\n")
    results = tmp_path / "results.json"
    done = labctl("grade", "databases-101", "--workspace", str(folder), "--json", str(results))
    data = json.loads(results.read_text())
    note = next(n for n in data["notes"] if n["file"] == "sql/99-runaway.sql")
    assert note["message"].startswith("failed: postgres ran out of memory: it may use 512 MiB"), note
    assert done.returncode in (0, 3, 5), done.stdout + done.stderr  # PostgreSQL restarts itself; grading goes on
    assert data["score"] > 0


def test_two_grades_of_the_same_lab_at_once(tmp_path):
    folder = submission(tmp_path, "databases-101")
    runs = [subprocess.Popen([sys.executable, "-m", "labctl", "-q", "grade", "databases-101", "--workspace", str(folder),
                              "--json", str(tmp_path / f"r{i}.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, stdin=subprocess.DEVNULL) for i in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
    for i in range(2):
        assert json.loads((tmp_path / f"r{i}.json").read_text())["score"] == 10


def test_sigint_mid_grade_leaves_nothing(tmp_path):
    folder = submission(tmp_path, "databases-101")
    process = subprocess.Popen([sys.executable, "-m", "labctl", "grade", "databases-101", "--workspace", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not grade_leftovers():  # the moment the instance exists, interrupt
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "grading instance and its data were removed" in err
    assert not grade_leftovers()


def test_a_grade_killed_with_sigkill_is_cleaned_up_by_the_next_command(tmp_path):
    import glob
    import tempfile

    folder = submission(tmp_path, "databases-101")
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "labctl-grade-databases-101-*")))
    process = subprocess.Popen([sys.executable, "-m", "labctl", "grade", "databases-101", "--workspace", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(n.endswith("-postgres") for n in grade_leftovers()):  # the container exists: kill it now
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=30)
    assert grade_leftovers()  # SIGKILL: nothing could clean up
    copies = set(glob.glob(os.path.join(tempfile.gettempdir(), "labctl-grade-databases-101-*"))) - before
    assert copies  # the submission's temporary copy is left too
    after = labctl("status")  # the next command that looks at the engine
    assert "removed 1 leftover throwaway instance whose labctl had been killed: grade-databases-101-" in after.stderr
    assert not grade_leftovers()
    assert not any(os.path.exists(c) for c in copies)
    home = Path(os.environ["LABCTL_HOME"])
    assert not list((home / "locks").glob("grade-*.lock"))


def test_grading_leaves_no_lock_files(tmp_path):
    folder = submission(tmp_path, "databases-101")
    for _ in range(2):
        assert labctl("grade", "databases-101", "--workspace", str(folder)).returncode == 0
    home = Path(os.environ["LABCTL_HOME"])
    assert not list((home / "locks").glob("*.lock"))


def test_a_lab_without_services_is_graded_with_its_settings(tmp_path):
    folder = submission(tmp_path, "programming-101")
    results = tmp_path / "results.json"
    done = labctl("grade", "programming-101", "--workspace", str(folder), "--set", "run=python3 main.py",
                  "--json", str(results))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(results.read_text())["status"] == "pass"
    unset = labctl("grade", "programming-101", "--workspace", str(folder), "--json", "-")
    assert unset.returncode == 3
    assert "labctl does not know how to run your program" in json.loads(unset.stdout)["tests"][0]["message"]


def test_the_learners_app_is_started_and_checked(tmp_path):
    folder = submission(tmp_path, "framework-101")
    done = labctl("grade", "framework-101", "--workspace", str(folder), "--app", "python3 app.py --upto html-view",
                  "--json", str(tmp_path / "ok.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    broken = labctl("grade", "framework-101", "--workspace", str(folder), "--app", "python3 app.py --upto json-in",
                    "--json", str(tmp_path / "partial.json"))
    assert broken.returncode == 3
    data = json.loads((tmp_path / "partial.json").read_text())
    assert [t["status"] for t in data["tests"]][:3] == ["pass"] * 3 and data["tests"][3]["status"] == "fail"
    crash = labctl("grade", "framework-101", "--workspace", str(folder), "--app", "python3 no-such-file.py",
                   "--json", str(tmp_path / "crash.json"))
    assert crash.returncode == 1
    message = json.loads((tmp_path / "crash.json").read_text())["message"]
    assert "exited with code 2 before answering" in message and "no-such-file.py" in message


def test_launch_mode_settings_start_the_app_contained_like_app(tmp_path):
    """`--set app=CMD` (the lab's launch-mode setting) grades as `--app CMD` does: in the sandbox, never on
    this machine, where `labctl check` would launch it."""
    folder = submission(tmp_path, "framework-101")
    (folder / "marker.py").write_text("import pathlib, sys; pathlib.Path(sys.argv[1]).write_text('ran here')\n")
    outside = tmp_path / "ran-on-the-host"
    done = labctl("grade", "framework-101", "--workspace", str(folder), "--set",
                  f"app=python3 marker.py {outside}; python3 app.py --upto html-view", "--json", str(tmp_path / "ok.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "ok.json").read_text())["status"] == "pass"
    assert not outside.exists()  # the command ran in the sandbox, whose files are not this machine's
    on_host = labctl("grade", "framework-101", "--workspace", str(folder), "--host", "--set",
                     f"app=python3 marker.py {outside}; python3 app.py --upto html-view")
    assert on_host.returncode == 0, on_host.stdout + on_host.stderr
    assert outside.read_text() == "ran here"  # what --host means: the same command, on this machine


def test_a_lab_graded_from_the_live_services_only_is_refused(tmp_path):
    done = labctl("grade", "git-101", "--workspace", str(tmp_path))
    assert done.returncode == 1
    assert "does not say how to grade a submission" in done.stderr


def test_a_check_restarts_the_graded_app_in_its_sandbox(tmp_path):
    """A task whose check restarts the app (sessions must survive) is graded: labctl restarts the app it runs,
    in its sandbox (and on this machine with --host); sessions kept in a file survive, in memory they do not."""
    labs = Path(__file__).parents[1] / "labs"
    env = {"LABCTL_LABS_DIR": str(labs)}
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "app.py").write_bytes((labs / "restart-only" / "solution" / "app.py").read_bytes())
    for mode, extra, status in (("file", [], "pass"), ("memory", [], "fail"), ("file", ["--host"], "pass")):
        results = tmp_path / f"{mode}{'-host' if extra else ''}.json"
        labctl("grade", "restart-only", "--workspace", str(folder), "--app", f"python3 app.py {mode}", *extra,
               "--json", str(results), env=env)
        test = json.loads(results.read_text())["tests"][0]
        assert test["status"] == status, (mode, extra, test)
        if status == "fail":
            assert "after a restart of the app): it answered 401; expected 200" in test["message"]
