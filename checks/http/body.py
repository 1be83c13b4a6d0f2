"""HTTP checks on what comes back: JSON bodies (values at paths, JSON Schema), text bodies, response times."""
from __future__ import annotations

import json
import re
import statistics
import time
from typing import Any

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .request import OneRequest, show_body, status_problem

# ---- JSON helpers (unit-tested without a server) ------------------------------------------------

def parse_path(path: str) -> list[str | int]:
    """'items[0].name', 'items.0.name' -> ['items', 0, 'name']; '' or '$' -> []; a last part # is the
    number of items of the list there ('books.#'). Raises ValueError."""
    text = path.strip()
    if text in ("", "$"):
        return []
    text = text[2:] if text.startswith("$.") else text
    out: list[str | int] = []
    for part in text.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", part)
        if not m or (not m.group(1) and not m.group(2)):
            raise ValueError(f"{path!r} is not a path like items[0].name")
        if m.group(1):
            out.append(int(m.group(1)) if m.group(1).isdigit() else m.group(1))
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    if COUNT in out[:-1]:
        raise ValueError(f"{path!r}: # (the number of items) can only be the last part")
    return out


COUNT = "#"


def show_path(tokens: list[str | int]) -> str:
    if tokens and tokens[-1] == COUNT:
        return f"the number of items in {show_path(tokens[:-1])}"
    text = ""
    for t in tokens:
        text += f"[{t}]" if isinstance(t, int) else (f".{t}" if text else t)
    return text or "the top level"


def json_at(data: Any, path: str) -> tuple[bool, Any, str]:
    """(found, value, where it stopped) at a path in a JSON value."""
    current = data
    tokens = parse_path(path)
    for i, token in enumerate(tokens):
        if isinstance(token, int) and isinstance(current, list):
            if token >= len(current):
                return False, None, f"{show_path(tokens[:i])} has {len(current)} item{'s' if len(current) != 1 else ''}"
            current = current[token]
        elif isinstance(current, dict) and str(token) in current:
            current = current[str(token)]
        elif token == COUNT:
            if not isinstance(current, list):
                return False, None, f"{show_path(tokens[:i])} is {_json_type(current)}, not a list"
            current = len(current)
        else:
            kind = "an object without it" if isinstance(current, dict) else f"{_json_type(current)} there"
            return False, None, f"{show_path(tokens[:i])} is {kind}"
    return True, current, ""


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1, and lists compare in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b and type(a) in (int, float, str, type(None)) and type(b) in (int, float, str, type(None))


def json_problem(data: Any, equals: dict[str, Any], schema: dict | None) -> str | None:
    """None when the values at the paths equal `equals` and the data fits `schema`; else what is wrong."""
    for path, expected in equals.items():
        found, value, stopped = json_at(data, path)
        where = show_path(parse_path(path))
        if not found:
            tokens = parse_path(path)
            if tokens and tokens[-1] == COUNT:
                return f"the JSON has no list at {show_path(tokens[:-1])} to count ({stopped})"
            return f"the JSON has no {where} ({stopped})"
        if not json_equal(value, expected):
            if where.startswith("the number of items"):
                return f"{where} is {value}; expected {json.dumps(expected)}"
            return f"the JSON at {where} is {_cut(json.dumps(value))}; expected {_cut(json.dumps(expected))}"
    if schema is not None:
        from jsonschema import exceptions, validators

        errors = list(validators.validator_for(schema)(schema).iter_errors(data))
        if errors:
            # The first failing place in the document, and the most telling of its errors.
            error = exceptions.best_match(e for e in errors if e.absolute_path == errors[0].absolute_path)
            where = show_path(list(error.absolute_path))
            return f"the JSON does not fit the schema at {where}: {_schema_message(error)}"
    return None


def _schema_message(error) -> str:
    """jsonschema's message, without pasting a whole list or object into it."""
    value, limit = error.instance, error.validator_value
    if error.validator in ("maxItems", "minItems") and isinstance(value, list):
        most = "at most" if error.validator == "maxItems" else "at least"
        return f"it has {len(value)} item{'s' if len(value) != 1 else ''}; expected {most} {limit}"
    if error.validator in ("maxProperties", "minProperties") and isinstance(value, dict):
        most = "at most" if error.validator == "maxProperties" else "at least"
        return f"it has {len(value)} keys; expected {most} {limit}"
    message = error.message
    return message if len(message) <= 200 else message[:200] + "..."


def median_ms(seconds: list[float]) -> int:
    return round(statistics.median(seconds) * 1000)


def parse_json(response) -> tuple[Any, str | None]:
    try:
        return response.json(), None
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        return None, f"it did not answer with JSON ({kind}): {show_body(response, 120)!r}"


def _schema(value: dict | None) -> dict | None:
    if value is not None:
        from jsonschema import exceptions, validators

        try:
            validators.validator_for(value).check_schema(value)
        except exceptions.SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
    return value


# ---- http.json ----------------------------------------------------------------------------------

