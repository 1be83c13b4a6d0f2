"""Compare result rows as a learner would read them: numbers by value, dates as ISO text, order optional."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence


def normalize(value: Any) -> Any:
    """A comparable, printable form of a value from a driver or from lab.yaml."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        number = decimal.Decimal(str(value))
        if number == number.to_integral_value():
            return int(number)
        return number.normalize()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), normalize(v)) for k, v in value.items()))
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def normalize_row(row: Iterable[Any]) -> tuple:
    return tuple(normalize(v) for v in row)


def show(row: Sequence[Any]) -> str:
    parts = []
    for value in row:
        if isinstance(value, decimal.Decimal):
            parts.append(str(value))
        elif value is None:
            parts.append("NULL")
        else:
            parts.append(repr(value))
    return "(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class RowDiff:
    missing: list[tuple]  # expected but not found
    unexpected: list[tuple]  # found but not expected
    order_differs: bool = False
    first_order_mismatch: int | None = None

    @property
    def same(self) -> bool:
        return not self.missing and not self.unexpected and not self.order_differs


def compare(found: Sequence[Sequence[Any]], expected: Sequence[Sequence[Any]], *, ordered: bool = False) -> RowDiff:
    got = [normalize_row(r) for r in found]
    want = [normalize_row(r) for r in expected]
    got_count, want_count = Counter(got), Counter(want)
    missing = list((want_count - got_count).elements())
    unexpected = list((got_count - want_count).elements())
    if missing or unexpected or not ordered:
        return RowDiff(missing, unexpected)
    for index, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return RowDiff([], [], True, index)
    return RowDiff([], [])


def explain(diff: RowDiff, found_count: int, expected_count: int, *, what: str = "the result",
            show_rows: bool = True) -> str:
    """One or two learner-facing sentences on how two results differ; with show_rows False, no row's values
    (the rows are hidden probe data)."""
    if diff.order_differs:
        return (
            f"{what} has the right rows in the wrong order (first difference at row {diff.first_order_mismatch + 1}); "
            "check your ORDER BY"
        )
    parts = []
    if found_count != expected_count:
        parts.append(f"{what} has {found_count} row{'s' if found_count != 1 else ''}; expected {expected_count}")
    if diff.unexpected:
        extra = len(diff.unexpected)
        example = f", e.g. {show(diff.unexpected[0])}" if show_rows else ""
        parts.append(f"{extra} row{'s' if extra != 1 else ''} that should not be there{example}")
    if diff.missing:
        gone = len(diff.missing)
        example = f", e.g. {show(diff.missing[0])}" if show_rows else ""
        parts.append(f"{gone} expected row{'s' if gone != 1 else ''} missing{example}")
    return "; ".join(parts)
