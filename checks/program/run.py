"""Running the learner's own program for the program.* checks: a shell command in the workspace, with stdin,
a time limit, bounded output, and its whole process group ended afterwards. Pure helpers for comparing output."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Mapping

from labctl.check_engine.programs import MAX_OUTPUT, ProgramRun, decoded

SHOWN = 200  # characters of a line shown in a message


def run_program(command: str, cwd: Path, stdin: bytes, *, time_limit: float, env: Mapping[str, str]) -> ProgramRun:
    """Run `command` under /bin/sh in cwd, feeding stdin; kill its process group at the time limit."""
    full_env = dict(os.environ)
    full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        inp.write(stdin)
        inp.seek(0)
        started = time.monotonic()
        process = subprocess.Popen(["/bin/sh", "-c", command], cwd=cwd, env=full_env, stdin=inp, stdout=out,
                                   stderr=err, start_new_session=True)
        try:
            code: int | None = process.wait(time_limit)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # Whatever the shell started (a child that outlived it, a server) ends with it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
        seconds = time.monotonic() - started
        return ProgramRun(code, _read(out), _read(err), seconds)


def _read(handle) -> str:
    handle.seek(0)
    return decoded(handle.read(MAX_OUTPUT + 1))


def normalise(text: str) -> list[str]:
    """Lines as a person reads them: Windows line ends, trailing spaces and trailing blank lines ignored."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def first_difference(actual: list[str], expected: list[str]) -> tuple[int, str | None, str | None] | None:
    """(1-based line number, actual line or None, expected line or None) of the first difference, or None."""
    for number, (a, e) in enumerate(zip(actual, expected), start=1):
        if a != e:
            return number, a, e
    if len(actual) < len(expected):
        return len(actual) + 1, None, expected[len(actual)]
    if len(actual) > len(expected):
        return len(expected) + 1, actual[len(expected)], None
    return None


def clip(text: str) -> str:
    """A quote of the program's output for a result's `found`: whole up to SHOWN characters, else marked as cut."""
    text = text.strip()
    return text if len(text) <= SHOWN else text[:SHOWN] + "... (cut)"


def show(line: str | None) -> str:
    if line is None:
        return "(nothing: the output ends here)"
    text = line if len(line) <= SHOWN else line[:SHOWN] + "..."
    return repr(text) if text != text.strip() or not text else text


# Words that may stand between a label and its number: "line number 4", "line no. 4", "line #4", "line: 4".
_FILLER = r"(?:[\s:#=(\[]|\bnumber\b|\bnum\b\.?|\bnr\b\.?|\bno\b\.?|n°)*"
_LABELLED_NUMBER = re.compile(r"([^\W\d_]+(?:\s+[^\W\d_]+)*)\s+(\d+)")


def labelled_number(text: str) -> re.Match | None:
    """The word and the number of a text like 'line 4', or None."""
    return _LABELLED_NUMBER.fullmatch(text.strip())


def mentions(message: str, text: str) -> bool:
    """Whether the message mentions the text (any case) as a whole: 'line 3' is not in 'line 31'.

    A text that is a word and a whole number ('line 4') is matched on its meaning, not its spelling: the
    word, then that number as the first number after it, with only punctuation or "number"/"no." between
    ('line 4', 'on line number 4', 'Line: 4', 'line #4'), or the number as an ordinal before the word
    ('the 4th line'). Never 'line 41', 'line 4.5', or 'line 3: expected 3 fields, found 4'."""
    labelled = labelled_number(text)
    if labelled:
        word, number = re.escape(labelled.group(1).lower()).replace(r"\ ", r"\s+"), str(int(labelled.group(2)))
        whole = r"(?<![\d.,])0*" + number + r"(?![\d]|[.,]\d)"
        after = r"\b" + word + r"s?\b" + _FILLER + whole
        before = r"(?<![\d.,])" + number + r"(?:st|nd|rd|th)\s+" + word + r"\b"
        return re.search(after + "|" + before, message.lower()) is not None
    pattern = re.escape(text.lower())
    if text[:1].isalnum():
        pattern = r"(?<![0-9a-z])" + pattern
    if text[-1:].isalnum():
        pattern += r"(?![0-9a-z])"
    return re.search(pattern, message.lower()) is not None


def crashed(stderr: str) -> str | None:
    """The crash report's kind, when the program died of an uncaught error instead of stopping cleanly."""
    if "Traceback (most recent call last)" in stderr:
        return "a Python traceback"
    if re.search(r"^\s+at .+\(.+:\d+:\d+\)$", stderr, re.M) and "Error" in stderr:
        return "a JavaScript stack trace"
    if re.search(r"^Exception in thread \"main\"", stderr, re.M):
        return "a Java stack trace"
    if "panic: " in stderr and "goroutine " in stderr:
        return "a Go panic"
    return None


def tail(text: str, lines: int = 5) -> str:
    # Python's ^^^^ markers under a line carry nothing on their own.
    kept = [line for line in text.strip().splitlines() if line.strip() and set(line.strip()) - set("^~")][-lines:]
    return "\n".join("    " + (line if len(line) <= SHOWN else line[:SHOWN] + "...") for line in kept)
