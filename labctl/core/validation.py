"""Turn pydantic validation errors into LabFileError naming the file and the field."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from labctl.core.errors import LabFileError

_MAX_SHOWN = 3


def field_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (part[:1].isupper() or part.startswith("function-")):
            # pydantic adds union member names (SqlStep) and validator tags; they are not fields
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _problem(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    message = error.get("msg", "is not valid")
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def raise_for(path: Path, exc: Any, prefix: str = "") -> None:
    """Raise LabFileError for a pydantic ValidationError, naming the first problems."""
    errors = exc.errors(include_url=False)
    # A union yields one error per member; keep those the closest member reports (the longest paths).
    first = errors[0]
    field = field_path(tuple(first["loc"]), prefix)
    problem = _problem(first)
    extra = []
    for error in errors[1:_MAX_SHOWN]:
        extra.append(f"{field_path(tuple(error['loc']), prefix)}: {_problem(error)}")
    if len(errors) > _MAX_SHOWN:
        extra.append(f"... and {len(errors) - _MAX_SHOWN} more")
    hint = "Also: " + "; ".join(extra) if extra else None
    raise LabFileError(path, field, problem, hint) from None
