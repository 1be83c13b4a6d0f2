"""A container whose own file system is learner state (x-labctl keep-filesystem: the Linux box's /etc, users):
committed to an image of the instance's own before labctl re-creates it, and that image removed with the
instance (destroy, leftover sweeps) or when reset makes the service afresh."""
from __future__ import annotations

from typing import Callable

from labctl.core import events, labels, naming
from labctl.core.events import Emit, Event
from labctl.runtime.base import InstanceSpec
from labctl.runtime.docker.client import translated
from labctl.runtime.docker.containers import instance_labels


def commit_filesystem(api, spec: InstanceSpec, service: str, container: dict, owner: str, emit: Emit) -> str:
    """Commit the (stopped) container to the instance's own image, labelled like the instance, with the recipe's
    image its file system started from (io.labctl.kept-from, carried over from an earlier commit); that image's
    reference. Committing again moves the tag: the older commit stays only as the newer one's parent layer.
    Raises LabctlError."""
    ref = naming.kept_image(spec.instance, service)
    repository, tag = ref.rsplit(":", 1)
    config = container.get("Config") or {}
    made_from = (config.get("Labels") or {}).get(labels.KEPT_FROM) or config.get("Image", "")
    kept_labels = {**instance_labels(spec, owner), labels.SERVICE: service, labels.KEPT_FILESYSTEM: service,
                   labels.KEPT_FROM: made_from}
    emit(Event(events.CONTAINER_CREATING, f"keeping {container['Name'].lstrip('/')}'s file system in {ref}", service))
    with translated(f"keeping {service}'s file system"):
        api.commit(container["Id"], repository=repository, tag=tag, conf={"Labels": kept_labels})
    return ref


def remove_kept_images(client, selector: dict, mine: Callable[[dict | None], bool], emit: Emit) -> list[str]:
    """Remove the images of kept file systems (keep-filesystem) that `selector` finds and are `mine`, once their
    containers are gone; what was removed. Raises docker errors."""
    import docker.errors

    done: list[str] = []
    for image in client.api.images(filters={"label": [*selector["label"], labels.KEPT_FILESYSTEM]}):
        if not mine(image.get("Labels")):
            continue
        name = (image.get("RepoTags") or [image["Id"]])[0]
        emit(Event(events.REMOVING, f"removing image {name}"))
        try:
            client.api.remove_image(image["Id"], force=True)
        except docker.errors.NotFound:
            pass
        done.append(f"removed image {name}")
    return done
