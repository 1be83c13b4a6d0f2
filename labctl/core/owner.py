"""Who owns a lab instance: a random id made once and kept in LABCTL_HOME (the file `owner-id`).

Random, not derived from the path: two laptops with the same user name sharing a workshop engine are two
owners, and a LABCTL_HOME moved elsewhere keeps its instances. Instances made by labctl versions that
labelled resources with a hash of the home's path are adopted: that hash still counts as this home's.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from labctl.core.errors import LabctlError

FILE = "owner-id"


def owner_id(home: Path) -> str:
    """This home's owner id, made (once, even with several labctl starting at once) when it has none.
    Raises LabctlError when the home cannot be written."""
    path = Path(home) / FILE
    try:
        found = path.read_text(encoding="ascii").strip()
        if _valid(found):
            return found
    except (OSError, UnicodeDecodeError):
        pass
    made = secrets.token_hex(8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another labctl made it a moment ago (or it is damaged: replaced below)
        found = path.read_text(encoding="ascii", errors="replace").strip()
        if _valid(found):
            return found
        path.unlink(missing_ok=True)
        return owner_id(home)
    except OSError as exc:
        raise LabctlError(f"cannot write labctl's owner id in {path.parent}: {exc.strerror or exc}",
                          "Make LABCTL_HOME a folder you can write to (or point LABCTL_HOME elsewhere).") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(made + "\n")
    return made


def legacy_owner_id(home: Path) -> str:
    """The owner label labctl 0.1 gave resources: a hash of the home's path. Still this home's."""
    return hashlib.sha256(str(Path(home).expanduser().resolve()).encode()).hexdigest()[:16]


def owners_of(home: Path) -> frozenset[str]:
    """Every owner label that means this home: its id, and the label older versions used."""
    return frozenset({owner_id(home), legacy_owner_id(home)})


def _valid(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)
