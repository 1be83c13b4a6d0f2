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


def line_mutants(text: str, fixed: tuple[str, ...] = ()) -> Iterator[TextMutant]:
    """Every line mutant of a text; blank lines, comments (# or --), lines that only open or close a block,
    and lines matching a glob of `fixed` (a lab's plumbing: strict mode, a throwaway clone) are never chosen."""
    from fnmatch import fnmatchcase

    lines = text.splitlines()
    chosen = [i for i, line in enumerate(lines)
              if _counts(line) and not any(fnmatchcase(line.strip(), glob) for glob in fixed)]
    for i in chosen:
        yield TextMutant(f"drop-line-{i + 1}", f"line {i + 1} left out", _join(lines[:i] + lines[i + 1:]))
    for a, b in zip(chosen, chosen[1:]):
        swapped = list(lines)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        yield TextMutant(f"swap-lines-{a + 1}-{b + 1}", f"lines {a + 1} and {b + 1} swapped", _join(swapped))
    for i in chosen:
        line = lines[i]
        code = line[:_comment_start(line)]  # a trailing comment is no literal of the answer
        for k, match in enumerate(_NUMBER.finditer(code)):
            for by, word in ((1, "plus"), (-1, "minus")):
                value = int(match.group(1)) + by
                if value < 0:
                    continue
                changed = line[:match.start(1)] + str(value) + line[match.end(1):]
                yield TextMutant(f"line-{i + 1}-number-{k + 1}-{word}-one",
                                 f"a number on line {i + 1} made one {'bigger' if by > 0 else 'smaller'}",
                                 _join(lines[:i] + [changed] + lines[i + 1:]))
        for k, match in enumerate(_QUOTED.finditer(code)):
            group = 1 if match.group(1) is not None else 2
            changed = line[:match.end(group)] + "x" + line[match.end(group):]
            yield TextMutant(f"line-{i + 1}-string-{k + 1}", f"a quoted string on line {i + 1} changed",
                             _join(lines[:i] + [changed] + lines[i + 1:]))


def _comment_start(line: str) -> int:
    """Where a trailing `# comment` starts (a # after whitespace, outside quotes); the line's length if none."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and index > 0 and line[index - 1].isspace():
            return index
    return len(line)


def _counts(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "--", "//")):
        return False
    return stripped not in ("{", "}", "(", ")", "fi", "done", "else", "then", "do", "EOF", "esac", ";;")


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def structured_mutants(text: str, *, json_file: bool = False, skip_keys: frozenset[str] = frozenset()) -> Iterator[TextMutant]:
    """Mutants of a YAML or JSON document by its structure (key order means nothing there): each list item
    left out, two neighbouring items swapped, each key left out, each number changed by one, each string
    changed; never under a key of skip_keys (a step's own assertions). Nothing when the text does not parse."""
    import json

    import yaml

    try:
        document = json.loads(text) if json_file else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return
    dump = (lambda d: json.dumps(d, indent=2) + "\n") if json_file else (
        lambda d: yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    for path, operator, description, change in _changes(document, (), skip_keys):
        where = "/".join(str(p) for p in path) or "the document"
        yield TextMutant(f"{'.'.join(str(p) for p in path) or 'root'}:{operator}", f"{description} at {where}",
                         dump(_apply(document, change)))


def _changes(node, path: tuple, skip_keys: frozenset[str]) -> Iterator[tuple[tuple, str, str, object]]:
    """(path, operator, description, the whole document with one change) for every change under node;
    the document is rebuilt by _replace_at from the root, so node is only read here."""
    if isinstance(node, list):
        for i in range(len(node)):
            yield path + (i,), "drop-item", "a list item left out", ("drop", path, i)
            if i + 1 < len(node):
                yield path + (i,), "swap-with-next", "two list items swapped", ("swap", path, i)
        for i, item in enumerate(node):
            yield from _changes(item, path + (i,), skip_keys)
    elif isinstance(node, dict):
        for key in node:
            if key not in skip_keys:
                yield path + (key,), "drop-key", "a key left out", ("drop", path, key)
        for key, value in node.items():
            if key not in skip_keys:
                yield from _changes(value, path + (key,), skip_keys)
    elif isinstance(node, bool) or node is None:
        return
    elif isinstance(node, (int, float)):
        yield path, "plus-one", "a number made one bigger", ("set", path, node + 1)
        yield path, "minus-one", "a number made one smaller", ("set", path, node - 1)
    elif isinstance(node, str):
        yield path, "change-string", "a string changed", ("set", path, node + "x")


def _apply(document, change):
    """A deep copy of the document with one change: ("drop", parent path, key or index), ("swap", parent path,
    index), ("set", path, value)."""
    import copy

    action, path, arg = change
    result = copy.deepcopy(document)
    if action == "set":
        if not path:
            return arg
        parent = _at(result, path[:-1])
        parent[path[-1]] = arg
        return result
    parent = _at(result, path)
    if action == "drop":
        del parent[arg]
    else:
        parent[arg], parent[arg + 1] = parent[arg + 1], parent[arg]
    return result


def _at(document, path: tuple):
    for step in path:
        document = document[step]
    return document
