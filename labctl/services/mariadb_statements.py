"""Split a SQL text into statements the way MariaDB reads it: `#`, `-- ` and /* */ comments, backslash
escapes in strings, `backtick` identifiers."""
from __future__ import annotations


def _comment_dash(text: str, i: int) -> bool:
    # `--` starts a comment only when followed by a space or control character (or the end):
    # `SELECT 1--1` is one minus minus one.
    return text.startswith("--", i) and (i + 2 >= len(text) or text[i + 2] <= " ")


def split_mysql(text: str) -> list[str]:
    """The statements of a SQL text, comments removed, quotes respected ('..', "..", `..`).

    /*! ... */ and /*M! ... */ are kept: MariaDB runs what they hold.
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#" or (ch == "-" and _comment_dash(text, i)):
            end = text.find("\n", i)
            i = n if end < 0 else end
            current.append(" ")
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)  # MariaDB does not nest block comments
            end = n if end < 0 else end + 2
            if text.startswith(("/*!", "/*M!"), i):
                current.append(text[i:end])
            else:
                current.append(" ")
            i = end
            continue
        if ch in ("'", '"', "`"):
            end = i + 1
            while end < n:
                if text[end] == "\\" and ch != "`":  # strings take backslash escapes; identifiers do not
                    end += 2
                    continue
                if text[end] == ch:
                    if end + 1 < n and text[end + 1] == ch:  # doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if ch == ";":
            statement = "".join(current).strip()
            if statement:
                statements.append(statement)
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    statement = "".join(current).strip()
    if statement:
        statements.append(statement)
    return statements
