"""http.sequence: requests made in order, sharing cookies, with values the learner cannot predict.

`let` draws fresh values for each run (a new title, a new request id), steps `save` what an answer
gave (a new book's id, a header) for later steps, and `distinct` asks that saved values all differ
(a request id that is new on every response). See fresh.py for the `${...}` placeholders; in `let`,
`${secret:NAME}` is a lab secret (an admin's password, which the app made its account with). A step can
`wait` out a seconds setting (a lock's cool-down) that the lab gives the learner's app, short, in its environment.
"""
from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from . import fresh
from .cookies import SetCookie
from .body import _schema, json_at, json_problem, parse_json, parse_path
from .html import html_problem
from .request import HeaderRule, SequenceStep, Target, header_problem, show_body, status_problem

MAX_WAIT = 30  # seconds: the longest lab wait a check sits through (labs give the app a short one)
WAIT_MARGIN = 1  # seconds past the wait, so that a lock ending on the second is over


class CookieRule(BaseModel):
    """What a cookie the answer sets must be (each attribute left out is not checked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    httponly: bool | None = Field(None, description="HttpOnly: page scripts cannot read it.")
    secure: bool | None = Field(None, description="Secure (browsers send it back to http://127.0.0.1 too).")
    samesite: list[str] | None = Field(None, description="The SameSite values accepted, e.g. [Lax, Strict].")
    max_age_at_most: int | None = Field(None, ge=0, description="Seconds it may last at most (a cookie without "
                                        "Max-Age or Expires lasts the browser session, and passes).")
    deleted: bool | None = Field(None, description="true: the answer expires it (Max-Age=0 or a past Expires).")

    @field_validator("samesite")
    @classmethod
    def _samesite(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        allowed = {"strict", "lax", "none"}
        for item in value:
            if item.lower() not in allowed:
                raise ValueError(f"samesite values are Strict, Lax or None, not {item!r}")
        return [item.capitalize() for item in value]


class Step(SequenceStep):
    """One request of a sequence, what its answer must hold, and what to keep from it."""

    expected_headers: dict[str, str | HeaderRule] = Field(
        default_factory=dict, description="{Header-Name: value | {regex: ...} | {absent: true}} the answer must have.")
    html: dict[str, str] = Field(default_factory=dict, description="{tag: text}: the answer is an HTML page with an "
                                 "element of that tag reading that text (any attributes, nesting, white space).")
    text_contains: list[str] = Field(default_factory=list, description="Text the HTML page shows.")
    save: dict[str, str] = Field(default_factory=dict, description="{name: json.path}: keep a value of the JSON "
                                 "answer as ${name} for later steps.")
    save_header: dict[str, str] = Field(default_factory=dict, description="{name: Header-Name}: keep a header's "
                                        "value as ${name} for later steps.")
    json_schema: dict[str, Any] | None = Field(None, alias="schema", description="A JSON Schema the answer must fit.")
    what: str | None = Field(None, description="What this request probes, for messages (e.g. 'a new book whose "
                             "title holds < and &'): say the kind of input, never the input.")
    clear_cookies: bool = Field(False, description="Forget every cookie before this request (a new browser).")
    restart: str | None = Field(None, description="Restart this process of the learner's app before the request "
                                "(launch mode only: sessions and data must survive a restart).")
    wait: str | None = Field(None, description="A seconds setting of the lab (a lock's cool-down, a token's "
                             "lifetime) to wait out before the request: its value plus a second, at most "
                             f"{MAX_WAIT} s; the learner's app gets the value in its environment.")
    set_cookies: dict[str, CookieRule] = Field(
        default_factory=dict, description="{cookie name, or * for every cookie the answer sets (at least one): "
        "rule}: the Set-Cookie headers of the answer (and of any redirect it follows).")
    save_cookies: str | None = Field(None, description="Keep the Cookie header the browser holds after this answer "
                                     "as ${name}: a later step replays it with headers: {Cookie: '${name}'}.")

    @field_validator("expected_headers")
    @classmethod
    def _rules(cls, value: dict[str, str | HeaderRule]) -> dict[str, HeaderRule]:
        return {name: HeaderRule(value=rule) if isinstance(rule, str) else rule for name, rule in value.items()}

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict | None) -> dict | None:
        return _schema(value)

    @field_validator("save")
    @classmethod
    def _save_paths(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value.values():
            parse_path(path)
        return value


def _sent(step: Step) -> list[str]:
    """The templates of what a step sends."""
    return [step.path or "", step.body or ""] + fresh.names_in(step.headers) + fresh.names_in(step.json_body)


def _expected(step: Step) -> list[str]:
    """The templates of what a step expects (they may use what the step itself saves)."""
    texts = fresh.names_in(step.equals) + [r.value or r.regex or "" for r in step.expected_headers.values()]  # type: ignore[union-attr]
    return texts + list(step.html.values()) + step.text_contains


@register("http.sequence")
class Sequence(Target):
    let: dict[str, str] = Field(default_factory=dict, description="{name: template}: fresh values for this run, "
                                "e.g. {title: 'Book ${random}', year: '${int:1000-1999}'}, used as ${name}; "
                                "${secret:NAME} is the lab's secret NAME, as the learner's app gets it.")
    steps: list[Step] = Field(min_length=1, max_length=20, description="Requests made in order, sharing cookies.")
    distinct: list[str] = Field(default_factory=list, description="Saved names whose values must all differ.")
    seconds_setting_fields = ("waits",)

    @property
    def waits(self) -> list[str]:
        """The seconds settings the steps wait out."""
        return [step.wait for step in self.steps if step.wait]

    def needs_seconds(self) -> float:
        return (MAX_WAIT + WAIT_MARGIN) * len(self.waits) + (30.0 if self.waits else 0.0)

    @field_validator("steps")
    @classmethod
    def _paths(cls, value: list[Step]) -> list[Step]:
        for step in value:
            for path in step.equals:
                parse_path(path)
        return value

    @model_validator(mode="after")
    def _names(self) -> "Sequence":
        known: set[str] = set()
        for name, template in self.let.items():
            if name in (*fresh.GENERATORS, fresh.SECRET):
                raise ValueError(f"let: {name} is the name of a fresh value (${{{name}}}); call it something else")
            fresh.check_template(template, known, secrets=True)
            known.add(name)
        for number, step in enumerate(self.steps, 1):
            try:
                for text in _sent(step):
                    fresh.check_template(text, known)
                known |= set(step.save) | set(step.save_header) | ({step.save_cookies} if step.save_cookies else set())
                for text in _expected(step):
                    fresh.check_template(text, known, generators=False)
            except ValueError as exc:
                raise ValueError(f"step {number}: {exc}") from None
        saved = {n for s in self.steps for n in (*s.save, *s.save_header, *([s.save_cookies] if s.save_cookies else []))}
        if self.distinct and (len(self.distinct) < 2 or not set(self.distinct) <= saved):
            raise ValueError("distinct needs two or more names saved by the steps (save or save_header)")
        return self

    def describe(self) -> str:
        return " then ".join(f"{s.method} {self.shown(s)}" for s in self.steps)

    # fill_step and judge_answer are the sequence's step logic for families that run steps of their own
    # (jwt's login prelude, rest's sign-in of each user): one meaning of a step everywhere.

    def fill_step(self, step: Step, values: dict[str, Any]) -> Step:
        """The step as sent this run: its placeholders filled."""
        # A value put into a URL is percent-encoded there: "Author x1" becomes Author%20x1.
        in_url = {k: quote(str(v), safe="") for k, v in values.items()}
        return step.model_copy(update={
            "path": fresh.fill(step.path, in_url, generate=True),
            "headers": fresh.fill(step.headers, values, generate=True),
            "json_body": fresh.fill(step.json_body, values, generate=True),
            "body": fresh.fill(step.body, values, generate=True)})

    def judge_answer(self, step: Step, response, values: dict[str, Any], origin: dict[str, str]) -> str | None:
        """What is wrong with the answer, or None; saves what the step saves, so its own checks may use it."""
        problem = status_problem(response, step.status)
        if not problem and (step.equals or step.save or step.json_schema is not None):
            data, problem = parse_json(response)
            for name, path in step.save.items():
                found, value, stopped = (False, None, "") if problem else json_at(data, path)
                if not problem and not found:
                    problem = f"the JSON has no {path} ({stopped})"
                values[name], origin[name] = value, f"the JSON's {path}"
            problem = problem or json_problem(data, fresh.fill(step.equals, values), step.json_schema)
        if not problem and step.expected_headers:
            # a value put into a regex stands for itself: Location: /books/${id}$ with the saved id
            escaped = {k: re.escape(str(v)) for k, v in values.items()}
            rules = {name: rule.model_copy(update={"value": fresh.fill(rule.value, values),
                                                   "regex": fresh.fill(rule.regex, escaped)})
                     for name, rule in step.expected_headers.items()}
            problem = header_problem(response.headers, rules)  # type: ignore[arg-type]
        if not problem and (step.html or step.text_contains):
            problem = html_problem(response.text, fresh.fill(step.html, values), fresh.fill(step.text_contains, values))
        if not problem:
            for name, header in step.save_header.items():
                value = response.headers.get(header)
                if value is None:
                    problem = f"the response has no {header} header"
                values[name], origin[name] = value, f"the {header} header"
        return problem

    def run(self, ctx: CheckContext) -> Outcome:
        done: list[str] = []
        try:
            values = fresh.make_values(self.let, secrets=ctx.env)
        except fresh.MissingSecret as exc:
            raise CheckError(f"the lab has no secret {exc.args[0]}: declare it under secrets: in lab.yaml") from None
        origin: dict[str, str] = {}
        step_of: dict[str, int] = {}
        # The steps share the check's time budget, so a long sequence ends as a failure, not a runner timeout.
        deadline = time.monotonic() + (self.timeout or ctx.timeout)
        session = self.session()  # one cookie jar: a login's session cookie goes with the next requests
        try:
            for number, template in enumerate(self.steps, 1):
                step = self.fill_step(template, values)
                if step.clear_cookies:
                    session.labctl_jar.clear()
                if step.restart:
                    restarted = restart_app(ctx, step.restart)
                    done.append(f"labctl app restart {step.restart}")
                    if restarted is not None:
                        return failed(f"step {number}: restarting {step.restart}: {restarted}",
                                      evidence="; ".join(done))
                if step.wait:
                    waited = wait_out(ctx, step.wait)
                    done.append(f"sleep {waited:g}")
                    deadline += waited
                left = max(0.1, deadline - time.monotonic())
                response, url, elapsed = self.send(ctx, session, step, timeout=left)
                # The curl line carries the cookies the browser sent, so pasting it replays this very request.
                sent_cookie = session.labctl_jar.last_sent
                curl = self.evidence(step.model_copy(update={"headers": {**step.headers, "Cookie": sent_cookie}})
                                     if sent_cookie else step, url)
                done.append(curl)
                evidence = "; ".join(done)
                shown = f"{step.method} {url}" + (f", {step.what}" if step.what else "")
                if response is None:
                    return failed(f"step {number} ({shown}): {elapsed}. Try it: {curl}", evidence=evidence)
                problem = self.judge_answer(template, response, values, origin)
                if not problem and step.set_cookies:
                    problem = cookie_problem(session.labctl_jar.last_set, step.set_cookies)
                if step.save_cookies:
                    values[step.save_cookies] = session.labctl_jar.header_for(urlsplit(url).path)
                    origin[step.save_cookies] = "the cookies"
                for name in (*step.save, *step.save_header, *([step.save_cookies] if step.save_cookies else [])):
                    step_of[name] = number
                if problem:
                    return failed(f"step {number} ({shown}): {problem}. Try it: {curl}",
                                  expected={"status": step.status, "equals": fresh.fill(step.equals, values) or None},
                                  found={"status": response.status_code, "body": show_body(response)}, evidence=evidence)
        finally:
            session.close()
        same = _first_repeat(self.distinct, values)
        if same is not None:
            first, second = same
            return failed(f"{origin[second]} of step {step_of[second]} repeats the one of step {step_of[first]} "
                          f"({values[second]!r}); each answer must get a new one. Try it: {done[step_of[second] - 1]}",
                          expected="all different", found={n: values[n] for n in self.distinct},
                          evidence="; ".join(done))
        return passed(f"all {len(self.steps)} requests answered as expected", evidence="; ".join(done))


def _first_repeat(names: list[str], values: dict[str, Any]) -> tuple[str, str] | None:
    for i, second in enumerate(names):
        for first in names[:i]:
            if values.get(first) == values.get(second):
                return first, second
    return None


def cookie_problem(set_now: list[SetCookie], rules: dict[str, CookieRule]) -> str | None:
    """What is wrong with the cookies an answer set, or None."""
    for name, rule in rules.items():
        if name == "*":
            cookies = [c for c in set_now if not c.deletes()] if not rule.deleted else list(set_now)
            if not cookies:
                if rule.deleted:  # a logout: the browser must be told to forget the cookie
                    return ("the answer sets no cookie (no Set-Cookie header); it should expire the session cookie: "
                            "set it again, empty, with Max-Age=0")
                return "the answer sets no cookie (no Set-Cookie header); it should set the session cookie"
        else:
            cookies = [c for c in set_now if c.name == name]
            if not cookies:
                found = ", ".join(sorted({c.name for c in set_now})) or "none"
                return f"the answer does not set the cookie {name} (cookies it sets: {found})"
        for cookie in cookies:
            problem = _one_cookie_problem(cookie, rule)
            if problem:
                return problem
    return None


def _one_cookie_problem(cookie: SetCookie, rule: CookieRule) -> str | None:
    said = f"the cookie {cookie.name} (Set-Cookie: {cookie.header[:160]})"
    if rule.deleted is not None and cookie.deletes() != rule.deleted:
        return (f"{said} is not expired; to remove it, set it again with Max-Age=0" if rule.deleted
                else f"{said} expires at once")
    if rule.httponly is not None and cookie.httponly != rule.httponly:
        return (f"{said} is not HttpOnly: add HttpOnly, so that no script in a page can read it" if rule.httponly
                else f"{said} is HttpOnly, and this one should not be")
    if rule.secure is not None and cookie.secure != rule.secure:
        return f"{said} is {'not ' if rule.secure else ''}Secure; it should {'' if rule.secure else 'not '}be"
    if rule.samesite is not None and cookie.samesite not in rule.samesite:
        now = f"SameSite={cookie.samesite}" if cookie.samesite else "no SameSite attribute"
        return f"{said} has {now}; expected SameSite={' or '.join(rule.samesite)}"
    if rule.max_age_at_most is not None:
        left = cookie.lifetime()
        if left is not None and left > rule.max_age_at_most + 1:
            return (f"{said} lasts {_duration(left)}; it should last at most {_duration(rule.max_age_at_most)}")
    return None


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def wait_out(ctx: CheckContext, setting: str) -> float:
    """Sleep through a seconds setting's value (plus a margin); returns the seconds slept. Raises CheckError
    when the value is too long for a check, saying how to make it short again."""
    value = ctx.setting(setting)
    if value is None or not value.strip().isdigit():
        raise CheckError(f"the setting {setting} has no value in seconds: `labctl config unset {setting}` "
                         "gives it the lab's own")
    seconds = int(value)
    if seconds > MAX_WAIT:
        raise CheckError(f"{setting} is {seconds} s, and a check waits {MAX_WAIT} s at most: set it back to the "
                         f"lab's short value with `labctl config unset {setting}`, then restart your app so that "
                         "it reads the new value")
    time.sleep(seconds + WAIT_MARGIN)
    return seconds + WAIT_MARGIN


def restart_app(ctx: CheckContext, process: str) -> str | None:
    """Restart a process of the learner's app (launch mode); what went wrong as the learner's failure, or None.
    Raises CheckError when labctl does not run the app: this check cannot run in URL mode."""
    from labctl.core.errors import CheckError, LabctlError

    launcher = ctx.launcher
    if launcher is None:
        raise CheckError(f"this check restarts your app's {process} process, and labctl does not run your app here: "
                         "check this task with `labctl check`, in launch mode")
    if process not in launcher.lab.processes:
        raise CheckError(f"this check restarts your app's {process} process, which this lab does not declare")
    if launcher.command(process) is None:
        setting = launcher.lab.processes[process].command_setting
        raise CheckError(f"this check restarts your app, so labctl must run it (launch mode): "
                         f"`labctl config set {setting} \"<how you start it>\"`, then check again")
    try:
        launcher.restart(process)
    except LabctlError as exc:
        return f"{exc.message}" + (f" ({exc.hint.splitlines()[-1]})" if exc.hint else "")
    return None
