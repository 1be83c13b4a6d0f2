"""Split a SQL text into statements the way PostgreSQL reads it: quotes, dollar quotes, nested comments."""
from __future__ import annotations

import re


def split_sql(text: str) -> list[str]:
    """The statements of a SQL text, comments removed, quotes respected ('..', "..", $tag$..$tag$)."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            current.append(" ")
            continue
        if ch == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2  # PostgreSQL nests block comments
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            current.append(" ")
            continue
        escapes = ch in "eE" and text.startswith("'", i + 1) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))
        if escapes:  # E'...' strings take backslash escapes
            current.append(ch)
            i += 1
            ch = "'"
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if escapes and text[end] == "\\":
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
        if ch == "$":
            m = re.match(r"\$[A-Za-z_]*\$", text[i:])
            if m:
                tag = m.group(0)
                end = text.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                current.append(text[i:end])
                i = end
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
