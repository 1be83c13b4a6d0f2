"""Live tests of linux.package: dpkg's record of a package, read through the engine, against a real box."""
from __future__ import annotations

import pytest

from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live
SERVICE = "linuxbox"
LAB = "linuxbox-only"


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    manager = make_manager(tmp_path_factory.mktemp("pkg-home"))
    name = new_instance_name("pkg")
    manager.start(LAB, name=name, workspace=tmp_path_factory.mktemp("pkg-ws"), ephemeral=True)
    yield manager, name
    manager.destroy(name)


@pytest.fixture
def ctx(box):
    manager, name = box
    context = manager.context(manager.view(name))
    yield context
    context.close()


def sh(ctx, command: str) -> str:
    code, out = ctx.exec(SERVICE, ["bash", "-c", command], None)
    assert code == 0, f"{command!r} exited {code}: {out}"
    return out


def check(ctx, **params):
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check
    from labctl.core.model import CheckSpec, Task

    cls = registry.get("linux.package")
    spec = cls.model_validate({"service": SERVICE, **params})
    return run_check(Task("t", "t", TEST_LABS / LAB, ("h",), (), (), ()), CheckSpec(cls.type_name, spec, 0), ctx)


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
