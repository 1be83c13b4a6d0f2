"""Values labctl makes for each instance (the passwords of its services' roles and users), kept in the
instance's record (a file only its owner reads): made at the first start, kept over stop/start and reset,
given to the containers when they are made and to every view of the instance (URLs, checks).

An instance made by a labctl that made no such values keeps the ones it was made with (the compose file's
`legacy` values), so it keeps working after an upgrade."""
from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Collection

from labctl.core.errors import LabctlError
from labctl.core.instance_records import InstanceRecord, InstanceRecords
from labctl.core.model import Lab
from labctl.runtime.base import ServiceStatus

LEGACY_MARK = "LABCTL_LEGACY"  # in a service's environment: made before labctl made its values


def settle(record: InstanceRecord, lab: Lab, *, existing: Collection[str] = ()) -> bool:
    """Give every service that needs values its own, once. `existing`: the services whose containers exist
    already, made by a labctl that made no such values (an upgrade): they keep the values they were made
    with. Returns whether the record changed."""
    changed = False
    for name, secret in lab.secrets.items():
        if name not in record.lab_secrets:
            record.lab_secrets[name] = secrets.token_urlsafe(secret.random_bytes)
            changed = True
    for name, spec in lab.services.items():
        if not spec.secrets or name in record.secrets:
            continue
        if name in existing:
            record.secrets[name] = {**{k: spec.environment[k] for k in spec.secrets}, **spec.legacy, LEGACY_MARK: "1"}
        else:
            record.secrets[name] = {key: secrets.token_urlsafe(18) for key in spec.secrets}
        changed = True
    return changed


def adopt(records: InstanceRecords, instance: str, lab: Lab, found: Collection[ServiceStatus]) -> InstanceRecord | None:
    """The record of an instance seen on the engine, with the values its containers were made with when an
    earlier labctl made them (written once, so that the next start keeps them). Returns the record."""
    record = records.get(instance)
    existing = {status.service for status in found}
    if record is not None and record.lab != lab.id:
        return record
    if all(name in record.secrets for name, spec in lab.services.items()
           if spec.secrets and name in existing) if record is not None else not existing:
        return record
    if record is None:
        workspace = next((status.workspace for status in found if status.workspace), "")
        record = InstanceRecord(instance, lab.id, workspace, containers=bool(lab.services))
    settle(record, lab, existing=existing)
    try:
        records.save(record)
    except LabctlError:
        pass  # a read-only home: the values are those the containers were made with, found again next time
    return record


def applied(lab: Lab, record: InstanceRecord | None) -> Lab:
    """The lab as this instance runs it: each service's environment with the instance's own values."""
    if record is None or not record.secrets or record.lab != lab.id:
        return lab
    services = {name: replace(spec, environment={**spec.environment, **record.secrets[name]})
                if name in record.secrets else spec for name, spec in lab.services.items()}
    return replace(lab, services=services)


def renew_lab_secrets(record: InstanceRecord, lab: Lab) -> None:
    """New values for the lab's own secrets (`labctl reset --new-secrets`): tokens signed with the old ones
    stop being valid."""
    record.lab_secrets = {name: secrets.token_urlsafe(secret.random_bytes) for name, secret in lab.secrets.items()}
