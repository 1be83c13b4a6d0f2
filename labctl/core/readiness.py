"""One readiness mechanism for every service: poll a protocol probe, fail fast if the container exits."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from labctl.core.access import ServiceAccess
from labctl.core.errors import ServiceNotReadyError
from labctl.core.model import ServiceSpec
from labctl.core.settings import DEFAULT_READY_TIMEOUT
from labctl.core.text import first_line
from labctl.runtime.base import ServiceState, ServiceStatus

if TYPE_CHECKING:
    from labctl.runtime.base import Runtime
    from labctl.services.base import ServiceDriver

LOG_TAIL = 20


def wait_ready(
    service: str,
    probe: Callable[[], None],
    state: Callable[[], ServiceStatus | None],
    log_tail: Callable[[int], list[str]],
    *,
    timeout: float,
    interval: float = 0.05,
    state_every: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Seconds waited until probe() stopped raising. Raises ServiceNotReadyError with the log tail."""
    started = clock()
    deadline = started + timeout
    last_error: BaseException | None = None
    next_state_check = started
    while True:
        try:
            probe()
            return clock() - started
        except Exception as exc:  # any exception means "not yet"
            last_error = exc
        # Asking the engine costs more than a probe: look at the container every state_every seconds.
        if clock() >= next_state_check:
            next_state_check = clock() + state_every
            current = state()
            if current is None or current.state in (ServiceState.FAILED, ServiceState.STOPPED, ServiceState.MISSING):
                what = current.detail if current else "disappeared"
                raise ServiceNotReadyError(
                    f"{service} stopped before it was ready ({what})",
                    _with_logs(log_tail, "Its last log lines:", "Run `labctl logs " + service + "` for more."),
                )
        if clock() >= deadline:
            raise ServiceNotReadyError(
                f"{service} did not answer within {timeout:g}s (last answer: {first_line(last_error)})",
                _with_logs(log_tail, "Its last log lines:",
                           "The machine may be slow: try again, or raise LABCTL_READY_TIMEOUT."),
            )
        sleep(interval)




def _with_logs(log_tail: Callable[[int], list[str]], title: str, advice: str) -> str:
    try:
        lines = log_tail(LOG_TAIL)
    except Exception:
        lines = []
    if not lines:
        return advice
    return f"{advice}\n{title}\n" + "\n".join(f"  {line}" for line in lines)


def wait_service_ready(runtime: "Runtime", driver: "ServiceDriver", instance: str, svc: ServiceSpec,
                       access: ServiceAccess, timeout: float | None) -> float:
    """Seconds until the service's driver probe answers (wait_ready on the runtime's view of its container).
    Raises ServiceNotReadyError."""
    name = svc.name
    return wait_ready(
        name,
        probe=lambda: driver.probe(access),
        state=lambda: next((s for s in runtime.status(instance) if s.service == name), None),
        log_tail=lambda n: list(runtime.logs(instance, name, tail=n)),
        timeout=timeout or svc.ready_timeout or DEFAULT_READY_TIMEOUT,
    )
