"""`labctl lab test -j N --junit FILE`: several self-tests at once, a summary, JUnit that CI renders."""
from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner

from labctl.cli import cli
from tests.conftest import TEST_LABS

pytestmark = pytest.mark.live

JUNIT = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "data" / "junit.xsd"))


def test_several_labs_at_once_with_a_summary_and_junit(monkeypatch, tmp_path):
    monkeypatch.setenv("LABCTL_LABS_DIR", str(TEST_LABS))
    junit = tmp_path / "selftest.xml"
    result = CliRunner().invoke(cli, ["lab", "test", "program-only", "app-only", "redis-only", "pg-broken",
                                      "-j", "4", "--junit", str(junit)])
    assert result.exit_code == 3, result.output  # pg-broken cannot start: a problem, never a pass
    assert "Self-tests" in result.output
    for lab in ("program-only", "app-only", "redis-only"):
        assert f"{lab}: ok" in result.output
    assert "pg-broken: could not run" in result.output
    JUNIT.validate(str(junit))
    text = junit.read_text()
    assert "<testsuite name=\"program-only\" tests=\"5\" failures=\"0\" errors=\"0\"" in text
    assert '<testsuite name="pg-broken" tests="1" failures="0" errors="1"' in text
