"""api_tests.catch: the learner's own API tests (any tool: pytest, Jest, Newman, Hurl, a curl script) must
pass against the lab's correct API and fail against each of its mutants, each with one classic bug.

The practice-api service serves them (compose/images/practice-api): every run gets a fresh deployment at a
random prefix, with an empty store, and nothing in an answer tells a mutant from the reference. Order: the
reference, the mutants in a random order, the reference again (a suite that passes only once is caught).
"""
from __future__ import annotations

import random
import re

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError
from labctl.services.practice_api import Mutant, mutants

from ..program.run import tail
from .runs import Run, run_once, with_url

# Lines that say which test failed, in the usual tools' reports: TAP (node --test, tape), pytest, Jest and
# Vitest, Mocha, Newman, unittest, Go, JUnit.
FAILURE_LINE = re.compile(r"^\s*(not ok\b|FAIL(ED)?\b|ERROR\b|✖|✗|×|✕|\d+\) |#\s+failure|--- FAIL|AssertionError|"
                          r"assert(ion)?\b|E\s{2,}|Expected|Received|expected\b)", re.IGNORECASE)
SHOWN_FAILURES = 10


def failing_lines(output: str) -> str:
    """What a test run printed about its failures (the lines that name a failing test or an assertion, up to
    ten), then its last lines: a summary alone does not say which test failed."""
    lines = [line for line in output.splitlines() if line.strip()]
    last_lines = lines[-6:]
    marked = [line for line in lines[:-6] if FAILURE_LINE.match(line)][:SHOWN_FAILURES]
    last = tail("\n".join(last_lines), 6)
    shown = tail("\n".join(marked), SHOWN_FAILURES) if marked else ""
    return "\n".join(part for part in (shown, "    ..." if shown else "", last) if part)


SHELL_NOT_FOUND = 127
EXAMPLE = "newman run todo.postman_collection.json --env-var base_url={url}"


@register("api_tests.catch", service_kind="practice-api")
class ApiTestsCatch(Check):
    """The learner's API tests pass against the correct API, twice, and fail against every mutant."""

    setting_fields = ("setting",)

    setting: str = Field("api_tests", description="The lab setting (kind: command) holding the command that runs "
                                                  "the learner's API tests, from their workspace.")
    mutants: list[str] | None = Field(None, min_length=1, description="Which mutants of the practice API to run "
                                      "them against (names from compose/images/practice-api/variants.py); "
                                      "all of them by default.")
    time_limit: float = Field(30.0, gt=0, le=300, description="Seconds one run of the tests may take.")
    placeholder: str = Field("{url}", min_length=1, description="Replaced in the command by the API's base URL "
                                                                "(also given as $API_URL).")

    def describe(self) -> str:
        return "your API tests, against the correct Todo API and against its mutants"

    def needs_seconds(self) -> float:
        runs = (len(self.mutants) if self.mutants else 16) + 2
        return runs * (self.time_limit + 1.0) + 10.0

    def run(self, ctx: CheckContext) -> Outcome:
        command = ctx.setting(self.setting)
        if not command:
            return failed(f"labctl does not know how to run your API tests yet. From your workspace, set the "
                          f"command, with {self.placeholder} where the API's base URL goes (it is also in "
                          f"$API_URL), e.g. `labctl config set {self.setting} \"{EXAMPLE}\"`")
        access = ctx.service(self.service or "practice-api")
        chosen = self._chosen(mutants(access))

        def once(variant: str, keep_if_failed: bool = False) -> Run:
            try:
                return run_once(ctx, access, variant, command, self.placeholder, self.time_limit,
                                keep_if_failed=keep_if_failed)
            except OSError as exc:
                raise CheckError(f"cannot run `{command}`: {exc.strerror or exc}") from exc

        # On the learner's machine, a correct API their tests fail against stays up for them to try.
        first = once("reference", keep_if_failed=ctx.program_runner is None)
        problem = self._reference_problem(first, command, again=False)
        if problem is not None:
            return problem
        order = list(chosen)
        random.SystemRandom().shuffle(order)
        missed = [(m, run) for m in order if not (run := once(m.name)).failed]
        last = once("reference")
        again = self._reference_problem(last, command, again=True)
        if again is not None:
            return again
        caught = len(chosen) - len(missed)
        if not missed:
            return passed(f"your tests pass against the correct API (twice) and caught all {len(chosen)} bugs",
                          evidence=command)
        names = [c.name for c in chosen]
        missed.sort(key=lambda pair: names.index(pair[0].name))
        lines = "\n".join(f"  - {m.description}{self._how(run)}.\n    A test that catches it: {m.hint}."
                          for m, run in missed)
        if caught == 0:
            lines += (f"\nThey caught none: do they call the API at the URL labctl gives (`{self.placeholder}` in "
                      f"the command, or $API_URL), not a fixed address? And does the command exit with a non-zero "
                      f"code when a test fails (no `|| true`, no `; exit 0` after it)?")
        return failed(f"your tests caught {caught} of {len(chosen)} bugs. Against these mutants of the API, each "
                      f"with one bug, they did not fail:\n{lines}\nAdd those tests, check that they still pass "
                      f"against the correct API, and run `labctl check` again.",
                      expected=len(chosen), found=caught, evidence=command)

    def _how(self, run: Run) -> str:
        if run.result.timed_out:
            return f" (your tests were still running after {self.time_limit:g}s: a run that hangs catches nothing)"
        return ""

    def _chosen(self, served: list[Mutant]) -> list[Mutant]:
        if self.mutants is None:
            return served
        by_name = {m.name: m for m in served}
        unknown = [name for name in self.mutants if name not in by_name]
        if unknown:
            raise CheckError(f"the practice API has no mutant {unknown[0]!r}; it has {', '.join(by_name)}")
        return [by_name[name] for name in self.mutants]

    def _reference_problem(self, run: Run, command: str, *, again: bool) -> Outcome | None:
        """The failure to report when a run against the correct API did not pass, else None."""
        result = run.result
        if result.exit_code == 0:
            return None
        # Last, so that the command is printed on a line of its own (the CLI splits at "Try it:").
        try_it = (f"\nThis correct API stays up for 15 minutes, for you to run them against it yourself. Try it: "
                  f"API_URL={run.url} {with_url(command, self.placeholder, run.url)}" if run.kept else "")
        said = failing_lines(result.stderr + "\n" + result.stdout) or "    (nothing)"
        if result.timed_out:
            return failed(f"against the correct API, your tests were still running after {self.time_limit:g}s. "
                          f"Does a request wait without a timeout, or does the command wait for input?{try_it}",
                          evidence=command)
        if result.exit_code == SHELL_NOT_FOUND and "not found" in result.stderr:
            return failed(f"`{command}` could not be started: {result.stderr.strip().splitlines()[-1]}. Check the "
                          f"command with `labctl config get {self.setting}`, and try it yourself in your workspace.",
                          evidence=command)
        if again:
            return failed(f"your tests passed against the correct API on the first run but failed on the last one "
                          f"(exit code {result.exit_code}): they depend on something an earlier run left behind (a file "
                          f"they wrote, a saved token or id, a snapshot). Each run gets a fresh, empty API: make "
                          f"every run register its own users and create its own todos. Their output:\n{said}{try_it}",
                          evidence=command)
        return failed(f"your tests fail against the correct API (exit code {result.exit_code}), so they cannot tell "
                      f"a bug from a right answer yet: fix them first (or the command: `labctl config get "
                      f"{self.setting}`), then they are run against the mutants. Their output:\n{said}{try_it}",
                      evidence=command)
