"""`labctl destroy --all` (and `images prune`): remove every instance of this labctl home, and nothing else.

Instances carry their owner (a hash of LABCTL_HOME), so `destroy --all` removes this home's instances only:
another user's instance on the same engine survives it, as do resources without labctl's labels. Images
are shared by every user of the engine, so the prune half reads labctl's image listing in full (checked to
hold no decoy), then narrows it to this test's stale image before `images prune --all` removes anything:
the real --all would delete the service images other live tests use.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from labctl.cli import cli
from labctl.core.errors import InstanceNotFoundError, LabctlError
from labctl.runtime.base import InstanceSummary
from tests.conftest import make_manager, new_instance_name

# ---- without an engine: a fake manager ------------------------------------------------------


@dataclass
class FakeManager:
    names: list[str]
    failing: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    destroyed: list[str] = field(default_factory=list)

    def instances(self):
        return [InstanceSummary(n, "pg-only", ()) for n in self.names]

    def destroy(self, name, emit=None):
        if name in self.gone:
            raise InstanceNotFoundError(f"there is no lab instance called {name!r}")
        if name in self.failing:
            raise LabctlError(f"the engine refused to remove {name}")
        self.destroyed.append(name)
        return [f"removed container labctl-{name}-postgres"]


@pytest.fixture
def fake(monkeypatch):
    from labctl.cli.app import App

    manager = FakeManager(["alpha", "beta", "gamma"])
    monkeypatch.setattr(App, "manager", property(lambda self: manager))
    return manager


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_nothing_to_destroy_exits_0(fake):
    fake.names.clear()
    result = invoke("destroy", "--all")
    assert result.exit_code == 0, result.output
    assert "Nothing to destroy" in result.output


def test_all_needs_confirmation_and_changes_nothing_without_it(fake):
    result = invoke("destroy", "--all")
    assert result.exit_code == 1
    assert isinstance(result.exception, LabctlError)
    assert "needs confirmation" in result.exception.message
    assert fake.destroyed == []


def test_all_with_yes_removes_every_instance(fake):
    result = invoke("destroy", "--all", "--yes")
    assert result.exit_code == 0, result.output
    assert fake.destroyed == ["alpha", "beta", "gamma"]
    assert "Removed 3 lab instance(s)" in result.output


def test_the_question_lists_every_instance(fake, monkeypatch):
    from labctl.cli.app import App

    asked = []
    monkeypatch.setattr(App, "confirm", lambda self, question, yes: asked.append(question))
    assert invoke("destroy", "--all").exit_code == 0
    assert len(asked) == 1
    for name in fake.names:
        assert f"  {name} (pg-only" in asked[0]


def test_one_failure_does_not_stop_the_others(fake):
    fake.failing.add("beta")
    fake.gone.add("gamma")
    result = invoke("destroy", "--all", "--yes")
    assert result.exit_code == 1
    assert fake.destroyed == ["alpha"]
    assert "1 of 3 lab instances could not be removed" in result.exception.message
    assert "gamma was already gone" in result.output


@pytest.mark.parametrize("extra", [["alpha"], ["--name", "alpha"]])
def test_all_and_an_instance_are_exclusive(fake, extra):
    result = invoke("destroy", "--all", "--yes", *extra)
    assert result.exit_code == 1
    assert "not both" in result.exception.message
    assert fake.destroyed == []


# ---- live: decoys survive -------------------------------------------------------------------

@pytest.fixture
def client(engine):
    import docker

    return docker.from_env(timeout=120)


@pytest.mark.live
def test_destroy_all_and_prune_spare_everything_not_theirs(client, monkeypatch, tmp_path):
    from labctl.runtime.docker.images import DockerImages
    from labctl.runtime.docker.runtime import DockerRuntime

    instance = new_instance_name("dall")
    token = secrets.token_hex(3)
    labelled_like_ours = {"io.labctl.instance": instance, "io.labctl.fake": "1", "io.labctl.managed": "false"}
    made: dict[str, list] = {"containers": [], "networks": [], "volumes": [], "images": []}
    manager = make_manager(Path(os.environ["LABCTL_HOME"]))  # the home the CLI below uses
    neighbour = make_manager(tmp_path / "someone-else")  # another user of the same engine
    neighbours_instance = new_instance_name("neighbour")
    seen_instances: list[str] = []
    seen_images: list[dict] = []
    try:
        # Decoys: no labels; labctl-looking names; labels claiming this very instance but not labctl's managed label.
        plain = client.containers.run("debian:bookworm-slim", ["sleep", "300"], name=f"{instance}-decoy", detach=True)
        impostor = client.containers.run("debian:bookworm-slim", ["sleep", "300"], name=f"labctl-{instance}-impostor",
                                         labels=labelled_like_ours, detach=True)
        made["containers"] += [plain.id, impostor.id]
        made["networks"] += [client.networks.create(f"labctl-{instance}-decoy").id,
                             client.networks.create(f"{instance}-decoy-net", labels=labelled_like_ours).id]
        made["volumes"] += [client.volumes.create(f"labctl-{instance}-decoy-data").name,
                            client.volumes.create(f"{instance}-decoy-vol", labels=labelled_like_ours).name]
        client.api.tag("debian:bookworm-slim", "decoy/keepme", token)
        made["images"].append(f"decoy/keepme:{token}")
        client.api.commit(plain.id, repository="decoy/keepme-labelled", tag=token,
                          conf={"Labels": {"io.labctl.fake": "1", "io.labctl.image-for": "postgres"}})
        made["images"].append(f"decoy/keepme-labelled:{token}")
        # A stale labctl-built image of our own: prune must remove it.
        client.api.commit(plain.id, repository=f"labctl-local/{instance}", tag="stale",
                          conf={"Labels": {"io.labctl.managed": "true"}})
        made["images"].append(f"labctl-local/{instance}:stale")
        decoy_image_ids = {client.images.get(ref).id for ref in made["images"][:2]}

        manager.start("redis-only", name=instance, workspace=tmp_path / "ws", ephemeral=True)
        neighbour.start("redis-only", name=neighbours_instance, workspace=tmp_path / "ws2", ephemeral=True)

        real_list, real_images = DockerRuntime.list, DockerImages.list

        def listed(self):
            found = real_list(self)
            seen_instances.extend(s.instance for s in found)
            return found

        def labctl_images(self):
            found = real_images(self)
            seen_images.extend(found)
            return [i for i in found if f"labctl-local/{instance}:stale" in i.tags]

        monkeypatch.setattr(DockerRuntime, "list", listed)
        monkeypatch.setattr(DockerImages, "list", labctl_images)

        destroyed = CliRunner().invoke(cli, ["destroy", "--all", "--yes"], catch_exceptions=False)
        assert destroyed.exit_code == 0, destroyed.output
        assert f"Removed {instance}" in destroyed.output
        assert neighbours_instance not in seen_instances and neighbours_instance not in destroyed.output
        assert neighbour.view(neighbours_instance).ready  # the other user's lab runs on
        pruned = CliRunner().invoke(cli, ["images", "prune", "--yes", "--all"], catch_exceptions=False)
        assert pruned.exit_code == 0, pruned.output

        # labctl never even listed a decoy ...
        assert instance in seen_instances
        assert not decoy_image_ids & {i.id for i in seen_images}
        assert not any(ref.startswith("decoy/") for i in seen_images for ref in i.tags)
        # ... every decoy is still there ...
        for container_id in made["containers"]:
            assert client.containers.get(container_id).status == "running"
        for network_id in made["networks"]:
            client.networks.get(network_id)
        for volume in made["volumes"]:
            client.volumes.get(volume)
        for ref in made["images"][:2]:
            client.images.get(ref)
        # ... while the instance and the stale labctl image are gone.
        ours = {"label": ["io.labctl.managed=true", f"io.labctl.instance={instance}"]}
        assert not client.api.containers(all=True, filters=ours)
        assert not client.api.volumes(filters=ours).get("Volumes")
        assert not client.api.networks(filters=ours)
        assert not client.api.images(name=f"labctl-local/{instance}")
    finally:
        for owner, name in ((manager, instance), (neighbour, neighbours_instance)):
            try:
                owner.destroy(name)
            except LabctlError:
                pass
        for container_id in made["containers"]:
            client.api.remove_container(container_id, force=True)
        for network_id in made["networks"]:
            client.api.remove_network(network_id)
        for volume in made["volumes"]:
            client.api.remove_volume(volume, force=True)
        for ref in reversed(made["images"]):
            try:
                client.api.remove_image(ref)
            except Exception:  # already pruned (the stale one), which is what the test wants
                pass
