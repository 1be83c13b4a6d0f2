"""Check types registered by name (`sql.table_exists`), and the loading of the check families."""
from __future__ import annotations

import importlib
import threading
from typing import Callable, TypeVar

from labctl.check_engine.base import Check
from labctl.core import resources

C = TypeVar("C", bound=type[Check])

_REGISTRY: dict[str, type[Check]] = {}
_loaded = False  # every family imported
_families_loaded: set[str] = set()  # families imported one by one (load_family)
_lock = threading.Lock()

FAMILY_PACKAGE = "labctl.check_families"


def register(type_name: str, *, service_kind: str | None = None) -> Callable[[C], C]:
    """Class decorator: register a check type under `family.what`."""
    if "." not in type_name:
        raise ValueError(f"check type {type_name!r} must be named family.what")

    def decorate(cls: C) -> C:
        existing = _REGISTRY.get(type_name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"check type {type_name!r} registered twice")
        cls.type_name = type_name
        cls.service_kind = service_kind
        _REGISTRY[type_name] = cls
        return cls

    return decorate


def family_names() -> list[str]:
    """Every family: a package in checks/ (a folder with an __init__.py)."""
    folder = resources.check_families_dir()
    return sorted(p.parent.name for p in folder.glob("*/__init__.py")
                  if p.parent.name.isidentifier() and not p.parent.name.startswith("_"))


def _import_family(family: str) -> None:
    importlib.import_module(f"{FAMILY_PACKAGE}.{family}")


def load_families() -> None:
    """Import every family once, so its check types register."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for family in family_names():
            if family not in _families_loaded:
                _import_family(family)
                _families_loaded.add(family)
        _loaded = True


def load_family(family: str) -> None:
    """Import only one family (`sql` -> checks/sql/): a lab names a handful, and importing just
    those keeps `labctl check` quick."""
    if _loaded or family in _families_loaded:
        return
    with _lock:
        if family in _families_loaded:
            return
        if family in family_names():
            _import_family(family)
        _families_loaded.add(family)


def get(type_name: str) -> type[Check] | None:
    """The class registered as type_name, or None. Loads its family first, and every family if that is not enough."""
    found = _REGISTRY.get(type_name)
    if found is not None:
        return found
    load_family(type_name.split(".", 1)[0])
    found = _REGISTRY.get(type_name)
    if found is None:
        load_families()
        found = _REGISTRY.get(type_name)
    return found


def all_types() -> dict[str, type[Check]]:
    load_families()
    return dict(sorted(_REGISTRY.items()))
