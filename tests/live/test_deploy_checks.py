"""Live tests of the deploy.* checks, on cicd-101's box (its seed: the shop app, its repository, its service,
nginx): each check failing on a wrong deploy and passing on a right one."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live
SERVICE = "linuxbox"
LAB = Path(__file__).resolve().parents[2] / "labs" / "cicd-101"


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    manager = make_manager(tmp_path_factory.mktemp("deploy-home"), lab_dirs=(LAB.parent,))
    name = new_instance_name("deploy")
    report = manager.start("cicd-101", name=name, workspace=tmp_path_factory.mktemp("deploy-ws"), ephemeral=True)
    assert report.seeded
    yield manager, name
    manager.destroy(name)


@pytest.fixture
def ctx(box):
    manager, name = box
    context = manager.context(manager.view(name))
    yield context
    context.close()


@pytest.fixture
def sh(ctx):
    def run(command: str, user: str | None = None) -> str:
        code, out = ctx.exec(SERVICE, ["bash", "-c", command], user)
        assert code == 0, f"{command!r} exited {code}: {out}"
        return out
    return run


@pytest.fixture
def apply(box):
    """apply("solution/01-deploy-hook.sh", ...): run the lab's scripts in the box as a step would."""
    from labctl.core.model import Step

    manager, name = box

    def run(*scripts: str) -> None:
        manager.apply_steps(manager.view(name), tuple(Step("run", LAB / script, SERVICE) for script in scripts))
    return run


@pytest.fixture
def fresh(box):
    """The box as the seed leaves it (no hook, no rollback), before each test."""
    manager, name = box
    manager.reset(name)


@pytest.fixture
def run_check(ctx):
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task

    def run(entry: dict):
        params = dict(entry)
        cls = registry.get(params.pop("type"))
        assert cls is not None, entry
        params.setdefault("service", SERVICE)
        check = cls.model_validate(params)
        return run_one(Task("t", "t", LAB, ("h",), (), (), ()), CheckSpec(cls.type_name, check, 0), ctx)
    return run


def ok(result) -> None:
    assert result.status.value == "passed", result.message


def no(result, message: str) -> None:
    assert result.status.value == "failed", result.message
    assert message in result.message, result.message


def test_push_needs_an_executable_hook_and_a_new_release_behind_a_symlink(fresh, run_check, apply, sh):
    no(run_check({"type": "deploy.push"}), "executable")
    apply("near-miss/deploys-every-branch.sh")
    no(run_check({"type": "deploy.push"}), "Only main deploys")
    apply("near-miss/release-overwritten.sh")
    no(run_check({"type": "deploy.push", "pushes": 2}), "same folder")
    apply("near-miss/current-copied.sh")
    no(run_check({"type": "deploy.push"}), "not a symlink")
    sh("rm -rf /srv/app/current && ln -s $(ls -d /srv/app/releases/2024*) /srv/app/current")
    # The near misses above restarted the app more than 5 times in 10 s: the start limit (as systemd's) holds it.
    sh("systemctl reset-failed app")
    apply("solution/01-deploy-hook.sh")
    result = run_check({"type": "deploy.push", "pushes": 2})
    ok(result)
    assert result.message.count("/srv/app/releases/") == 2
    # what the site serves is what the check pushed, and current points to its release
    served = sh("curl -s localhost/version").strip()
    assert served.startswith("labctl-")
    assert sh("cat /srv/app/current/VERSION").strip() == served


def test_gate_fails_a_deploy_despite_failing_tests_and_passes_a_refusal(fresh, run_check, apply, sh):
    apply("solution/01-deploy-hook.sh")
    no(run_check({"type": "deploy.gate"}), "tests fail was deployed")
    apply("near-miss/switch-before-tests.sh")
    no(run_check({"type": "deploy.gate"}), "it must stay on")
    apply("solution/02-tests-gate.sh")
    ok(run_check({"type": "deploy.gate"}))
    # the failing test the check pushed is gone from main again (the good push after it removed it)
    assert "test_labctl_probe" not in sh("git -C /srv/git/app.git ls-tree -r --name-only main", "learner")
    apply("variant/pre-receive-gate.sh")
    result = run_check({"type": "deploy.gate"})
    ok(result)
    assert "refused" in result.message


def test_zero_downtime_counts_failed_requests_during_a_restart(fresh, run_check, apply):
    apply("solution/01-deploy-hook.sh", "solution/02-tests-gate.sh")
    result = run_check({"type": "deploy.push", "zero_downtime": True})
    no(result, "requests failed while the push deployed")
    assert "systemctl reload app" in result.message
    apply("solution/03-zero-downtime.sh")
    result = run_check({"type": "deploy.push", "zero_downtime": True})
    ok(result)
    assert "none of " in result.message and " requests sent meanwhile failed" in result.message


def test_rollback_must_switch_back_reload_and_keep_the_release(fresh, run_check, apply, sh):
    apply("solution/01-deploy-hook.sh", "solution/02-tests-gate.sh", "solution/03-zero-downtime.sh")
    no(run_check({"type": "deploy.rollback"}), "exited with code")
    apply("near-miss/rollback-no-reload.sh")
    no(run_check({"type": "deploy.rollback"}), "still serves the release it should leave")
    apply("near-miss/rollback-world-writable.sh")
    no(run_check({"type": "deploy.rollback"}), "writable by others (mode 0777)")
    apply("near-miss/rollback-deletes-release.sh")
    no(run_check({"type": "deploy.rollback"}), "lost the release")
    apply("near-miss/keeps-failed-releases.sh")
    no(run_check({"type": "deploy.rollback"}), "serves a release whose tests failed")
    ok(run_check({"type": "deploy.rollback", "after_failed_push": False}))
    apply("solution/02-tests-gate.sh", "solution/03-zero-downtime.sh", "solution/04-rollback.sh")
    ok(run_check({"type": "deploy.rollback"}))
    ok(run_check({"type": "deploy.rollback", "command": "sudo /usr/local/bin/rollback"}))


def test_serves_after_a_reboot_only_when_the_app_is_enabled(fresh, run_check, apply, sh):
    no(run_check({"type": "deploy.serves"}), "nothing was deployed")
    apply("solution/01-deploy-hook.sh", "solution/02-tests-gate.sh", "solution/03-zero-downtime.sh")
    ok(run_check({"type": "deploy.push"}))
    ok(run_check({"type": "linux.reboot"}))
    ok(run_check({"type": "deploy.serves"}))
    sh("systemctl disable app")
    ok(run_check({"type": "linux.reboot"}))
    no(run_check({"type": "deploy.serves", "wait": 3}), "no longer serves the current release")
