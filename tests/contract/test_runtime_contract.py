"""The Runtime contract (labctl/runtime/base.py), written once and run against every backend:
the Docker runtime live, and the in-memory fake that core's unit tests use. A new backend (a cluster)
adds itself to BACKENDS below and must pass the same suite."""
from __future__ import annotations

import io
import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pytest

from labctl.core import events
from labctl.core.errors import InstanceNotFoundError, LabctlError
from labctl.core.model import Lab, ServiceSpec, VolumeMount
from labctl.core.settings import Settings
from labctl.runtime.base import Capability, InstanceSpec, Runtime, ServiceState
from tests.conftest import new_instance_name

DATA = Path(__file__).resolve().parents[1] / "data"
IMAGE = "debian:bookworm-slim"  # present wherever an engine is (scripts/ensure-engine builds it)
READY_LINE = "labctl-contract-ready"
# Prints a line, then idles until TERM (PID 1 has no default TERM handler: without the trap a stop takes 15 s).
COMMAND = ("sh", "-c", f"echo {READY_LINE}; trap 'exit 0' TERM; while :; do sleep 0.2; done")


@dataclass
class Backend:
    name: str
    runtime: Runtime  # as one labctl home (owner) sees the engine
    neighbour: Runtime  # another home on the same engine
    make_foreign: Callable[[str, str], None]  # (kind, name): a resource labctl did not make
    cleanup: list[Callable[[], None]]
    reopen: Callable[[], Runtime]  # the same home's runtime, made anew (as the next labctl command does)
    limits_of: Callable[[str], tuple[int, float, int]]  # container name -> (memory bytes, cpus, pids) it runs with


def _settings(home: Path) -> Settings:
    return Settings.from_environ(dict(os.environ, LABCTL_HOME=str(home)))


def _fake(tmp_path: Path) -> Backend:
    from labctl.runtime.fake import FakeEngine, FakeRuntime

    engine = FakeEngine()
    engine.add_image(IMAGE)
    engine.start_output[IMAGE] = [READY_LINE]
    engine.registries.add("registry.test:5000")
    return Backend("fake", FakeRuntime(_settings(tmp_path / "me"), engine),
                   FakeRuntime(_settings(tmp_path / "neighbour"), engine), engine.add_foreign, [],
                   lambda: FakeRuntime(_settings(tmp_path / "me"), engine),
                   lambda name: (engine.containers[name].limits.memory_bytes, engine.containers[name].limits.cpus,
                                 engine.containers[name].limits.pids))


def _docker(tmp_path: Path) -> Backend:
    import docker

    from labctl.runtime.docker import DockerRuntime

    client = docker.from_env(timeout=120)

    def remove_contract_images() -> None:
        for image in client.images.list(name="labctl-local/contract*"):
            for tag in image.tags:
                client.images.remove(tag)

    cleanup: list[Callable[[], None]] = [remove_contract_images]

    def make_foreign(kind: str, name: str) -> None:
        if kind == "container":
            made = client.containers.create(IMAGE, ["true"], name=name)
            cleanup.append(lambda: made.remove(force=True, v=True))
        elif kind == "volume":
            vol = client.volumes.create(name)
            cleanup.append(lambda: vol.remove(force=True))
        else:
            net = client.networks.create(name)
            cleanup.append(net.remove)

    def limits_of(name: str) -> tuple[int, float, int]:
        host = client.api.inspect_container(name)["HostConfig"]
        return host["Memory"], host["NanoCpus"] / 1e9, host["PidsLimit"]

    return Backend("docker", DockerRuntime(_settings(tmp_path / "me")), DockerRuntime(_settings(tmp_path / "neighbour")),
                   make_foreign, cleanup, lambda: DockerRuntime(_settings(tmp_path / "me")), limits_of)


BACKENDS = {"fake": _fake, "docker": _docker}


