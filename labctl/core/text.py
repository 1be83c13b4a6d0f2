"""Small text helpers shared by every layer."""
from __future__ import annotations


def first_line(exc: BaseException | str | None) -> str:
    """The first line of an exception's message (or of a text); the exception's type when it says nothing."""
    if exc is None:
        return "none"
    text = (exc if isinstance(exc, str) else str(exc)).strip()
    if text:
        return text.splitlines()[0]
    return "" if isinstance(exc, str) else type(exc).__name__
