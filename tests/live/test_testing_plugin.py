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