@pytest.fixture(params=["fake", pytest.param("docker", marks=pytest.mark.live)])
def backend(request, tmp_path):
    made = BACKENDS[request.param](tmp_path)
    yield made
    for undo in reversed(made.cleanup):
        try:
            undo()
        except Exception:
            pass


def _service(**changes) -> ServiceSpec:
    spec = ServiceSpec(
        name="svc", catalog="contract", kind="contract", image=IMAGE, build_context=None, dockerfile=None,
        image_policy="pull-only", environment={"GREETING": "hi"}, ports=(8080,),
        volumes=(VolumeMount("data", "/data"),), command=COMMAND, urls={}, credentials={}, shell=("sh",),
        ready_timeout=None,
    )
    return replace(spec, **changes)


def _spec(tmp_path: Path, instance: str, *, ephemeral: bool = True, **service_changes) -> InstanceSpec:
    lab = Lab(id="contract-lab", title="Contract", stage=1, summary="s", minutes=1, path=tmp_path,
              services={"svc": _service(**service_changes)}, seed=(), workspace=None, tasks=())
    return InstanceSpec(instance, lab, tmp_path, ephemeral=ephemeral)


@pytest.fixture
def instance(backend, tmp_path):
    """A fresh instance name, removed (by the owner that made it) at the end."""
    name = new_instance_name(f"contract-{backend.name}")
    yield name
    for runtime in (backend.runtime, backend.neighbour):
        try:
            runtime.down(name, remove=True, emit=events.discard)
        except LabctlError:
            pass


# ---- the engine ---------------------------------------------------------------------------------

def test_available_says_which_engine_and_a_test_container_runs(backend):
    info = backend.runtime.available()
    assert info.endpoint and info.how and info.name and info.version
    assert backend.runtime.smoke_test() == "labctl-ok"
    assert backend.runtime.name in ("fake", "docker")
    assert all(isinstance(c, Capability) for c in backend.runtime.capabilities)


# ---- up, status, list, down ---------------------------------------------------------------------

def test_up_runs_the_service_on_loopback_and_status_and_list_see_it(backend, instance, tmp_path):
    collected = events.Collector()
    status = backend.runtime.up(_spec(tmp_path, instance), "svc", collected)
    assert status.state is ServiceState.RUNNING
    assert status.host == "127.0.0.1" and set(status.ports) == {8080} and status.ports[8080] > 0
    assert (status.instance, status.lab, status.service, status.catalog) == (instance, "contract-lab", "svc", "contract")
    assert status.container == f"labctl-{instance}-svc"
    assert status.workspace == str(tmp_path)
    assert events.CONTAINER_CREATING in collected.kinds()
    assert backend.runtime.status(instance) == [status]
    summary = next(s for s in backend.runtime.list() if s.instance == instance)
    assert summary.state == "running" and summary.lab == "contract-lab" and summary.services == (status,)


def test_every_container_runs_with_its_services_limits_and_an_existing_one_gets_new_ones(backend, instance, tmp_path):
    from labctl.core.model import ResourceLimits

    first = ResourceLimits(cpus=0.5, memory_bytes=64 * 1024 ** 2, pids=64)
    backend.runtime.up(_spec(tmp_path, instance, limits=first), "svc", events.discard)
    assert backend.limits_of(f"labctl-{instance}-svc") == (64 * 1024 ** 2, 0.5, 64)
    backend.runtime.down(instance, remove=False, emit=events.discard)
    raised = ResourceLimits(cpus=1.0, memory_bytes=96 * 1024 ** 2, pids=100)
    assert backend.runtime.up(_spec(tmp_path, instance, limits=raised), "svc", events.discard).state \
        is ServiceState.RUNNING
    assert backend.limits_of(f"labctl-{instance}-svc") == (96 * 1024 ** 2, 1.0, 100)


