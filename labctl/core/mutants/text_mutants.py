"""Mutants of step files read line by line (Redis commands, shell and git scripts, request files): one line
left out, two lines swapped, a number changed by one, a quoted string changed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class TextMutant:
    """A file's text with one change: `operator` names the change and where (stable between runs)."""

    operator: str
    description: str
    text: str


_NUMBER = re.compile(r"(?<![\w.:-])(\d+)(?![\w.:])")
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


def line_mutants(text: str) -> Iterator[TextMutant]:
    """Every line mutant of a text; blank lines, comments (# or --) and lines that only open or close a block
    are never chosen."""
    lines = text.splitlines()
    chosen = [i for i, line in enumerate(lines) if _counts(line)]
    for i in chosen:
        yield TextMutant(f"drop-line-{i + 1}", f"line {i + 1} left out", _join(lines[:i] + lines[i + 1:]))
    for a, b in zip(chosen, chosen[1:]):
        swapped = list(lines)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        yield TextMutant(f"swap-lines-{a + 1}-{b + 1}", f"lines {a + 1} and {b + 1} swapped", _join(swapped))
    for i in chosen:
        line = lines[i]
        for k, match in enumerate(_NUMBER.finditer(line)):
            for by, word in ((1, "plus"), (-1, "minus")):
                value = int(match.group(1)) + by
                if value < 0:
                    continue
                changed = line[:match.start(1)] + str(value) + line[match.end(1):]
                yield TextMutant(f"line-{i + 1}-number-{k + 1}-{word}-one",
                                 f"a number on line {i + 1} made one {'bigger' if by > 0 else 'smaller'}",
                                 _join(lines[:i] + [changed] + lines[i + 1:]))
        for k, match in enumerate(_QUOTED.finditer(line)):
            group = 1 if match.group(1) is not None else 2
            changed = line[:match.end(group)] + "x" + line[match.end(group):]
            yield TextMutant(f"line-{i + 1}-string-{k + 1}", f"a quoted string on line {i + 1} changed",
                             _join(lines[:i] + [changed] + lines[i + 1:]))


def _counts(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "--", "//")):
        return False
    return stripped not in ("{", "}", "(", ")", "fi", "done", "else", "then", "do", "EOF", "esac", ";;")


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
