"""Values a learner cannot predict: `${...}` placeholders in an http.sequence, filled anew on every run.

`let` names fresh values (`${random}`: a new word of letters and digits, `${int:1000-1999}`: a new whole
number, `${digits:4}`: a new string of that many digits, such as "5307"), steps `save` values from answers (a new book's id), and later steps use them as `${name}`.
A string that is only `${name}` becomes the value itself, so `year: "${year}"` sends a number.
In a sequence's `let`, `${secret:NAME}` is the lab's secret NAME as the learner's app gets it in its environment
(the password of the admin an app creates from ADMIN_PASSWORD, say): known to the app, never to a check's text.
"""
from __future__ import annotations

import random
import re
import string
from typing import Any, Mapping

GENERATORS = ("random", "int", "digits")
SECRET = "secret"
SECRET_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
_rng = random.SystemRandom()


def fresh_word(length: int = 10) -> str:
    """A new word each call: a letter, then letters and digits (never a number, never empty)."""
    return _rng.choice(string.ascii_lowercase) + "".join(
        _rng.choice(string.ascii_lowercase + string.digits) for _ in range(length - 1))


def _generated(kind: str, arg: str | None) -> Any:
    if kind == "random" and arg is None:
        return fresh_word()
    if kind == "digits" and arg is not None and arg.strip().isdigit() and 1 <= int(arg) <= 30:
        return str(_rng.randint(1, 9)) + "".join(str(_rng.randint(0, 9)) for _ in range(int(arg) - 1))
    if kind == "int" and arg is not None:
        m = re.fullmatch(r"\s*(-?\d+)\s*-\s*(-?\d+)\s*", arg)
        if m and int(m.group(1)) <= int(m.group(2)):
            return _rng.randint(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"${{{kind}{':' + arg if arg is not None else ''}}} is not a fresh value: "
                     "use ${random}, ${int:LOW-HIGH} or ${digits:N}")


def check_template(text: str, known: set[str], *, generators: bool = True, secrets: bool = False) -> None:
    """Raises ValueError when `text` uses a name that is not known (yet), or a malformed generator (or
    any generator, where `generators` is false: an expected value must be one the check knows), or a
    `${secret:NAME}` where `secrets` is false or NAME is not an environment variable's name."""
    for m in PLACEHOLDER.finditer(text):
        name, arg = m.group(1), m.group(2)
        if name == SECRET and secrets and arg is not None:
            if not SECRET_NAME.fullmatch(arg):
                raise ValueError(f"{m.group(0)}: a lab secret's name is in capitals, e.g. ${{secret:ADMIN_PASSWORD}}")
        elif name in GENERATORS:
            _generated(name, arg)
            if not generators:
                raise ValueError(f"{m.group(0)} would be a new value, unknown to the request: draw it in let "
                                 "and use its name")
        elif arg is not None or name not in known:
            raise ValueError(f"${{{name}}} is not defined before it is used (define it in let, or save it "
                             "from an earlier step)")


def names_in(value: Any) -> list[str]:
    """Every string inside a JSON-like value (to validate its placeholders)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in names_in(k) + names_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in names_in(v)]
    return []


class MissingSecret(KeyError):
    """A `${secret:NAME}` whose NAME the instance does not have (the lab does not declare it)."""


def make_values(let: dict[str, str], secrets: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `let` values of one run: every generator is drawn anew; `${secret:NAME}` is secrets[NAME].
    Raises MissingSecret when a secret is not in `secrets`."""
    values: dict[str, Any] = {}
    for name, template in let.items():
        if secrets is not None:
            template = _with_secrets(template, secrets)
        values[name] = fill(template, values, generate=True)
    return values


def _with_secrets(template: str, secrets: Mapping[str, str]) -> str:
    """The template with each `${secret:NAME}` replaced by its value (URL-safe text, never a placeholder)."""

    def one(m: re.Match) -> str:
        if m.group(1) != SECRET or m.group(2) is None:
            return m.group(0)
        if m.group(2) not in secrets:
            raise MissingSecret(m.group(2))
        return secrets[m.group(2)]

    return PLACEHOLDER.sub(one, template)


def fill(value: Any, values: dict[str, Any], *, generate: bool = False) -> Any:
    """`value` with its placeholders replaced; a string that is one placeholder becomes that value."""
    if isinstance(value, dict):
        return {fill(k, values, generate=generate): fill(v, values, generate=generate) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values, generate=generate) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def one(m: re.Match) -> Any:
        name, arg = m.group(1), m.group(2)
        if generate and name in GENERATORS:
            return _generated(name, arg)
        return values[name]

    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return one(whole)
    return PLACEHOLDER.sub(lambda m: str(one(m)), value)