def test_up_again_is_idempotent_and_keeps_the_ports(backend, instance, tmp_path):
    first = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    again = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    assert again.state is ServiceState.RUNNING and again.ports == first.ports and again.container == first.container


def test_stop_keeps_everything_and_up_resumes_on_the_same_ports(backend, instance, tmp_path):
    first = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    done = backend.runtime.down(instance, remove=False, emit=events.discard)
    assert done == [f"stopped container labctl-{instance}-svc"]
    stopped = backend.runtime.status(instance)
    assert [s.state for s in stopped] == [ServiceState.STOPPED] and stopped[0].ports == first.ports
    assert next(s for s in backend.runtime.list() if s.instance == instance).state == "stopped"
    resumed = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    assert resumed.state is ServiceState.RUNNING and resumed.ports == first.ports


def test_remove_takes_the_container_volume_and_network(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    done = backend.runtime.down(instance, remove=True, emit=events.discard)
    assert f"removed container labctl-{instance}-svc" in done
    assert f"removed volume labctl-{instance}-svc-data" in done
    assert f"removed network labctl-{instance}" in done
    assert backend.runtime.status(instance) == []
    assert instance not in {s.instance for s in backend.runtime.list()}
    assert backend.runtime.down(instance, remove=True, emit=events.discard) == []


def test_discard_removes_one_container_and_keeps_its_volume_for_a_fresh_one(backend, instance, tmp_path):
    first = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    backend.runtime.exec(instance, "svc", ["sh", "-c", "echo kept > /data/f && echo gone > /etc/f"])
    assert backend.runtime.discard(instance, "svc", events.discard) == [f"removed container {first.container}"]
    assert backend.runtime.status(instance) == []
    again = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    assert again.state is ServiceState.RUNNING and again.container == first.container
    if backend.name == "docker":  # the fake keeps no files
        output = backend.runtime.exec(instance, "svc", ["sh", "-c", "cat /data/f; cat /etc/f"]).output
        assert "kept" in output.splitlines() and "/etc/f: No such file" in output  # stderr may come first
    assert backend.runtime.discard(instance, "nothing", events.discard) == []
    # Made afresh again, it can take back the ports it had (reset does), even on an ephemeral instance.
    backend.runtime.discard(instance, "svc", events.discard)
    keep = replace(_spec(tmp_path, instance), keep_ports={"svc": dict(again.ports)})
    assert backend.runtime.up(keep, "svc", events.discard).ports == again.ports


def test_an_unknown_instance_has_no_status(backend):
    assert backend.runtime.status(new_instance_name("nobody")) == []


def test_the_usual_port_is_taken_when_free_else_another_and_it_says_so(backend, instance, tmp_path):
    import socket

    with socket.socket() as holder:  # a port this test holds: neither backend may take it
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        wanted = holder.getsockname()[1]
        if backend.name == "fake":
            backend.runtime.engine.taken_ports.add(wanted)
        collected = events.Collector()
        status = backend.runtime.up(_spec(tmp_path, instance, ephemeral=False, host_ports={8080: wanted}), "svc",
                                    collected)
    assert status.ports[8080] != wanted
    moved = [e for e in collected.events if e.kind == events.PORT_MOVED]
    assert moved and moved[0].data == {"container_port": 8080, "host_port": status.ports[8080]}


def test_an_ephemeral_instance_never_takes_the_usual_port(backend, instance, tmp_path):
    usual = 8080 if backend.name == "fake" else _free_port()
    status = backend.runtime.up(_spec(tmp_path, instance, host_ports={8080: usual}), "svc", events.discard)
    assert status.ports[8080] != usual


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- owners and things labctl did not make ------------------------------------------------------

def test_another_home_neither_sees_nor_touches_the_instance(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    assert backend.neighbour.status(instance) == []
    assert instance not in {s.instance for s in backend.neighbour.list()}
    assert backend.neighbour.down(instance, remove=True, emit=events.discard) == []
    with pytest.raises(LabctlError, match="belongs to another labctl user"):
        backend.neighbour.up(_spec(tmp_path, instance), "svc", events.discard)
    with pytest.raises(InstanceNotFoundError):
        backend.neighbour.exec(instance, "svc", ["true"])
    assert backend.runtime.status(instance)[0].state is ServiceState.RUNNING


def test_instances_an_older_labctl_made_in_this_home_are_adopted(backend, instance, tmp_path):
    from labctl.core.owner import legacy_owner_id

    older = backend.reopen()
    older.owner = legacy_owner_id(older.settings.home)  # labctl 0.1 labelled resources with a hash of the path
    older.up(_spec(tmp_path, instance), "svc", events.discard)
    upgraded = backend.reopen()
    assert upgraded.owner != older.owner
    assert [s.state for s in upgraded.status(instance)] == [ServiceState.RUNNING]
    assert upgraded.up(_spec(tmp_path, instance), "svc", events.discard).state is ServiceState.RUNNING
    assert backend.neighbour.status(instance) == []
    assert f"removed container labctl-{instance}-svc" in upgraded.down(instance, remove=True, emit=events.discard)


@pytest.mark.parametrize("kind, name", [("container", "labctl-{}-svc"), ("network", "labctl-{}"),
                                        ("volume", "labctl-{}-svc-data")])
def test_a_resource_labctl_did_not_make_is_never_used(backend, instance, tmp_path, kind, name):
    backend.make_foreign(kind, name.format(instance))
    with pytest.raises(LabctlError, match="was not made by labctl; labctl will not touch it"):
        backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)


# ---- exec, logs, interactive commands -----------------------------------------------------------

def test_exec_returns_output_and_exit_code_and_stops_at_the_timeout(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    done = backend.runtime.exec(instance, "svc", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert done.exit_code == 3 and "out" in done.output and "err" in done.output
    assert backend.runtime.exec(instance, "svc", ["sleep", "5"], timeout=0.5).exit_code == 124
    assert backend.runtime.exec(instance, "svc", ["true"], timeout=5).exit_code == 0


def test_exec_refuses_a_stopped_or_missing_service(backend, instance, tmp_path):
    with pytest.raises(InstanceNotFoundError):
        backend.runtime.exec(instance, "svc", ["true"])
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    backend.runtime.down(instance, remove=False, emit=events.discard)
    with pytest.raises(LabctlError, match="is not running"):
        backend.runtime.exec(instance, "svc", ["true"])


def test_restart_keeps_files_and_ports_and_the_service_runs_again(backend, instance, tmp_path):
    before = backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    marker = f"/tmp/labctl-contract-{instance}"
    try:
        backend.runtime.exec(instance, "svc", ["sh", "-c", f"echo kept > {marker}"])
        backend.runtime.restart(instance, "svc", grace=2)
        (after,) = backend.runtime.status(instance)
        assert after.state is ServiceState.RUNNING and after.ports == before.ports
        assert backend.runtime.exec(instance, "svc", ["cat", marker]).output.strip() == "kept"
    finally:
        backend.runtime.exec(instance, "svc", ["rm", "-f", marker])


def test_observe_returns_output_and_exit_code_and_stops_at_the_timeout(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    done = backend.runtime.observe(instance, "svc", ["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=20)
    assert done.exit_code == 3 and "out" in done.output and "err" in done.output
    assert backend.runtime.observe(instance, "svc", ["sleep", "5"], timeout=0.5).exit_code == 124


def test_read_path_gives_kind_mode_owner_and_content_or_none(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    folder = f"/tmp/labctl-contract-{instance}"
    try:
        backend.runtime.exec(instance, "svc", ["sh", "-c", f"mkdir -p {folder} && chmod 2750 {folder} && "
                                                           f"printf 'a=1\\n' > {folder}/f && chmod 640 {folder}/f && "
                                                           f"ln -s f {folder}/link"])
        folder_facts = backend.runtime.read_path(instance, "svc", folder)
        assert folder_facts is not None and folder_facts.kind == "directory" and folder_facts.mode == 0o2750
        facts = backend.runtime.read_path(instance, "svc", f"{folder}/f", max_bytes=100)
        assert facts is not None and (facts.kind, facts.mode, facts.content) == ("file", 0o640, b"a=1\n")
        assert backend.runtime.read_path(instance, "svc", f"{folder}/f").content is None  # not asked for
        assert backend.runtime.read_path(instance, "svc", f"{folder}/f", max_bytes=2).content is None  # too big
        link = backend.runtime.read_path(instance, "svc", f"{folder}/link")
        assert link is not None and (link.kind, link.target) == ("symlink", "f")
        assert backend.runtime.read_path(instance, "svc", f"{folder}/nothing") is None
    finally:
        backend.runtime.exec(instance, "svc", ["rm", "-rf", folder])


def test_restart_and_observe_refuse_a_stopped_or_missing_service(backend, instance, tmp_path):
    with pytest.raises(InstanceNotFoundError):
        backend.runtime.observe(instance, "svc", ["true"], timeout=5)
    with pytest.raises(InstanceNotFoundError):
        backend.runtime.read_path(instance, "svc", "/")
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    backend.runtime.down(instance, remove=False, emit=events.discard)
    with pytest.raises(LabctlError, match="is not running"):
        backend.runtime.restart(instance, "svc")
    with pytest.raises(LabctlError, match="is not running"):
        backend.runtime.observe(instance, "svc", ["true"], timeout=5)


def test_logs_give_the_last_lines(backend, instance, tmp_path):
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    _wait_for(lambda: READY_LINE in list(backend.runtime.logs(instance, "svc", tail=10)))
    assert list(backend.runtime.logs(instance, "svc", tail=1)) == [READY_LINE]
    with pytest.raises(InstanceNotFoundError):
        list(backend.runtime.logs(new_instance_name("nobody"), "svc"))


def test_interactive_command_runs_the_argv_inside_with_or_without_a_terminal(backend, instance, tmp_path):
    if Capability.INTERACTIVE not in backend.runtime.capabilities:
        pytest.skip(f"{backend.name} declares no interactive commands")
    backend.runtime.up(_spec(tmp_path, instance), "svc", events.discard)
    with_tty = backend.runtime.interactive_command(instance, "svc", ["sh", "-l"], tty=True)
    without = backend.runtime.interactive_command(instance, "svc", ["sh", "-l"], tty=False)
    if with_tty is None:
        pytest.skip("no client for interactive commands on this machine")
    assert with_tty[-2:] == ["sh", "-l"] and without[-2:] == ["sh", "-l"]
    assert "-it" in with_tty and "-it" not in without and "-i" in without
    if backend.name == "docker":
        import subprocess

        ran = subprocess.run([*without[:-2], "sh", "-c", "read line; echo got-$line"], input=b"hello\n",
                             capture_output=True, timeout=30)
        assert ran.stdout.decode().strip() == "got-hello"


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


# ---- images ---------------------------------------------------------------------------------------

def _built_service() -> ServiceSpec:
    return _service(image=None, image_policy="build-only", build_context=DATA / "contract-image", dockerfile=None)


def test_resolve_uses_what_is_present_and_says_what_to_do_when_nothing_can_be_had(backend):
    images = backend.runtime.images
    assert images.resolve(_service(), "auto", events.discard) == IMAGE
    assert images.inspect(IMAGE) is not None and images.inspect(IMAGE).id
    missing = f"labctl-test/nowhere:{secrets.token_hex(4)}"
    assert images.inspect(missing) is None
    from labctl.core.errors import ImageUnavailableError

    with pytest.raises(ImageUnavailableError) as info:
        images.resolve(_service(image=missing, offline_hint="Nobody packages it."), "auto", events.discard)
    assert "Nobody packages it." in info.value.hint and "labctl images load" in info.value.hint


def test_build_tags_by_context_digest_and_list_remove_see_only_labctl_images(backend):
    images = backend.runtime.images
    if not images.can_build:
        pytest.skip(f"{backend.name} cannot build")
    service = _built_service()
    tag = images.build(service, events.discard)
    assert tag == images.local_tag(service) and tag.startswith("labctl-local/contract:")
    assert images.resolve(service, "auto", events.discard) == tag
    image = images.inspect(tag)
    assert image is not None and any(tag in i.tags for i in images.list())
    assert IMAGE not in {t for i in images.list() for t in i.tags}  # not labctl's: never listed
    images.remove(image.id)
    assert images.inspect(tag) is None


def test_export_then_load_brings_the_same_image_back(backend):
    images = backend.runtime.images
    tag = images.build(_built_service(), events.discard)
    before = images.inspect(tag)
    archive = b"".join(images.export(tag))
    images.remove(before.id)
    assert images.inspect(tag) is None
    images.load(io.BytesIO(archive))
    assert images.inspect(tag).id == before.id
    copy = f"labctl-local/contract-copy:{secrets.token_hex(3)}"
    images.tag(before.id, copy)
    assert set(images.inspect(copy).tags) >= {tag, copy}
    images.remove(before.id)  # every tag goes with it
    assert images.inspect(tag) is None and images.inspect(copy) is None


def test_an_image_a_container_uses_is_not_removed(backend, instance, tmp_path):
    images = backend.runtime.images
    tag = images.build(_built_service(), events.discard)
    backend.runtime.up(_spec(tmp_path, instance, image=None, image_policy="build-only",
                             build_context=DATA / "contract-image"), "svc", events.discard)
    backend.runtime.down(instance, remove=False, emit=events.discard)  # stopped still counts
    with pytest.raises(LabctlError, match="uses it"):
        images.remove(images.inspect(tag).id)
    assert images.inspect(tag) is not None


def test_push_to_a_registry_and_a_clear_error_when_none_answers(backend, registry):
    images = backend.runtime.images
    tag = images.build(_built_service(), events.discard)
    target = f"{registry}/labctl-contract:{secrets.token_hex(3)}"
    collected = events.Collector()
    images.push(tag, target, collected)
    assert events.IMAGE_READY in collected.kinds()
    assert images.inspect(target) is None  # the push's address is not left behind as a local tag
    with pytest.raises(LabctlError, match="pushing .* failed"):
        images.push(tag, f"127.0.0.1:1/labctl-contract:{secrets.token_hex(3)}", events.discard)


@pytest.fixture
def registry(backend):
    """A registry address the backend can push to: in memory for the fake, Debian's docker-registry for Docker."""
    if backend.name == "fake":
        return "registry.test:5000"
    import docker

    from labctl.core.image_policy import context_hash

    client = docker.from_env(timeout=300)
    tag = f"labctl-test/registry:{context_hash(DATA / 'registry-image')[:12]}"
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        client.images.build(path=str(DATA / "registry-image"), tag=tag, network_mode="host", rm=True)
    container = client.containers.run(tag, detach=True, ports={"5000/tcp": ("127.0.0.1", None)},
                                      labels={"io.labctl.test": "registry"}, mem_limit="256m")
    backend.cleanup.append(lambda: container.remove(force=True, v=True))  # and its anonymous volume
    container.reload()
    port = container.attrs["NetworkSettings"]["Ports"]["5000/tcp"][0]["HostPort"]
    import urllib.request

    def answers() -> bool:
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    f"http://127.0.0.1:{port}/v2/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    _wait_for(answers, 30)
    return f"127.0.0.1:{port}"


# ---- sandboxes (untrusted code) --------------------------------------------------------------------

def _files(**contents: str) -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in contents.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size, member.uid, member.gid, member.mode = len(data), 1000, 1000, 0o644
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def runner_image(backend):
    """The python runner (built once per machine for Docker; any name for the fake, whose code runs on the host)."""
    if backend.name == "fake":
        return "fake/runner"
    from labctl.core.runners import runners

    return backend.runtime.images.resolve(runners()["python"].image_spec, "build", events.discard)


def _sandbox_spec(instance: str, image: str, **changes):
    from labctl.runtime.base import SandboxSpec

    spec = SandboxSpec(instance=instance, lab="contract-lab", image=image,
                       files=_files(**{"main.py": "import sys\nprint(sys.stdin.read().upper(), end='')\n"}))
    return replace(spec, **changes)


def test_a_sandbox_runs_commands_on_its_files_with_stdin_exit_codes_and_a_time_limit(backend, instance, runner_image):
    if Capability.SANDBOX not in backend.runtime.capabilities:
        pytest.skip(f"{backend.name} declares no sandboxes")
    box = backend.runtime.open_sandbox(_sandbox_spec(instance, runner_image))
    try:
        done = box.run("python3 main.py", stdin=b"hello\n", time_limit=20)
        assert (done.exit_code, done.stdout, done.stderr) == (0, b"HELLO\n", b"")
        assert box.run("echo oops >&2; exit 3", time_limit=20).exit_code == 3
        assert box.run("echo oops >&2; exit 3", time_limit=20).stderr == b"oops\n"
        started = time.monotonic()
        assert box.run("sleep 30", time_limit=1).exit_code is None
        assert time.monotonic() - started < 15
    finally:
        box.close()


def test_a_sandbox_serves_an_app_on_loopback_and_close_removes_it(backend, instance, runner_image):
    import urllib.request

    if Capability.SANDBOX not in backend.runtime.capabilities:
        pytest.skip(f"{backend.name} declares no sandboxes")
    spec = _sandbox_spec(instance, runner_image, network=True, publish=8000,
                         files=_files(**{"index.html": "served from the sandbox"}), install="echo installed")
    box = backend.runtime.open_sandbox(spec)
    try:
        assert box.host_port and "installed" in box.install_output
        assert not box.listening(8000)
        box.serve("exec python3 -m http.server ${PORT:-8000}", env={"PORT": "8000"})
        _wait_for(lambda: box.listening(8000))
        assert box.serving()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        _wait_for(lambda: _answers(opener, f"http://127.0.0.1:{box.host_port}/index.html"))
        with opener.open(f"http://127.0.0.1:{box.host_port}/index.html", timeout=5) as response:
            assert response.read() == b"served from the sandbox"
        # A restart: what serve() started ends (its files stay), and serve() starts it again.
        box.stop_serving(grace=5)
        assert not box.serving() and not box.listening(8000)
        box.serve("exec python3 -m http.server ${PORT:-8000}", env={"PORT": "8000"})
        _wait_for(lambda: box.listening(8000))
        _wait_for(lambda: _answers(opener, f"http://127.0.0.1:{box.host_port}/index.html"))
        assert box.serving()
    finally:
        box.close()
    assert not _answers(urllib.request.build_opener(urllib.request.ProxyHandler({})),
                        f"http://127.0.0.1:{box.host_port}/index.html")


def test_a_failed_install_says_what_it_printed_and_leaves_nothing(backend, instance, runner_image):
    if Capability.SANDBOX not in backend.runtime.capabilities:
        pytest.skip(f"{backend.name} declares no sandboxes")
    with pytest.raises(LabctlError, match="exited with code 4"):
        backend.runtime.open_sandbox(_sandbox_spec(instance, runner_image, install="echo missing wheel; exit 4"))
    assert backend.runtime.status(instance) == []


def _answers(opener, url: str) -> bool:
    try:
        with opener.open(url, timeout=2):
            return True
    except OSError:
        return False