@register("http.json")
class Json(OneRequest):
    equals: dict[str, Any] = Field(default_factory=dict, description="{json.path: expected value}, e.g. items[0].name")
    json_schema: dict[str, Any] | None = Field(None, alias="schema", description="A JSON Schema the body must fit.")
    status: int | list[int] | None = None
    explain: str | None = Field(None, description="A JSON path whose text, when the check fails, is the whole message "
                                                  "(for a lab service that explains what is missing).")

    @field_validator("equals")
    @classmethod
    def _paths(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            parse_path(path)
        return value

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict | None) -> dict | None:
        return _schema(value)

    @field_validator("explain")
    @classmethod
    def _explain_path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)
        return value

    @model_validator(mode="after")
    def _something(self) -> "Json":
        if not self.equals and self.json_schema is None:
            raise ValueError("give equals, schema, or both")
        return self

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} answers the expected JSON"

    def run(self, ctx: CheckContext) -> Outcome:
        response, url, evidence, no_answer = self.exchange(ctx)
        if no_answer is not None:
            return no_answer
        problem = status_problem(response, self.status)
        data, not_json = (None, None) if problem else parse_json(response)
        problem = problem or not_json or json_problem(data, self.equals, self.json_schema)
        if problem and self.explain is not None and data is not None:
            found, said, _ = json_at(data, self.explain)
            if found and isinstance(said, str) and said.strip():
                return failed(said.strip(), expected=self.equals or self.json_schema, found=data, evidence=evidence)
        if problem:
            return failed(f"{self.method} {url}: {problem}. Try it: {evidence}", expected=self.equals or self.json_schema,
                          found=data if data is not None else show_body(response), evidence=evidence)
        return passed(f"{self.method} {url} answered the expected JSON", evidence=evidence)


# ---- http.body ----------------------------------------------------------------------------------

@register("http.body")
class Body(OneRequest):
    """The response's text (HTML, plain text) contains what it must, and not what it must not."""

    contains: list[str] = Field(default_factory=list, description="Text the body must contain (exact case).")
    not_contains: list[str] = Field(default_factory=list, description="Text the body must not contain.")
    matches: str | None = Field(None, description="A regular expression the body must contain a match of.")
    status: int | list[int] | None = None

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regex {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _something(self) -> "Body":
        if not self.contains and not self.not_contains and self.matches is None:
            raise ValueError("give contains, not_contains or matches")
        return self

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} answers the expected text"

    def run(self, ctx: CheckContext) -> Outcome:
        response, url, evidence, no_answer = self.exchange(ctx)
        if no_answer is not None:
            return no_answer
        problem = status_problem(response, self.status)
        text = response.text
        if not problem:
            missing = next((t for t in self.contains if t not in text), None)
            unwanted = next((t for t in self.not_contains if t in text), None)
            if missing is not None:
                problem = f"the body does not contain {missing!r}"
            elif unwanted is not None:
                problem = f"the body contains {unwanted!r}, and it must not"
            elif self.matches is not None and not re.search(self.matches, text):
                problem = f"nothing in the body matches /{self.matches}/"
        if problem:
            return failed(f"{self.method} {url}: {problem}. It answered: {show_body(response, 200)!r}. Try it: {evidence}",
                          expected={"contains": self.contains, "not_contains": self.not_contains,
                                    "matches": self.matches}, found=show_body(response), evidence=evidence)
        return passed(f"{self.method} {url} answered the expected text", evidence=evidence)


# ---- http.response_time -------------------------------------------------------------------------

@register("http.response_time")
class ResponseTime(OneRequest):
    max_ms: int = Field(gt=0, le=60_000)
    samples: int = Field(3, ge=1, le=20, description="Requests made; the median is compared with max_ms.")

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} answers within {self.max_ms} ms"

    def run(self, ctx: CheckContext) -> Outcome:
        budget = self.timeout or ctx.timeout
        deadline = time.monotonic() + budget
        times: list[float] = []
        url = self.url or ""
        session = self.session()
        try:
            for _ in range(self.samples):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                response, url, elapsed = self.send(ctx, session, self, timeout=left)
                if response is None:
                    if times:  # it answered before: the budget ran out on a slow request
                        break
                    return failed(f"{elapsed}. Try it: {self.evidence(self, url)}", evidence=self.evidence(self, url))
                if response.status_code >= 500:
                    return failed(f"{self.method} {url}: it answered {response.status_code}, a server error. "
                                  f"Try it: {self.evidence(self, url)}",
                                  found={"status": response.status_code, "body": show_body(response)},
                                  evidence=self.evidence(self, url))
                times.append(elapsed)
        finally:
            session.close()
        evidence = self.evidence(self, url)
        found = [round(t * 1000) for t in times]
        if len(times) < self.samples:
            return failed(f"{self.method} {url}: {len(times)} of {self.samples} requests were done within "
                          f"{budget:g}s; the app is far slower than {self.max_ms} ms. Try it: {evidence}",
                          expected=f"median <= {self.max_ms} ms", found=found, evidence=evidence)
        median = median_ms(times)
        if median > self.max_ms:
            return failed(f"{self.method} {url}: median response time {median} ms over {len(times)} requests; "
                          f"expected at most {self.max_ms} ms. Try it: {evidence}",
                          expected=f"median <= {self.max_ms} ms", found=found, evidence=evidence)
        return passed(f"{self.method} {url}: median response time {median} ms (at most {self.max_ms} ms)", evidence=evidence)
