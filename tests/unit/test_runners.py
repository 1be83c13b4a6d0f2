"""Which runner a submission's code needs, what it is given, and grading through a sandbox (on the fake)."""
from __future__ import annotations

import io
import re
import tarfile

import pytest

from labctl.core.contained import contained_env, loopback_forwards, workspace_archive
from labctl.core.errors import LabctlError
from labctl.core.runners import pick_runner, runners
from tests.unit.test_manager import World


def test_the_catalog_has_each_language_with_its_recipe():
    found = runners()
    assert set(found) == {"python", "node", "java", "go", "c"}
    for runner in found.values():
        assert (runner.context / "Dockerfile").is_file() and runner.versions and runner.commands
        assert runner.image_spec.image_policy == "build-only" and runner.image_spec.catalog == f"runner-{runner.language}"


@pytest.mark.parametrize("command, language", [
    ("python3 main.py", "python"), ("npm start", "node"), ("cd app && mvn -q exec:java", "java"),
    ("go run .", "go"), ("gcc -o main main.c && ./main", "c"), ("FLASK_APP=app flask run", "python"),
    ("/usr/bin/node server.js", "node"),
])
def test_the_command_tells_the_runner(tmp_path, command, language):
    assert pick_runner(command, tmp_path).language == language


def test_else_the_files_tell_it_and_else_it_must_be_said(tmp_path):
    (tmp_path / "package.json").write_text("{}")
    assert pick_runner("./start.sh", tmp_path).language == "node"
    assert pick_runner("./start.sh", tmp_path, asked="python").language == "python"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LabctlError, match="cannot tell which language") as info:
        pick_runner("./start.sh", empty)
    assert "--runner" in info.value.hint
    with pytest.raises(LabctlError, match="there is no 'cobol' runner"):
        pick_runner(None, empty, asked="cobol")


def test_the_files_a_sandbox_gets_are_the_runners_own_and_only_the_submissions(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print(1)\n")
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    for skipped in ("node_modules", ".git", "__pycache__", ".venv"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "x").write_text("x")
    (tmp_path / "escape").symlink_to("/etc/passwd")
    with tarfile.open(fileobj=io.BytesIO(workspace_archive(tmp_path))) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert set(members) == {"src", "src/main.py", "run.sh"}
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1000)}
    assert members["run.sh"].mode == 0o755 and members["src/main.py"].mode == 0o644


def test_contained_code_reaches_services_by_name_on_their_own_ports(tmp_path):
    manager = World(tmp_path).manager()
    manager.start("four-services")
    env = contained_env(manager.view("four-services"))
    assert env["DATABASE_URL"].endswith("@postgres:5432/lab")
    assert re.fullmatch(r"redis://default:[\w-]{20,}@redis:6379/0", env["REDIS_URL"])
    assert "127.0.0.1" not in " ".join(env.values())


def test_a_service_with_sandbox_loopback_keeps_its_host_urls_and_gets_a_forwarder(tmp_path):
    from labctl.core import resources

    manager = World(tmp_path).manager(lab_dirs=(resources.labs_dir(),))
    manager.start("oauth-101", name="oauth")
    view = manager.view("oauth")
    status = next(s.status for s in view.services if s.spec.name == "oidc")
    published = status.ports[9400]
    env = contained_env(view)
    assert env["OIDC_ISSUER"] == view.env()["OIDC_ISSUER"] == f"http://127.0.0.1:{published}"
    [forward] = loopback_forwards(view)
    assert (forward.listen_port, forward.target_host, forward.target_port) == (published, "oidc", 9400)
    assert forward.image == status.image and forward.command == ("python3", "/opt/oidc/forward.py")
    assert "LABCTL_CONTROL_TOKEN" not in env  # the provider's control token never reaches the app


def test_services_without_it_get_no_forwarder(tmp_path):
    manager = World(tmp_path).manager()
    manager.start("four-services")
    assert loopback_forwards(manager.view("four-services")) == ()


def test_a_contained_grade_runs_the_program_through_the_sandbox(tmp_path):
    from labctl.core import resources
    from labctl.core.grading import grade

    world = World(tmp_path)
    manager = world.manager()
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "main.py").write_bytes(
        (resources.labs_dir() / "programming-101" / "solution" / "04-top.py").read_bytes())
    report = grade(manager, "programming-101", submission, settings={"run": "python3 main.py"})
    assert report.score == report.max_score == 4, [t.message for t in report.tests]
    assert report.runner["language"] == "python" and report.runner["image"].startswith("labctl-local/runner-python:")
    assert [box.closed for box in world.engine.sandboxes] == [True]
    host = grade(manager, "programming-101", submission, settings={"run": "python3 main.py"}, containment=None)
    assert host.score == 4 and host.runner is None and len(world.engine.sandboxes) == 1
