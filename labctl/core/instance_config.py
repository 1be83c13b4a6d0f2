"""Lab settings: the values a learner gives an instance with `labctl config set` (a run command, an app URL)."""
from __future__ import annotations

from typing import Mapping

from labctl.core.errors import LabctlError
from labctl.core.loopback import check_loopback
from labctl.core.model import Lab, Setting

MAX_LENGTH = 1000
MAX_SECONDS = 86400  # a day: longer waits are not what a lab setting is for


def setting_problem(setting: Setting, value: str) -> str | None:
    """Why the value cannot be the setting's, or None when it can."""
    if len(value) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if "\n" in value or "\r" in value or "\0" in value:
        return "must be one line"
    if setting.kind == "command" and not value.strip():
        return "must not be empty: it is the command that runs your program, e.g. python3 main.py"
    if setting.kind == "seconds" and not (value.strip().isdigit() and 1 <= int(value) <= MAX_SECONDS):
        return f"must be a whole number of seconds, from 1 to {MAX_SECONDS}"
    if setting.kind == "url":
        try:
            check_loopback(value)
        except ValueError as exc:
            return str(exc)
    return None


def lookup(lab: Lab, name: str) -> Setting:
    """The lab's setting called name; a LabctlError listing the lab's settings otherwise."""
    setting = lab.settings.get(name)
    if setting is None:
        if not lab.settings:
            raise LabctlError(f"{lab.id} has no settings", "Nothing needs configuring in this lab.")
        raise LabctlError(f"{lab.id} has no setting {name!r}",
                          f"Its settings: {', '.join(lab.settings)}. `labctl config list` shows them.")
    return setting


def validated(lab: Lab, name: str, value: str) -> str:
    setting = lookup(lab, name)
    problem = setting_problem(setting, value)
    if problem:
        hint = f"For example: labctl config set {name} \"{setting.example}\"" if setting.example else None
        raise LabctlError(f"{name} {problem}", hint)
    return value


def variables(lab: Lab, values: Mapping[str, str]) -> dict[str, str]:
    """The settings the learner's app gets in its environment ({env name: value}), from effective values."""
    return {s.env: values[name] for name, s in lab.settings.items() if s.env and name in values}


def effective(lab: Lab, chosen: Mapping[str, str]) -> dict[str, str]:
    """The value of every setting that has one: chosen by the learner, else the lab's default."""
    out = {name: s.default for name, s in lab.settings.items() if s.default is not None}
    out.update({k: v for k, v in chosen.items() if k in lab.settings})
    return out

