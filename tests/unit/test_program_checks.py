"""The program.* checks, run for real: the learner's program is a real process in a real workspace."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from labctl.check_engine import registry
from labctl.check_engine.context import CheckContext
from labctl.core.errors import CheckError

PY = sys.executable


def check(type_name: str, **params):
    return registry.get(type_name).model_validate(params)


def context(tmp_path: Path, run: str | None, program: str = "") -> CheckContext:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    (workspace / "main.py").write_text(program)
    settings = {"run": run} if run else {}
    return CheckContext(tmp_path, {}, workspace, 10.0, settings=settings)


SHOUT = "import sys\nfor line in sys.stdin:\n    print(line.strip().upper())\n"


def test_output_passes_and_ignores_trailing_space_and_crlf(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", SHOUT)
    outcome = check("program.output", stdin_text="a  \r\nb\n", expect_text="A\nB\n\n").run(ctx)
    assert outcome.passed, outcome.message
    assert "2 line(s)" in outcome.message


def test_output_first_difference_shows_actual_and_expected(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", SHOUT)
    outcome = check("program.output", stdin_text="a\nb\nc\n", expect_text="A\nX\nC\n", label="a hidden test").run(ctx)
    assert not outcome.passed
    assert outcome.message == "on a hidden test, line 2 of your output differs:\n  ACTUAL:   B\n  EXPECTED: X"


def test_output_missing_and_extra_lines(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", SHOUT)
    short = check("program.output", stdin_text="a\n", expect_text="A\nB\n").run(ctx)
    assert "your output stops after line 1" in short.message and "EXPECTED: B" in short.message
    long = check("program.output", stdin_text="a\nb\n", expect_text="A\n").run(ctx)
    assert "extra line 2" in long.message and "ACTUAL:   B" in long.message
    nothing = check("program.output", stdin_text="", expect_text="A\n").run(ctx)
    assert "your program printed nothing" in nothing.message


def test_output_ignore_order(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", SHOUT)
    assert check("program.output", stdin_text="b\na\n", expect_text="A\nB\n", ignore_order=True).run(ctx).passed
    assert not check("program.output", stdin_text="b\na\n", expect_text="A\nB\n").run(ctx).passed


def test_output_from_lab_files(tmp_path):
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "out.txt").write_text("X\n")
    ctx = context(tmp_path, f"{PY} main.py", SHOUT)
    assert check("program.output", stdin="in.txt", expect_file="out.txt").run(ctx).passed


def test_unset_command_fails_telling_what_to_do(tmp_path):
    outcome = check("program.output", stdin_text="", expect_text="").run(context(tmp_path, None))
    assert not outcome.passed
    assert 'labctl config set run "python3 main.py"' in outcome.message


def test_command_not_found(tmp_path):
    outcome = check("program.output", stdin_text="", expect_text="").run(context(tmp_path, "no-such-program-xyz"))
    assert not outcome.passed
    assert "could not be started" in outcome.message and "labctl config get run" in outcome.message


def test_wrong_exit_code_shows_stderr(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('boom: no input')\n")
    outcome = check("program.output", stdin_text="", expect_text="").run(ctx)
    assert "exited with code 1; expected 0" in outcome.message and "boom: no input" in outcome.message


def test_time_limit_kills_the_program_and_its_children(tmp_path):
    marker = tmp_path / "child-alive"
    child = f"import time; time.sleep(3); open({str(marker)!r}, 'w')"
    program = ("import subprocess, sys, time\n"
               f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
               "input(); time.sleep(60)\n")
    ctx = context(tmp_path, f"{PY} main.py", program)
    outcome = check("program.output", stdin_text="one line\n", expect_text="", time_limit=1).run(ctx)
    assert not outcome.passed
    assert "still running after 1s" in outcome.message
    import time

    time.sleep(3.5)
    assert not marker.exists(), "a child of the learner's program outlived the check"


def test_output_is_bounded(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "while True:\n    print('x' * 1000)\n")
    outcome = check("program.output", stdin_text="", expect_text="", time_limit=1).run(ctx)
    assert not outcome.passed and "still running" in outcome.message


def test_args_are_passed_quoted(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nprint(sys.argv[1:])\n")
    outcome = check("program.output", args=["--top", "two words"], stdin_text="",
                    expect_text="['--top', 'two words']").run(ctx)
    assert outcome.passed, outcome.message


@pytest.mark.parametrize("program, expected", [
    ("import sys\nsys.exit('line 2: bad amount')\n", None),
    ("print('all good')\n", "exited with code 0"),
    ("import sys\nprint('line 2: bad')\nsys.exit(1)\n", "printed its error message to stdout"),
    ("import sys\nsys.exit(2)\n", "printed no error message"),
    ("import sys\nsys.exit('bad amount')\n", "does not mention 'LINE 2'"),
])
def test_rejects(tmp_path, program, expected):
    ctx = context(tmp_path, f"{PY} main.py", program)
    outcome = check("program.rejects", stdin_text="a,1\nb,x\n", message_contains=["LINE 2"]).run(ctx)
    if expected is None:
        assert outcome.passed, outcome.message
    else:
        assert not outcome.passed
        assert expected in outcome.message


def test_rejects_accepts_stdout_when_told(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nprint('line 2: bad')\nsys.exit(1)\n")
    assert check("program.rejects", stdin_text="", message_contains=["line 2"], stream="any").run(ctx).passed


def test_no_workspace_is_an_error(tmp_path):
    ctx = CheckContext(tmp_path, {}, None, 10.0, settings={"run": "true"})
    with pytest.raises(CheckError):
        check("program.output", stdin_text="", expect_text="").run(ctx)


def test_parameters_are_validated():
    cls = registry.get("program.output")
    with pytest.raises(ValueError):
        cls.model_validate({"stdin_text": "", "expect_text": "", "expect_file": "x"})
    with pytest.raises(ValueError):
        cls.model_validate({"stdin": "a", "stdin_text": "b", "expect_text": ""})
    assert cls.model_validate({"expect_text": "", "time_limit": 30}).needs_seconds() == 32


def test_rejects_matches_whole_words_and_refuses_crashes(tmp_path):
    crash = ("import sys\n" + "\n" * 30 + "raise ValueError('x')\n")  # a traceback naming 'line 32'
    outcome = check("program.rejects", stdin_text="", message_contains=["line 3"]).run(context(tmp_path, f"{PY} main.py", crash))
    assert not outcome.passed and "crashed (a Python traceback)" in outcome.message
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('error on line 31')\n")
    outcome = check("program.rejects", stdin_text="", message_contains=["line 3"]).run(ctx)
    assert not outcome.passed and "does not mention 'line 3'" in outcome.message


def test_after_one_hang_the_other_inputs_are_not_waited_for(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "import time\ntime.sleep(30)\n")
    first = check("program.output", stdin_text="", expect_text="", time_limit=1, label="input A").run(ctx)
    assert "still running after 1s" in first.message
    import time

    started = time.monotonic()
    second = check("program.output", stdin_text="", expect_text="", time_limit=1, label="input B").run(ctx)
    assert time.monotonic() - started < 0.5
    assert second.message.startswith("not run on input B: your program did not finish on input A")


@pytest.mark.parametrize("said", ["error: line 4: bad amount", "Error on line number 4", "line: 4 is malformed",
                                  "bad amount on line 4.", "line #4: 2 fields", "the 4th line has 2 fields",
                                  "invalid order (line 4)", "LINE NO. 4: empty customer"])
def test_rejects_takes_the_line_number_in_any_wording(tmp_path, said):
    ctx = context(tmp_path, f"{PY} main.py", f"import sys\nsys.exit({said!r})\n")
    outcome = check("program.rejects", stdin_text="", message_contains=["line 4"]).run(ctx)
    assert outcome.passed, outcome.message


@pytest.mark.parametrize("said", ["error: line 41: bad amount", "line 14: bad", "line 4.5", "4 lines read",
                                  "line 3: expected 3 fields, found 4", "found 4 fields on line 3", "the 14th line",
                                  "pipeline 4 failed"])
def test_rejects_refuses_another_number_near_the_word(tmp_path, said):
    ctx = context(tmp_path, f"{PY} main.py", f"import sys\nsys.exit({said!r})\n")
    outcome = check("program.rejects", stdin_text="", message_contains=["line 4"]).run(ctx)
    assert not outcome.passed
    assert "does not mention 'line 4' in any wording" in outcome.message


def test_rejects_other_texts_are_matched_as_written(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('argument --top: invalid int value')\n")
    assert check("program.rejects", stdin_text="", message_contains=["--top"]).run(ctx).passed
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('top: invalid int value')\n")
    outcome = check("program.rejects", stdin_text="", message_contains=["--top"]).run(ctx)
    assert not outcome.passed and "does not mention '--top'. It said" in outcome.message


PARTIAL_REPORT = "import sys\nprint('Ada: 1.00')\nsys.exit('error: line 2: bad amount')\n"


def test_rejects_with_stdout_empty_refuses_a_partial_report(tmp_path):
    ctx = context(tmp_path, f"{PY} main.py", PARTIAL_REPORT)
    outcome = check("program.rejects", stdin_text="", message_contains=["line 2"], stdout_empty=True).run(ctx)
    assert not outcome.passed
    assert "also 1 line(s) on stdout, the first being: Ada: 1.00" in outcome.message
    assert check("program.rejects", stdin_text="", message_contains=["line 2"]).run(ctx).passed
    clean = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('error: line 2: bad amount')\n")
    assert check("program.rejects", stdin_text="", message_contains=["line 2"], stdout_empty=True).run(clean).passed


def test_rejects_stdout_empty_needs_the_message_on_stderr():
    with pytest.raises(ValueError):
        registry.get("program.rejects").model_validate({"stdin_text": "", "stdout_empty": True, "stream": "any"})


def test_a_long_message_is_quoted_whole_or_marked_as_cut(tmp_path):
    long = "x" * 300
    ctx = context(tmp_path, f"{PY} main.py", f"import sys\nsys.exit({long!r})\n")
    outcome = check("program.rejects", stdin_text="", message_contains=["line 2"]).run(ctx)
    assert not outcome.passed and outcome.found == "x" * 200 + "... (cut)"
    ctx = context(tmp_path, f"{PY} main.py", "import sys\nsys.exit('bad amount')\n")
    assert check("program.rejects", stdin_text="", message_contains=["line 2"]).run(ctx).found == "bad amount"
