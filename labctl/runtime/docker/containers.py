"""A service's container as labctl makes it: labels, loopback ports, limits, no privileges; and the ports and
limits of the containers already made."""
from __future__ import annotations

from labctl.core import labels
from labctl.runtime.base import InstanceSpec
from labctl.runtime.docker import ports as hostports
from labctl.runtime.docker.summaries import PORTS_LABEL


def instance_labels(spec: InstanceSpec, owner: str) -> dict[str, str]:
    """What every container, network and volume of the instance carries: labctl's own labels first
    (they cannot be overridden), plus the caller's (e.g. testcontainers' session id, for Ryuk)."""
    out = {k: v for k, v in spec.labels.items() if not k.startswith(labels.PREFIX + ".")}
    out.update(labels.base(spec.instance, spec.lab.id))
    out[labels.OWNER] = owner
    if spec.ephemeral:
        out[labels.EPHEMERAL] = "true"
        if spec.holder:
            out[labels.HOLDER] = spec.holder
    return out


def create_service_container(api, spec: InstanceSpec, service: str, image: str, network: str, mounts,
                             chosen: dict[int, int], owner: str) -> dict:
    """Create (not start) the container of `service` with its ports published on 127.0.0.1 at `chosen`
    (container port -> host port). Returns the engine's answer (its Id)."""
    from labctl.core import naming

    svc = spec.services[service]
    container_labels = {
        **instance_labels(spec, owner),
        labels.SERVICE: service,
        labels.CATALOG: svc.catalog,
        PORTS_LABEL: ",".join(f"{c}:{h}" for c, h in chosen.items()),
    }
    if spec.workspace is not None:
        container_labels[labels.WORKSPACE] = str(spec.workspace)
    host_config = api.create_host_config(
        port_bindings={f"{c}/tcp": (hostports.LOOPBACK, h) for c, h in chosen.items()},
        mounts=mounts,
        network_mode=network,
        privileged=False,
        init=False,
        # No swap beyond the limit: a runaway query meets the limit, not the host's disk.
        mem_limit=svc.limits.memory_bytes,
        memswap_limit=svc.limits.memory_bytes,
        nano_cpus=int(svc.limits.cpus * 1e9),
        pids_limit=svc.limits.pids,
    )
    return api.create_container(
        image=image, name=naming.container(spec.instance, service), hostname=service, labels=container_labels,
        environment={**svc.environment, **spec.extra_env.get(service, {})}, ports=list(svc.ports),
        command=list(svc.command) if svc.command else None, host_config=host_config,
        networking_config=api.create_networking_config({network: api.create_endpoint_config(aliases=[service])}),
    )


def apply_limits(api, container: dict, svc) -> None:
    """Give a container made before its limits (or with other ones) the service's current limits."""
    host = container.get("HostConfig") or {}
    limits = svc.limits
    wanted = {"Memory": limits.memory_bytes, "MemorySwap": limits.memory_bytes,
              "NanoCpus": int(limits.cpus * 1e9), "PidsLimit": limits.pids}
    if all(host.get(key) == value for key, value in wanted.items()):
        return
    # docker-py's update_container() knows no PidsLimit: the Engine API does.
    api._result(api._post_json(api._url("/containers/{0}/update", container["Id"]), data=wanted), True)


def claimed_ports(api, exclude: str) -> set[int]:
    """Host ports that other labctl containers were created with (running or not)."""
    claimed: set[int] = set()
    for summary in api.containers(all=True, filters={"label": f"{labels.MANAGED}=true"}):
        if f"/{exclude}" in summary.get("Names", []):
            continue
        for pair in (summary.get("Labels") or {}).get(PORTS_LABEL, "").split(","):
            if ":" in pair:
                claimed.add(int(pair.split(":")[1]))
    return claimed
