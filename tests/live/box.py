"""What the live tests of the Linux box share: a running test box, a check context on it, a shell in it, and a
check run from its lab.yaml form (the way the runner runs it)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from tests.check_runs import run_spec
from tests.conftest import TEST_LABS, make_manager, new_instance_name

SERVICE = "linuxbox"
LAB = "linuxbox-only"


@contextmanager
def running_box(tmp_path_factory, prefix: str) -> Iterator[tuple]:
    """(manager, instance name) of a fresh linuxbox-only instance, destroyed at the end."""
    manager = make_manager(tmp_path_factory.mktemp(f"{prefix}-home"))
    name = new_instance_name(prefix)
    manager.start(LAB, name=name, workspace=tmp_path_factory.mktemp(f"{prefix}-ws"), ephemeral=True)
    try:
        yield manager, name
    finally:
        manager.destroy(name)


@contextmanager
def box_context(box, timeout: float | None = None):
    manager, name = box
    context = manager.context(manager.view(name))
    if timeout is not None:
        context.timeout = timeout
    try:
        yield context
    finally:
        context.close()


def shell(ctx) -> Callable[..., str]:
    """run("...", user=None, ok=True): a bash command line in the box (as root unless user=), its output;
    asserts it succeeded unless ok=False."""
    def run(command: str, user: str | None = None, ok: bool = True) -> str:
        code, out = ctx.exec(SERVICE, ["bash", "-c", command], user)
        if ok:
            assert code == 0, f"{command!r} exited {code}: {out}"
        return out
    return run


def check_runner(ctx, **defaults) -> Callable[[dict], object]:
    """run({"type": ..., params}): validated as lab.yaml is (service defaults to the box, then `defaults`) and run
    as the runner does; its CheckResult."""
    def run(entry: dict):
        return run_spec({"service": SERVICE, **defaults, **entry}, TEST_LABS / LAB, ctx)
    return run


def ok(result) -> None:
    assert result.status.value == "passed", result.message


def no(result, message: str) -> None:
    assert result.status.value == "failed", result.message
    assert message in result.message, result.message
