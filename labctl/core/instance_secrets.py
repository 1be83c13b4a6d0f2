"""Values labctl makes for each instance (the passwords of its services' roles and users), kept in the
instance's record (a file only its owner reads): made at the first start, kept over stop/start and reset,
given to the containers when they are made and to every view of the instance (URLs, checks).

An instance made by a labctl that made no such values keeps the ones it was made with (the compose file's
`legacy` values), so it keeps working after an upgrade."""
from __future__ import annotations

import secrets
from dataclasses import replace

from labctl.core.instance_records import InstanceRecord
from labctl.core.model import Lab

LEGACY_MARK = "LABCTL_LEGACY"  # in a service's environment: made before labctl made its values


def settle(record: InstanceRecord, lab: Lab, *, existed: bool) -> bool:
    """Give every service that needs values its own, once. `existed`: the instance had containers before this
    labctl knew of such values (an upgrade). Returns whether the record changed."""
    changed = False
    for name, spec in lab.services.items():
        if not spec.secrets or name in record.secrets:
            continue
        if existed:
            record.secrets[name] = {**{k: spec.environment[k] for k in spec.secrets}, **spec.legacy, LEGACY_MARK: "1"}
        else:
            record.secrets[name] = {key: secrets.token_urlsafe(18) for key in spec.secrets}
        changed = True
    return changed


def applied(lab: Lab, record: InstanceRecord | None) -> Lab:
    """The lab as this instance runs it: each service's environment with the instance's own values."""
    if record is None or not record.secrets or record.lab != lab.id:
        return lab
    services = {name: replace(spec, environment={**spec.environment, **record.secrets[name]})
                if name in record.secrets else spec for name, spec in lab.services.items()}
    return replace(lab, services=services)
