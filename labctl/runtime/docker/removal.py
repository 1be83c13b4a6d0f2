"""Stopping and removing an instance's containers, volumes and network, tolerant of another labctl removing
them at the same moment (a deadline's watchdog and the cleanup after it): what is already gone counts as done."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from labctl.core import events, labels
from labctl.core.events import Emit, Event

STOP_TIMEOUT = 15  # seconds a container gets to stop before the engine kills it


def stop_containers(client, containers: list[dict], *, remove: bool, emit: Emit) -> list[str]:
    """Stop (and, if asked, remove) the containers, several at once; what was done. Raises docker errors."""
    import docker.errors

    def stop(summary: dict) -> str:
        name = summary["Names"][0].lstrip("/")
        service = summary["Labels"].get(labels.SERVICE)
        try:
            if summary["State"] == "paused":
                client.api.unpause(summary["Id"])
            if summary["State"] in ("running", "paused", "restarting"):
                emit(Event(events.STOPPING, f"stopping {name}", service))
                client.api.stop(summary["Id"], timeout=STOP_TIMEOUT)
            if remove:
                emit(Event(events.REMOVING, f"removing {name}", service))
                client.api.remove_container(summary["Id"], force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if not remove or "is already in progress" not in str(exc):
                raise
        return f"removed container {name}" if remove else f"stopped container {name}"

    if not containers:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(containers))) as pool:
        return list(pool.map(stop, containers))


def remove_volumes_and_networks(client, selector: dict, mine: Callable[[dict | None], bool], emit: Emit) -> list[str]:
    """Remove the volumes and networks `selector` finds that are `mine`; what was removed. Raises docker errors."""
    import docker.errors

    done: list[str] = []
    for volume in client.api.volumes(filters=selector).get("Volumes") or []:
        if not mine(volume.get("Labels")):
            continue
        emit(Event(events.REMOVING, f"removing volume {volume['Name']}"))
        for attempt in range(20):  # a container still being removed elsewhere holds it for a moment
            try:
                client.api.remove_volume(volume["Name"], force=True)
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as exc:
                if "in use" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.25)
        done.append(f"removed volume {volume['Name']}")
    for network in client.api.networks(filters=selector):
        if not mine(network.get("Labels")):
            continue
        emit(Event(events.REMOVING, f"removing network {network['Name']}"))
        for attempt in range(20):
            try:
                client.api.remove_network(network["Id"])
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as exc:
                if "active endpoints" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.25)
        done.append(f"removed network {network['Name']}")
    return done

