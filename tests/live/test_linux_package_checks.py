"""Live tests of linux.package: dpkg's record of a package, read through the engine, against a real box."""
from __future__ import annotations

import pytest

from tests.live.box import box_context, check_runner, running_box, shell

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    with running_box(tmp_path_factory, "pkg") as found:
        yield found


@pytest.fixture
def ctx(box):
    with box_context(box) as context:
        yield context


def sh(ctx, command: str) -> str:
    return shell(ctx)(command)


def check(ctx, **params):
    return check_runner(ctx, type="linux.package")(params)


def test_package_states(ctx):
    result = check(ctx, name="tree")
    assert result.status.value == "failed" and "tree is not installed" in result.message, result.message
    assert check(ctx, name="tree", installed=False).status.value == "passed"
    sh(ctx, "dpkg -i /var/lib/labctl-mirror/jq_*.deb || true")   # its libraries are missing
    result = check(ctx, name="jq")
    assert result.status.value == "failed" and "only half installed" in result.message, result.message
    sh(ctx, "apt-get update -q && apt-get install -f -y -q && apt-get install -y -q tree")
    assert check(ctx, name="jq").status.value == "passed"
    result = check(ctx, name="tree")
    assert result.status.value == "passed" and "2.1.0" in result.message, result.message
    result = check(ctx, name="tree", installed=False)
    assert result.status.value == "failed" and "sudo apt remove tree" in result.message, result.message


def test_a_replaced_dpkg_query_does_not_answer(ctx):
    # The learner is root: a dpkg-query that claims everything is installed changes nothing.
    sh(ctx, "printf '#!/bin/sh\\necho install ok installed\\n' > /usr/local/bin/dpkg-query; chmod 755 /usr/local/bin/dpkg-query")
    result = check(ctx, name="sl")
    assert result.status.value == "failed" and "sl is not installed" in result.message, result.message
