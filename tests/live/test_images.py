"""Live: workshop bundles round-trip images exactly; truncated or corrupt bundles load nothing."""
from __future__ import annotations

import io
import secrets

import docker
import pytest

from labctl.core import bundle
from labctl.core.errors import LabctlError
from labctl.core.settings import Settings
from labctl.runtime.docker import DockerRuntime

pytestmark = pytest.mark.live


@pytest.fixture
def store():
    return DockerRuntime(Settings.from_environ()).images


@pytest.fixture
def tiny_image():
    """A small labelled image of our own, so removing and re-loading it disturbs nothing else."""
    client = docker.from_env()
    ref = f"labctl-test/bundle:{secrets.token_hex(4)}"
    dockerfile = f"FROM debian:bookworm-slim\nLABEL io.labctl.managed=true io.labctl.test={ref}\n"
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=ref, rm=True)
    yield ref, image.id
    try:
        client.images.remove(ref, force=True)
    except docker.errors.ImageNotFound:
        pass


def test_save_then_load_on_an_engine_without_the_image(store, tiny_image, tmp_path):
    ref, image_id = tiny_image
    target = tmp_path / "workshop.tar"
    entries = bundle.save(store, [ref], target)
    assert [e.ref for e in entries] == [ref] and entries[0].image_id == image_id
    docker.from_env().images.remove(ref)
    assert store.inspect(ref) is None
    loaded = bundle.load(store, target)
    assert [e.ref for e in loaded] == [ref]
    assert store.inspect(ref).id == image_id


def test_truncated_bundle_is_refused_and_loads_nothing(store, tiny_image, tmp_path):
    ref, _ = tiny_image
    target = tmp_path / "workshop.tar"
    bundle.save(store, [ref], target)
    docker.from_env().images.remove(ref)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with pytest.raises(LabctlError) as info:
        bundle.load(store, target)
    assert "is not a valid labctl bundle" in info.value.message and "nothing was loaded" in info.value.message
    assert store.inspect(ref) is None


def test_corrupt_image_data_is_refused_by_checksum(store, tiny_image, tmp_path):
    ref, _ = tiny_image
    target = tmp_path / "workshop.tar"
    bundle.save(store, [ref], target)
    data = bytearray(target.read_bytes())
    data[4096] ^= 0xFF  # inside the first image's data, after the tar header
    target.write_bytes(bytes(data))
    with pytest.raises(LabctlError) as info:
        bundle.read_manifest(target)
    assert "checksum does not match" in info.value.message


def test_save_refuses_a_missing_image(store, tmp_path):
    with pytest.raises(LabctlError) as info:
        bundle.save(store, ["labctl-test/absent:nope"], tmp_path / "x.tar")
    assert "is not on this machine" in info.value.message
    assert not (tmp_path / "x.tar").exists() and not (tmp_path / "x.tar.partial").exists()
