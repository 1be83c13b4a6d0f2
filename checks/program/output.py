"""Checks that run the learner's own program (any language) on inputs and compare what it does.

The command comes from a lab setting (`labctl config set run "python3 main.py"`) and runs in the
learner's workspace under /bin/sh, with the input on stdin and a time limit. A failure shows ACTUAL
against EXPECTED for the first line that differs, on visible and hidden inputs alike.
"""
from __future__ import annotations

import shlex

from pydantic import Field, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.programs import ProgramRun
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .run import clip, crashed, first_difference, labelled_number, mentions, normalise, run_program, show, tail

SHELL_NOT_FOUND = 127


class _Program(Check):
    """Which program, and what it is given."""

    lab_paths = ("stdin",)
    setting_fields = ("setting",)

    setting: str = Field("run", description="The lab setting holding the command that runs the learner's program.")
    args: list[str] = Field(default_factory=list, description="Arguments added to the command.")
    stdin: str | None = Field(None, description="A file inside the lab folder fed to the program's stdin.")
    stdin_text: str | None = Field(None, description="Text fed to stdin (instead of a file).")
    label: str = Field("the sample input", description="How the input is named in messages, e.g. 'a hidden test "
                                                       "with two customers'. Hidden inputs are never shown in full.")
    time_limit: float = Field(5.0, gt=0, le=120, description="Seconds the program may run.")

    @model_validator(mode="after")
    def _one_input(self) -> "_Program":
        if self.stdin is not None and self.stdin_text is not None:
            raise ValueError("give stdin (a file) or stdin_text, not both")
        return self

    def needs_seconds(self) -> float:
        return self.time_limit + 2.0

    def execute(self, ctx: CheckContext) -> tuple[ProgramRun | None, Outcome | None]:
        """(the run, None), or (None, the failure to report when the program could not be run at all)."""
        command = ctx.setting(self.setting)
        if not command:
            return None, failed(
                f"labctl does not know how to run your program yet. From your workspace, tell it the command "
                f"you use, e.g. `labctl config set {self.setting} \"python3 main.py\"`")
        if ctx.workspace is None or not ctx.workspace.is_dir():
            raise CheckError("this lab instance has no workspace folder; run `labctl start` again to make it")
        if self.args:
            command = command + " " + " ".join(shlex.quote(a) for a in self.args)
        if self.stdin is not None:
            data = self.lab_file(ctx, self.stdin).read_bytes()
        else:
            data = (self.stdin_text or "").encode()
        env = dict(ctx.env)
        env["LABCTL_WORKSPACE"] = str(ctx.workspace)
        hung = ctx.memo.get(("program-hung", command))
        if hung is not None:
            # One input already showed it: waiting out every other input would only make the learner wait.
            return None, failed(f"not run on {self.label}: your program did not finish on {hung}. Fix that "
                                "first; the other inputs are tried once it does.", evidence=command)
        try:
            if ctx.program_runner is not None:  # contained: in the submission's sandbox, not on this machine
                run = ctx.program_runner(command, data, time_limit=self.time_limit, env=env)
            else:
                run = run_program(command, ctx.workspace, data, time_limit=self.time_limit, env=env)
        except OSError as exc:
            raise CheckError(f"cannot run `{command}`: {exc.strerror or exc}") from exc
        if run.timed_out:
            ctx.memo[("program-hung", command)] = self.label
            return None, failed(
                f"on {self.label}, your program was still running after {self.time_limit:g}s. Does it wait for "
                "more input, or loop forever? It must read its input to the end, print, and exit.",
                evidence=command)
        if run.exit_code == SHELL_NOT_FOUND and "not found" in run.stderr:
            return None, failed(
                f"`{command}` could not be started: {run.stderr.strip().splitlines()[-1]}. Check the command "
                f"with `labctl config get {self.setting}`, and try it yourself in your workspace.",
                evidence=command)
        return run, None


