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
_loaded = False
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


def load_families() -> None:
    """Import every module in checks/ once, so its check types register."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        folder = resources.check_families_dir()
        if FAMILY_PACKAGE not in sys.modules:
            spec = importlib.util.spec_from_loader(FAMILY_PACKAGE, loader=None, is_package=True)
            package = importlib.util.module_from_spec(spec)
            package.__path__ = [str(folder)]
            sys.modules[FAMILY_PACKAGE] = package
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            name = f"{FAMILY_PACKAGE}.{path.stem}"
            if name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise LabctlError(f"cannot load check family {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        _loaded = True


def get(type_name: str) -> type[Check] | None:
    load_families()
    return _REGISTRY.get(type_name)


def all_types() -> dict[str, type[Check]]:
    load_families()
    return dict(sorted(_REGISTRY.items()))
