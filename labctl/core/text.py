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


def printable(text: str) -> str:
    """Text safe to show in a terminal, a CI log, JSON, JUnit XML or Markdown: control characters (ANSI
    escapes, carriage returns, NUL, bidi overrides, Unicode line separators) become visible escapes like
    \\x1b; newlines and tabs stay. Learner-controlled text (a database's error, a file name, a program's
    output) passes through here before any report shows it, so it cannot forge lines or break XML."""
    out = []
    for char in text:
        if char in "\n\t":
            out.append(char)
        elif _unsafe(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def _unsafe(char: str) -> bool:
    import unicodedata

    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") and char not in "\u200d"


class NotUtf8Error(ValueError):
    """A learner's file that is not UTF-8 text; its message says where and what to do."""


def learner_text(data: bytes, name: str) -> str:
    """A learner's file as text, the way editors save it on any system: UTF-8 with or without a byte order
    mark, CRLF (Windows) or CR line ends read as LF. Raises NotUtf8Error naming the file and the byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); "
            "save it as UTF-8 in your editor and try again") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_learner_text(path) -> str:
    """learner_text of a file. Raises OSError when it cannot be read, NotUtf8Error when it is not UTF-8."""
    return learner_text(path.read_bytes(), path.name)
