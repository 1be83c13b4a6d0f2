"""What the engine's container summaries say about a lab's services."""
from __future__ import annotations

import re

from labctl.core import labels
from labctl.runtime.base import ServiceState, ServiceStatus

PORTS_LABEL = f"{labels.PREFIX}.ports"  # "5432:5433,15672:15672": container:host, as chosen at creation
_EXIT_RE = re.compile(r"Exited \((\d+)\)")


def status_of(summary: dict) -> ServiceStatus:
    """The state of one labctl container, from the engine's container summary (the list call's entry)."""
    lab_labels = summary.get("Labels") or {}
    raw_state = summary.get("State", "")
    text = summary.get("Status", "")
    published = {p["PrivatePort"]: p["PublicPort"] for p in summary.get("Ports", []) if p.get("PublicPort")}
    if not published:
        for pair in lab_labels.get(PORTS_LABEL, "").split(","):
            if ":" in pair:
                c, h = pair.split(":")
                published[int(c)] = int(h)
    detail = ""
    if raw_state == "running":
        state = ServiceState.RUNNING
    elif raw_state == "paused":
        state, detail = ServiceState.PAUSED, "paused"
    elif raw_state == "restarting":
        state, detail = ServiceState.STARTING, "restarting"
    elif raw_state in ("exited", "dead"):
        m = _EXIT_RE.search(text)
        code = int(m.group(1)) if m else None
        # 0 and the stop signals (SIGINT, SIGTERM, SIGKILL after the grace period) are a stop, not a crash
        if raw_state == "exited" and code in (0, 130, 137, 143):
            state, detail = ServiceState.STOPPED, "stopped"
        else:
            state, detail = ServiceState.FAILED, f"exited with code {code}" if code is not None else raw_state
    else:
        state, detail = ServiceState.STOPPED, raw_state or "created"
    return ServiceStatus(
        instance=lab_labels.get(labels.INSTANCE, ""), lab=lab_labels.get(labels.LAB, ""),
        service=lab_labels.get(labels.SERVICE, ""), catalog=lab_labels.get(labels.CATALOG, ""),
        state=state, ports=published, container=(summary.get("Names") or ["?"])[0].lstrip("/"),
        image=summary.get("Image", ""), origin=lab_labels.get(labels.KEPT_FROM, ""), detail=detail, workspace=lab_labels.get(labels.WORKSPACE, ""),
        ephemeral=lab_labels.get(labels.EPHEMERAL) == "true", holder=lab_labels.get(labels.HOLDER, ""),
    )
