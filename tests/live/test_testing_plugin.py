"""The pytest plugin (labctl.testing), run by pytest's own pytester against live labs."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.live

pytest_plugins = ["pytester"]

PASSING = '''
from labctl.testing import lab_fixture

shop = lab_fixture("databases-101", scope="module")


def test_orders_need_their_foreign_key(shop):
    assert set(shop.urls) == {"postgres"}
    assert shop.url().startswith("postgresql://") and "127.0.0.1" in shop.url()
    shop.assert_fails("create-customers", "customers")
    shop.apply_solution("create-customers")
    shop.assert_passes("create-customers")
    shop.apply_near_miss("orders-without-fk")
    result = shop.assert_fails("create-orders", "foreign key")
    assert result.task == "create-orders"


def test_reset_puts_the_data_back(shop):
    shop.reset()
    shop.assert_fails("create-customers")


def test_the_factory_gives_a_second_instance(labctl_lab, shop):
    other = labctl_lab("databases-101")
    assert other.instance != shop.instance and other.url() != shop.url()
    other.apply_solutions(through="create-orders")
    assert [r.status.value for r in other.run_checks(["create-customers", "create-orders"])] == ["passed", "passed"]
'''

WRONG = '''
def test_wrong_solution(labctl_lab):
    shop = labctl_lab("databases-101")
    shop.apply_solution("create-customers")
    shop.apply_near_miss("orders-without-fk")
    shop.assert_passes("create-orders")
'''


def labctl_leftovers(prefix: str = "labctl-pytest-") -> list[str]:
    import docker

    client = docker.from_env()
    found = [c.name for c in client.containers.list(all=True, filters={"label": "io.labctl.managed=true"})]
    found += [v.name for v in client.volumes.list(filters={"label": "io.labctl.managed=true"})]
    found += [n.name for n in client.networks.list(filters={"label": "io.labctl.managed=true"})]
    return [name for name in found if name.startswith(prefix) and "-databases-101-" in name]


@pytest.fixture
def no_ryuk(monkeypatch):
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")


def test_a_test_file_using_the_fixture_passes(pytester, no_ryuk):
    before = set(labctl_leftovers())
    pytester.makepyfile(test_shop=PASSING)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=3)
    assert set(labctl_leftovers()) <= before  # everything it started is gone


def test_a_wrong_solution_fails_with_a_readable_message(pytester, no_ryuk):
    pytester.makepyfile(test_wrong=WRONG)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*1 of 1 task(s) of databases-101 do not pass:*",
        "*✘ Create the orders table, linked to customers (create-orders)*",
        "*✘ orders(customer_id) has no foreign key referencing customers*",
    ])


def test_without_ryuk_disabled_a_missing_ryuk_is_a_warning_not_an_error(pytester, monkeypatch):
    monkeypatch.delenv("TESTCONTAINERS_RYUK_DISABLED", raising=False)
    pytester.makepyfile(test_one='''
def test_start(labctl_lab):
    assert labctl_lab("databases-101").url()
''')
    result = pytester.runpytest_subprocess("-q", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*testcontainers' Ryuk could not start*labctl removes its instances at teardown*"])


def test_two_workers_run_the_same_lab_at_once(pytester, no_ryuk):
    pytester.makepyfile(test_pair='''
import pytest

@pytest.mark.parametrize("n", [1, 2])
def test_each(labctl_lab, n):
    shop = labctl_lab("databases-101")
    shop.apply_solution("create-customers")
    shop.assert_passes("create-customers")
''')
    result = pytester.runpytest_subprocess("-q", "-n", "2")
    result.assert_outcomes(passed=2)


# ---- as a course author writes tests of labs from outside ------------------------------------------

AUTHOR = '''
import pytest
from pathlib import Path

FRAMEWORK = Path({framework!r})


def test_my_reference_app_passes_the_first_task(labctl_lab):
    lab = labctl_lab("framework-101")
    lab.assert_fails("health")
    app = lab.start_app("python3 app.py --upto health", folder=FRAMEWORK / "solution")
    assert app.url.startswith("http://127.0.0.1:") and app.running()
    lab.assert_passes("health")
    lab.assert_fails("routing")
    lab.stop_app()
    assert not app.running()
    lab.assert_fails("health")  # nothing answers at app_url any more


def test_a_broken_app_says_what_it_printed(labctl_lab):
    from labctl.core.errors import LabctlError

    lab = labctl_lab("framework-101")
    with pytest.raises(LabctlError) as info:
        lab.start_app("echo cannot find my config >&2; exit 3")
    assert "exited with code 3" in info.value.message and "cannot find my config" in info.value.hint


def test_the_instance_as_a_learner_on_a_task_finds_it(labctl_lab):
    repo = labctl_lab("git-101")
    repo.apply_solutions(before="greeting-branch")
    repo.assert_passes("first-commit")
    repo.assert_fails("greeting-branch")
    code, output = repo.ssh("git -C ~/repos/shop.git log --format=%s main")
    assert code == 0 and "Add myself to CONTRIBUTORS" in output
    code, output = repo.ssh("whoami; exit 7")
    assert (code, output.strip()) == (7, "learner")


def test_before_and_through_are_checked(labctl_lab):
    shop = labctl_lab("databases-101")
    with pytest.raises(KeyError):
        shop.apply_solutions(before="no-such-task")
    with pytest.raises(ValueError):
        shop.apply_solutions(through="create-orders", before="create-orders")
    with pytest.raises(Exception, match="no Linux box"):
        shop.ssh("true")
'''


def test_a_course_author_runs_apps_and_commands_against_instances(pytester, no_ryuk):
    from labctl.core import resources

    pytester.makepyfile(test_author=AUTHOR.format(framework=str(resources.labs_dir() / "framework-101")))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_the_plugin_never_breaks_a_pytest_run_without_the_extra(pytester, monkeypatch, tmp_path):
    """labctl installed without labctl[pytest]: no testcontainers. A run that does not use the plugin passes
    untouched; one that does works without Ryuk and says how to get it."""
    shadow = tmp_path / "no-testcontainers"
    (shadow / "testcontainers").mkdir(parents=True)
    (shadow / "testcontainers" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'testcontainers'\", name='testcontainers')\n")
    # A project's ordinary test, which uses no lab: it must run as if the plugin were not there.
    pytester.makepyfile(test_plain="def test_nothing_to_do_with_labs(tmp_path):\n"
                                   "    (tmp_path / 'x').write_text('x')\n"
                                   "    assert (tmp_path / 'x').read_text() == 'x'\n",
                        test_lab='''
def test_start(labctl_lab):
    assert labctl_lab("databases-101").url()
''')
    monkeypatch.setenv("PYTHONPATH", str(shadow))
    monkeypatch.delenv("TESTCONTAINERS_RYUK_DISABLED", raising=False)
    result = pytester.runpytest_subprocess("-q", "-W", "default", "test_plain.py")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-q", "-W", "default", "test_lab.py")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*testcontainers is not installed (pip install 'labctl[[]pytest]')*"])


def test_ryuk_is_not_started_on_another_engine_than_the_labs(pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_one='''
def test_start(labctl_lab):
    assert labctl_lab("databases-101").url()
''')
    monkeypatch.delenv("TESTCONTAINERS_RYUK_DISABLED", raising=False)
    monkeypatch.setenv("LABCTL_DOCKER_HOST", "unix:///var/run/docker.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/another-engine.sock")
    result = pytester.runpytest_subprocess("-q", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines([f"*Ryuk would watch unix://{tmp_path}/another-engine.sock, but the labs run on "
                                 "unix:///var/run/docker.sock*"])
