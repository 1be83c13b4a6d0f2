"""Where labs/, compose/ and checks/ are: inside the installed wheel, or at the top of a checkout."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from labctl.core.errors import LabctlError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder holding labs/, compose/ and checks/.

    Raises LabctlError when neither an installed bundle nor a checkout is found.
    """
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "labs").is_dir():
        return bundled
    checkout = _PACKAGE_DIR.parent
    if (checkout / "labs").is_dir() and (checkout / "compose").is_dir():
        return checkout
    raise LabctlError(
        f"labctl's lab files are missing (looked in {bundled} and {checkout})",
        "Reinstall labctl: pip install --force-reinstall labctl",
    )


def labs_dir() -> Path:
    return data_root() / "labs"


def compose_dir() -> Path:
    return data_root() / "compose"


def check_families_dir() -> Path:
    return data_root() / "checks"
