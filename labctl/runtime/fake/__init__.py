"""An in-memory Runtime for unit tests of core: no engine, the same contract as Docker (tests/contract/).

Containers, volumes, networks and images are records in a FakeEngine, which several FakeRuntimes (several
labctl homes, so several owners) may share, as people share a workshop engine. exec() runs the command
on the host with a timeout: tests use it for stateless commands (echo, exit codes, sleep). Tests can
make a service fail on start, take host ports, and add resources labctl did not make.
"""
from labctl.runtime.fake.engine import FakeContainer, FakeEngine
from labctl.runtime.fake.images import FakeImages
from labctl.runtime.fake.runtime import FakeRuntime
from labctl.runtime.fake.sandbox import FakeSandbox

__all__ = ["FakeContainer", "FakeEngine", "FakeImages", "FakeRuntime", "FakeSandbox"]