@register("program.output")
class ProgramOutput(_Program):
    """The program, given the input, exits with the expected code and prints exactly the expected lines."""

    lab_paths = ("stdin", "expect_file")

    expect_file: str | None = Field(None, description="A file inside the lab folder with the expected stdout.")
    expect_text: str | None = Field(None, description="The expected stdout (instead of a file).")
    exit_code: int = Field(0, description="The exit code expected.")
    ignore_order: bool = Field(False, description="Compare the lines in any order.")

    @model_validator(mode="after")
    def _one_expectation(self) -> "ProgramOutput":
        if (self.expect_file is None) == (self.expect_text is None):
            raise ValueError("give expect_file or expect_text (exactly one)")
        return self

    def describe(self) -> str:
        return f"your program's output on {self.label}"

    def run(self, ctx: CheckContext) -> Outcome:
        run, problem = self.execute(ctx)
        if problem is not None:
            return problem
        assert run is not None
        if run.exit_code != self.exit_code:
            said = tail(run.stderr) or tail(run.stdout) or "    (nothing)"
            return failed(f"on {self.label}, your program exited with code {run.exit_code}; expected "
                          f"{self.exit_code}. Its last output:\n{said}", expected=self.exit_code, found=run.exit_code)
        if self.expect_file is not None:
            expected_text = self.lab_file(ctx, self.expect_file).read_text(encoding="utf-8")
        else:
            expected_text = self.expect_text or ""
        actual, expected = normalise(run.stdout), normalise(expected_text)
        if self.ignore_order:
            actual, expected = sorted(actual), sorted(expected)
        difference = first_difference(actual, expected)
        if difference is None:
            return passed(f"on {self.label}, your program printed the expected {len(expected)} line(s)")
        number, got, want = difference
        if got is None:
            what = f"your output stops after line {number - 1}" if number > 1 else "your program printed nothing"
        elif want is None:
            what = f"your output has an extra line {number}"
        else:
            what = f"line {number} of your output differs"
        return failed(f"on {self.label}, {what}:\n  ACTUAL:   {show(got)}\n  EXPECTED: {show(want)}",
                      expected=want, found=got)


@register("program.rejects")
class ProgramRejects(_Program):
    """Given bad input, the program stops with a non-zero exit code and an error message that says what is wrong."""

    message_contains: list[str] = Field(default_factory=list,
                                        description="Texts the error message must mention (any case, whole words). A word "
                                                    "and a number ('line 3') is matched on its meaning: 'line number 3', "
                                                    "'line: 3', 'the 3rd line' as well, never 'line 31'.")
    stream: str = Field("stderr", pattern="^(stderr|any)$",
                        description="Where the message must be printed: stderr (the default) or any (stdout too).")
    stdout_empty: bool = Field(False, description="Whether stdout must stay empty: no partial report before the error, "
                                                  "nothing beside it. Only with stream: stderr.")

    @model_validator(mode="after")
    def _stdout_empty_needs_stderr(self) -> "ProgramRejects":
        if self.stdout_empty and self.stream != "stderr":
            raise ValueError("stdout_empty needs stream: stderr (the error message cannot be on an empty stdout)")
        return self

    def describe(self) -> str:
        return f"your program's handling of {self.label}"

    def run(self, ctx: CheckContext) -> Outcome:
        run, problem = self.execute(ctx)
        if problem is not None:
            return problem
        assert run is not None
        if run.exit_code == 0:
            return failed(f"on {self.label}, your program exited with code 0 as if all was well. It should stop "
                          "with a non-zero exit code (e.g. sys.exit(1)) and an error message.",
                          expected="a non-zero exit code", found=0)
        message = run.stderr if self.stream == "stderr" else run.stderr + "\n" + run.stdout
        if not message.strip():
            if self.stream == "stderr" and run.stdout.strip():
                return failed(f"on {self.label}, your program printed its error message to stdout; error "
                              "messages belong on stderr (in Python: print(..., file=sys.stderr))")
            return failed(f"on {self.label}, your program stopped with code {run.exit_code} but printed no error "
                          "message; say what is wrong, so that its user can fix the input")
        crash = crashed(run.stderr)
        if crash:
            return failed(f"on {self.label}, your program crashed ({crash}) instead of stopping with a clear "
                          f"message. Catch the error, print what is wrong with the input, and exit with a "
                          f"non-zero code. The end of the crash report:\n{tail(run.stderr, 3)}")
        missing = [text for text in self.message_contains if not mentions(message, text)]
        if missing:
            wording = " in any wording" if labelled_number(missing[0]) else ""
            return failed(f"on {self.label}, your error message does not mention {missing[0]!r}{wording}. It said:\n"
                          f"{tail(message)}", expected=missing[0], found=clip(message))
        if self.stdout_empty and run.stdout.strip():
            printed = [line for line in normalise(run.stdout) if line]
            return failed(f"on {self.label}, your program printed its error, but also {len(printed)} line(s) on "
                          f"stdout, the first being: {show(printed[0])}. When the input is rejected, stdout must "
                          "stay empty: a partial report saved to a file would pass for a whole one. Check the "
                          "whole input before printing anything.", expected="nothing on stdout",
                          found=clip(printed[0]))
        return passed(f"on {self.label}, your program stopped with code {run.exit_code} and a clear message")
