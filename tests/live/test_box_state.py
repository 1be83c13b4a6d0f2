"""Live: the Linux box's whole file system (/etc, users made with useradd), not only /home/learner, survives
stop/start, a restart of its container and the re-create on a free port after its port was taken; reset puts it
back to its starting state."""
from __future__ import annotations

import socket

import docker
import pytest

from labctl.core import events, labels, naming
from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live
SERVICE = "linuxbox"
LAB = "linuxbox-only"
MARK = "/etc/labctl-box-state.conf"
USER = "deployer"


@pytest.fixture
def box(engine, tmp_path):
    """(manager, instance name) of a running linuxbox-only instance, with a file in /etc and a user of its own."""
    manager = make_manager(tmp_path / "home")
    name = new_instance_name("box")
    manager.start(LAB, name=name, workspace=tmp_path / "ws", ephemeral=True)
    root(manager, name, f"echo listen=8080 > {MARK} && useradd --create-home {USER}")
    assert kept(manager, name)
    yield manager, name
    manager.runtime.down(name, remove=True, emit=events.discard)


def root(manager, name: str, command: str) -> str:
    result = manager.runtime.exec(name, SERVICE, ["bash", "-c", command], user="root", timeout=30)
    assert result.exit_code == 0, f"{command!r} exited {result.exit_code}: {result.output}"
    return result.output


def kept(manager, name: str) -> bool:
    """Whether the file in /etc and the user are both there."""
    result = manager.runtime.exec(name, SERVICE, ["bash", "-c", f"cat {MARK} && id -u {USER} && ls -d ~{USER}"],
                                  user="root", timeout=30)
    return result.exit_code == 0 and "listen=8080" in result.output


def container_id(name: str) -> str:
    return docker.from_env().api.inspect_container(naming.container(name, SERVICE))["Id"]


def test_stop_and_start_keep_the_file_system(box):
    manager, name = box
    before = container_id(name)
    manager.stop(name)
    manager.start(LAB, name=name)
    assert container_id(name) == before, "stop/start keeps the container itself"
    assert kept(manager, name)


def test_a_restart_of_the_container_keeps_the_file_system(box):
    manager, name = box
    docker.from_env().containers.get(naming.container(name, SERVICE)).restart(timeout=5)
    assert kept(manager, name)
    assert manager.view(name).ready


def start_with_its_port_taken(manager, name: str, emit=events.discard):
    """Stop the box, hold its host port with a plain socket, and start it again: the view after the start."""
    port = manager.view(name).services[0].status.ports[22]
    manager.stop(name)
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the readiness probes' closed connections
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    try:
        view = manager.start(LAB, name=name, emit=emit).view
    finally:
        blocker.close()
    assert view.services[0].status.ports[22] != port
    return view


def test_the_re_create_after_its_port_was_taken_keeps_the_file_system(box):
    """Its host port is taken while it is stopped: the container is committed to the instance's own image and
    re-created from it on a free port, twice in a row; destroy removes that image."""
    manager, name = box
    recipe = manager.view(name).services[0].status.image
    client = docker.from_env()
    for round in (1, 2):
        before = container_id(name)
        collector = events.Collector()
        view = start_with_its_port_taken(manager, name, collector)
        assert container_id(name) != before, "the container was re-created"
        assert any("re-creating it on a free port" in e.message for e in collector.events)
        assert kept(manager, name), f"round {round}"
        assert view.ready
        image = client.images.get(naming.kept_image(name, SERVICE))
        assert image.labels[labels.INSTANCE] == name and image.labels[labels.KEPT_FILESYSTEM] == SERVICE
        assert image.labels[labels.OWNER] == manager.runtime.owner
        assert client.api.inspect_container(naming.container(name, SERVICE))["Image"] == image.id
        assert image.labels[labels.KEPT_FROM] == recipe
        box = manager.view(name).services[0]
        assert box.made_from == recipe and box.newer_image() is None, "a kept copy counts as the recipe's image"

    done = manager.destroy(name)
    assert f"removed image {naming.kept_image(name, SERVICE)}" in done
    assert not client.api.images(name=naming.kept_image(name, SERVICE).split(":")[0])


def test_a_start_after_a_re_create_cut_short_uses_the_kept_file_system(box):
    """A labctl killed between the commit and the new container: the next start finds the kept image."""
    manager, name = box
    start_with_its_port_taken(manager, name)
    docker.from_env().api.remove_container(naming.container(name, SERVICE), force=True)  # as if killed there
    assert manager.start(LAB, name=name).view.ready
    assert kept(manager, name)


def test_reset_after_a_re_create_removes_the_kept_image(box):
    manager, name = box
    start_with_its_port_taken(manager, name)
    client = docker.from_env()
    assert client.api.images(name=naming.kept_image(name, SERVICE).split(":")[0])
    manager.reset(name)
    assert not kept(manager, name)
    assert not client.api.images(name=naming.kept_image(name, SERVICE).split(":")[0])
    assert root(manager, name, "cat /etc/labctl-seed.txt") == "seeded by labctl\n"


def test_reset_makes_the_box_afresh_from_the_current_image(box):
    """reset: the kept image goes, the box comes back from the recipe's image (no /etc file, no user), the
    learner's home as a new box has it, seeded again."""
    manager, name = box
    root(manager, name, "echo mine > /home/learner/notes.txt")
    recipe = docker.from_env().api.inspect_container(naming.container(name, SERVICE))["Image"]
    ports = manager.view(name).services[0].status.ports
    manager.login_run(name, "true")  # a connection just closed: the port may linger in TIME_WAIT
    manager.reset(name)
    assert manager.view(name).services[0].status.ports == ports, "the learner's SSH port stays"
    assert not kept(manager, name)
    home = root(manager, name, f"test ! -e {MARK} && ! id {USER} >/dev/null 2>&1 && ls -A /home/learner").split()
    assert "notes.txt" not in home and {".bashrc", ".profile", ".ssh"} <= set(home)
    assert docker.from_env().api.inspect_container(naming.container(name, SERVICE))["Image"] == recipe
    view = manager.view(name)
    assert view.ready
    assert "learner" in root(manager, name, "id learner")
    assert root(manager, name, "cat /etc/labctl-seed.txt") == "seeded by labctl\n", "the seed ran again"
