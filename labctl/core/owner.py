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
    found = _read(path)
    if found:
        return found
    made = secrets.token_hex(8)
    draft = path.with_name(f".{FILE}-{made}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft.write_text(made + "\n", encoding="ascii")
        try:
            os.link(draft, path)  # published whole or not at all: a reader never sees half an id
            return made
        except FileExistsError:  # another labctl published one first (or the file is damaged)
            found = _read(path)
            if found:
                return found
            os.replace(draft, path)
            return made
    except OSError as exc:
        raise LabctlError(f"cannot write labctl's owner id in {path.parent}: {exc.strerror or exc}",
                          "Make LABCTL_HOME a folder you can write to (or point LABCTL_HOME elsewhere).") from exc
    finally:
        try:
            draft.unlink(missing_ok=True)
        except OSError:
            pass  # the folder itself could not be made


def _read(path: Path) -> str | None:
    try:
        found = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return found if _valid(found) else None


def legacy_owner_id(home: Path) -> str:
    """The owner label labctl 0.1 gave resources: a hash of the home's path. Still this home's."""
    return hashlib.sha256(str(Path(home).expanduser().resolve()).encode()).hexdigest()[:16]


def owners_of(home: Path) -> frozenset[str]:
    """Every owner label that means this home: its id, and the label older versions used."""
    return frozenset({owner_id(home), legacy_owner_id(home)})


def _valid(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)
