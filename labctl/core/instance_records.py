"""What labctl remembers about an instance on this computer: its lab, workspace and settings.

Containers are found by their labels; this record holds what has no container to live on: the
settings a learner gives with `labctl config set`, and the very existence of a lab that needs no
service (programming-101 runs only the learner's own program). One small JSON file per instance,
written then renamed, so a crash never leaves half a file.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labctl.core.errors import LabctlError
from labctl.core.naming import INSTANCE_RE

FOLDER = "instances"
FORMAT = 1


@dataclass
class InstanceRecord:
    instance: str
    lab: str
    workspace: str = ""
    containers: bool = True  # False: the lab has no service, and this record is the instance
    settings: dict[str, str] = field(default_factory=dict)
    # Per service, the kernel's memory kills seen so far (core/memory_limit.py): only a new one is reported.
    oom_kills: dict[str, int] = field(default_factory=dict)
    # Per service, the values labctl made for it (passwords): written once, kept over stop/start and reset.
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    # The lab's own secrets (lab.yaml `secrets:`, e.g. JWT_SECRET), made at the first start like the passwords.
    lab_secrets: dict[str, str] = field(default_factory=dict)
    # The services whose starting data labctl loaded: kept here, where the learner cannot erase it.
    seeded: list[str] = field(default_factory=list)


class InstanceRecords:
    def __init__(self, home: Path):
        self.folder = home / FOLDER
        self._memory: dict[str, InstanceRecord] = {}  # ephemeral instances (self-tests, grading) stay here

    def _path(self, instance: str) -> Path:
        if not INSTANCE_RE.match(instance):
            raise LabctlError(f"{instance!r} is not a valid instance name")
        return self.folder / f"{instance}.json"

    def get(self, instance: str) -> InstanceRecord | None:
        if instance in self._memory:
            return self._memory[instance]
        path = self._path(instance)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabctlError(f"cannot read {path}: {exc}",
                              "Move the file aside; `labctl start` will make a new one.") from exc
        try:
            return InstanceRecord(instance=instance, lab=str(data["lab"]), workspace=str(data.get("workspace", "")),
                                  containers=bool(data.get("containers", True)),
                                  settings={str(k): str(v) for k, v in dict(data.get("settings", {})).items()},
                                  oom_kills={str(k): int(v) for k, v in dict(data.get("oom_kills", {})).items()},
                                  secrets={str(s): {str(k): str(v) for k, v in dict(values).items()}
                                           for s, values in dict(data.get("secrets", {})).items()},
                                  lab_secrets={str(k): str(v) for k, v in dict(data.get("lab_secrets", {})).items()},
                                  seeded=[str(s) for s in data.get("seeded", [])])
        except (KeyError, TypeError, ValueError) as exc:
            raise LabctlError(f"{path} is not a labctl instance file ({exc})",
                              "Move it aside; `labctl start` will make a new one.") from exc

    def save(self, record: InstanceRecord, *, ephemeral: bool = False) -> None:
        if ephemeral or record.instance in self._memory:
            self._memory[record.instance] = record
            return
        path = self._path(record.instance)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{record.instance}-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": FORMAT, **asdict(record)}, handle, indent=2)
            os.replace(tmp, path)
        except OSError as exc:
            raise LabctlError(f"cannot write {path}: {exc.strerror or exc}",
                              "Check that labctl's home folder is writable (LABCTL_HOME).") from exc

    def is_ephemeral(self, instance: str) -> bool:
        """Whether the instance is a throwaway one this process made (its record lives only in memory)."""
        return instance in self._memory

    def delete(self, instance: str) -> None:
        if self._memory.pop(instance, None) is None:
            self._path(instance).unlink(missing_ok=True)

    def all(self) -> list[InstanceRecord]:
        names = set(self._memory)
        if self.folder.is_dir():
            names.update(p.stem for p in self.folder.glob("*.json") if INSTANCE_RE.match(p.stem))
        records = []
        for name in sorted(names):
            try:
                record = self.get(name)
            except LabctlError:
                continue  # a damaged file is reported when that instance is used, not by every listing
            if record is not None:
                records.append(record)
        return records
