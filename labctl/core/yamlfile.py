"""Read YAML safely: safe_load only, size and nesting limits, errors that name the file and line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from labctl.core.errors import LabFileError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000


def read_yaml(path: Path) -> Any:
    """The parsed document. Raises LabFileError for unreadable, oversized, invalid or too-deep YAML."""
    import yaml

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LabFileError(path, None, f"the file is {size} bytes; lab files may be at most {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LabFileError(path, None, "the file does not exist") from None
    except UnicodeDecodeError as exc:
        raise LabFileError(path, None, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LabFileError(path, None, f"cannot read the file: {exc.strerror}") from None
    try:
        data = _parse(yaml, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LabFileError(path, where, f"not valid YAML: {problem}") from None
    except RecursionError:
        raise LabFileError(path, None, f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)") from None
    _check_shape(path, data)
    return data


def _parse(yaml, text: str) -> Any:
    """yaml.safe_load(text), through libyaml's parser when PyYAML has it (about 7 times quicker).

    Only the parser is libyaml's: nodes are composed and built by PyYAML's own safe classes, so the
    results are the same and deep nesting still ends in RecursionError (libyaml's C composer would
    overflow the stack instead). A document libyaml refuses is read again by PyYAML alone, so an
    invalid file gets the very same error as before, and text where libyaml is known to be more lenient
    than PyYAML goes to PyYAML directly.
    """
    fast = _fast_loader(yaml)
    if fast is not None and not _lenient_in_libyaml(text):
        try:
            return yaml.load(text, Loader=fast)  # noqa: S506 - a safe loader
        except (yaml.YAMLError, RecursionError):
            pass
    return yaml.safe_load(text)


def _lenient_in_libyaml(text: str) -> bool:
    """True for text libyaml may accept where PyYAML refuses it: tabs, a byte-order mark after the start,
    a '?' inside a flow collection (PyYAML ends a plain scalar there). False positives only cost speed."""
    if "\t" in text or "\ufeff" in text[1:]:
        return True
    if "?" not in text:
        return False
    depth = 0  # of [ and {, quoted ones included: an overestimate, except for a quoted ] or } inside a flow
    for line in text.splitlines():
        if "?" in line and (depth > 0 or "[" in line or "{" in line):
            return True
        depth = max(0, depth + line.count("[") + line.count("{") - line.count("]") - line.count("}"))
    return False


_FAST_LOADER: Any = False  # not built yet; None when PyYAML lacks libyaml


def _fast_loader(yaml) -> Any:
    global _FAST_LOADER
    if _FAST_LOADER is False:
        try:
            from yaml._yaml import CParser
        except ImportError:
            _FAST_LOADER = None
        else:
            from yaml.composer import Composer
            from yaml.constructor import SafeConstructor
            from yaml.resolver import Resolver

            class FastSafeLoader(Composer, CParser, SafeConstructor, Resolver):
                def __init__(self, stream):
                    CParser.__init__(self, stream)
                    Composer.__init__(self)
                    SafeConstructor.__init__(self)
                    Resolver.__init__(self)

            _FAST_LOADER = FastSafeLoader
    return _FAST_LOADER


def _check_shape(path: Path, data: Any) -> None:
    """Refuse documents nested too deeply, or too large once aliases are expanded.

    Sizes are memoised per node, so an alias bomb is measured without being expanded.
    """
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        if depth > MAX_DEPTH:
            raise LabFileError(path, None, f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise LabFileError(path, None, f"mapping keys must be plain text, found {type(k).__name__}")
            children = node.values()
        else:
            children = node
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_NODES:
                raise LabFileError(path, None, f"the YAML has too many elements (more than {MAX_NODES}, counting aliases)")
        sizes[key] = total
        return total

    size(data, 1)
