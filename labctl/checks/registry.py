"""Check types registered by name (`sql.table_exists`), and the loading of the check families."""
from __future__ import annotations

import importlib.util
import sys
import threading
from typing import Callable, TypeVar

from labctl.checks.base import Check
from labctl.core import resources
from labctl.core.errors import LabctlError

C = TypeVar("C", bound=type[Check])

_REGISTRY: dict[str, type[Check]] = {}
_loaded = False  # every family imported
_families_loaded: set[str] = set()  # families imported one by one (load_family)
_lock = threading.Lock()

FAMILY_PACKAGE = "labctl._families"


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


def _package():
    """The folder of check families as the package `labctl._families` (created once)."""
    folder = resources.check_families_dir()
    if FAMILY_PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_loader(FAMILY_PACKAGE, loader=None, is_package=True)
        package = importlib.util.module_from_spec(spec)
        package.__path__ = [str(folder)]
        sys.modules[FAMILY_PACKAGE] = package
    return folder


def _import(path) -> None:
    name = f"{FAMILY_PACKAGE}.{path.stem}"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LabctlError(f"cannot load check family {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def load_families() -> None:
    """Import every module in checks/ once, so its check types register."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for path in sorted(_package().glob("*.py")):
            if not path.name.startswith("_"):
                _import(path)
        _loaded = True


def load_family(family: str) -> None:
    """Import only the modules of one family (`sql` -> checks/sql.py and checks/sql_*.py).

    A lab names a handful of families; importing just those keeps `labctl status` and `check` quick.
    """
    if _loaded or family in _families_loaded:
        return
    with _lock:
        if family in _families_loaded:
            return
        if family.isidentifier() and not family.startswith("_"):
            folder = _package()
            for path in sorted([*folder.glob(f"{family}.py"), *folder.glob(f"{family}_*.py")]):
                _import(path)
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
