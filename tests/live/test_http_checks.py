"""HTTP check family (checks/http.py) against a real HTTP server on 127.0.0.1, run in a thread.

No container is involved, so these tests are not marked live: they run wherever pytest runs.
"""
from __future__ import annotations

import json
import socket
import time

import pydantic
import pytest

from labctl.check_engine import registry
from labctl.core.access import ServiceAccess
from tests.servers import AppHandler, base_url, serving
from tests.check_runs import run_entry


BOOKS: dict[int, dict] = {}  # books the probe checks add (POST .../books)


class Handler(AppHandler):
    """The routes a learner's app might have: JSON, headers, a login with a cookie, a slow page, redirects."""

    def _send(self, status: int, body: str | dict | list = "", *, content_type: str | None = None, headers=()) -> None:
        self.answer(status, body, content_type=content_type, headers=headers)

    def _body(self):
        return self.json_body()

    def do_GET(self) -> None:
        routes = {
            "/health": lambda: self._send(200, "ok"),
            "/api/books": lambda: self._send(200, {"count": 2, "items": [{"id": 1, "title": "Dune", "year": 1965},
                                                                          {"id": 2, "title": "Emma", "year": 1815}]},
                                             headers=[("X-Request-Id", "req-1234"), ("Cache-Control", "no-store")]),
            "/html": lambda: self._send(200, "<html><body>hello</body></html>", content_type="text/html",
                                        headers=[("X-Powered-By", "Express")]),
            "/slow": lambda: (time.sleep(0.25), self._send(200, "slow")),
            "/redirect": lambda: self._send(302, "", headers=[("Location", "/health")]),
            "/away": lambda: self._send(302, "", headers=[("Location", "http://example.com/")]),
            "/me": self._me,
        }
        if self.path.startswith(("/good/", "/bad/", "/amp/", "/rid/")):
            return self._probe_routes()
        routes.get(self.path, lambda: self._send(404, {"error": "not found"}))()

    # An app for the probe checks: /good/ escapes a page's title, /bad/ pastes it as it is, /amp/
    # escapes only &; /rid/fresh gives a new request id each time, /rid/same always the same one.
    def _probe_routes(self) -> None:
        import html
        import uuid

        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[0] == "rid":
            rid = self.headers.get("X-Request-Id") or (str(uuid.uuid4()) if parts[1] == "fresh" else "always-the-same")
            return self._send(200, {"ok": True}, headers=[("X-Request-Id", rid)])
        if len(parts) == 4 and parts[1] == "books" and parts[3] == "page" and parts[2].isdigit() and int(parts[2]) in BOOKS:
            book = BOOKS[int(parts[2])]
            escape = {"good": html.escape, "bad": str, "amp": lambda t: t.replace("&", "&amp;")}[parts[0]]
            page = (f'<!doctype html><html><head><title>{escape(book["title"])}</title></head><body>\n'
                    f'  <h1 class="title">\n    {escape(book["title"])}\n  </h1>\n'
                    f'  <p>by <b>{escape(book["author"])}</b></p></body></html>')
            return self._send(200, page, content_type="text/html; charset=utf-8")
        self._send(404, {"error": "not found"})

    def _me(self) -> None:
        if "session=tok-ann" in (self.headers.get("Cookie") or ""):
            self._send(200, {"user": "ann", "roles": ["reader"]})
        else:
            self._send(401, {"error": "log in first"})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/login":
            if body == {"user": "ann", "password": "pw"}:
                self._send(200, {"ok": True}, headers=[("Set-Cookie", "session=tok-ann; Path=/; HttpOnly")])
            else:
                self._send(401, {"error": "bad credentials"})
        elif self.path.endswith("/books") and isinstance(body, dict):
            book_id = len(BOOKS) + 1
            BOOKS[book_id] = body
            self._send(201, dict(body, id=book_id), headers=[("Location", f"/books/{book_id}")])
        elif self.path == "/echo":
            self._send(201, {"got": body})
        else:
            self._send(404, {"error": "not found"})


@pytest.fixture(scope="module")
def server():
    with serving(Handler) as httpd:
        yield base_url(httpd), httpd.server_address[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def run_check(tmp_path, server):
    """run_check({"type": ..., ...}, services=...) -> CheckResult, through the real runner."""

    def run(entry: dict, *, services=None, timeout: float = 5, env=None):
        return run_entry(entry, tmp_path, timeout=timeout, services=services, env=env or {})

    return run


def web_service(port: int) -> dict[str, ServiceAccess]:
    """A lab service called web whose container port 80 is published on `port`."""
    return {"web": ServiceAccess("web", "http", "127.0.0.1", {80: port}, {}, 80)}


def status(result) -> str:
    return result.status.value


def said(result) -> str:
    """A failure's message without its curl line, which every failure about a request must end with."""
    message, sep, curl = result.message.rpartition(". Try it: curl ")
    assert sep and curl, f"no curl line to paste in {result.message!r}"
    return message


# ---- http.status --------------------------------------------------------------------------------

def test_status_passes(server, run_check):
    result = run_check({"type": "http.status", "url": f"{server[0]}/health"})
    assert status(result) == "passed", result.message
    assert result.message == f"GET {server[0]}/health answered 200"


def test_status_fails_with_expected_and_found(server, run_check):
    result = run_check({"type": "http.status", "url": server[0], "path": "/nope", "status": [200, 204]})
    assert status(result) == "failed"
    assert said(result) == f"GET {server[0]}/nope: it answered 404; expected 200 or 204"
    assert result.found["status"] == 404 and "not found" in result.found["body"]


def test_status_posts_json(server, run_check):
    result = run_check({"type": "http.status", "method": "post", "url": f"{server[0]}/echo", "json": {"a": 1}, "status": 201})
    assert status(result) == "passed", result.message


def test_status_does_not_follow_redirects_unless_asked(server, run_check):
    assert status(run_check({"type": "http.status", "url": f"{server[0]}/redirect", "status": 302})) == "passed"
    result = run_check({"type": "http.status", "url": f"{server[0]}/redirect", "follow_redirects": True})
    assert status(result) == "passed", result.message
    assert result.message.endswith("/health answered 200")


def test_status_never_follows_a_redirect_off_the_machine(server, run_check):
    result = run_check({"type": "http.status", "url": f"{server[0]}/away", "follow_redirects": True})
    assert status(result) == "failed"
    assert "redirects to http://example.com/, off this machine" in result.message


def test_status_learners_app_not_running_is_a_failure_saying_start_it(closed_port, run_check):
    url = f"http://127.0.0.1:{closed_port}/health"
    result = run_check({"type": "http.status", "url": url})
    assert status(result) == "failed"
    assert said(result) == f"nothing is answering at {url}: is your app running? Start it, then check again"


def test_status_on_a_lab_service_by_path(server, run_check):
    result = run_check({"type": "http.status", "service": "web", "path": "/health"}, services=web_service(server[1]))
    assert status(result) == "passed", result.message
    assert result.evidence == f"curl -i http://127.0.0.1:{server[1]}/health"


def test_status_lab_service_down_is_an_error_not_a_failure(closed_port, run_check):
    result = run_check({"type": "http.status", "service": "web", "path": "/health"}, services=web_service(closed_port))
    assert status(result) == "error"
    assert result.message.startswith(f"the web service is not answering: nothing is answering at http://127.0.0.1:{closed_port}/health")


def test_status_unknown_container_port_is_an_error(server, run_check):
    result = run_check({"type": "http.status", "service": "web", "port": 8080}, services=web_service(server[1]))
    assert status(result) == "error"
    assert result.message == "service web publishes no port 8080"


# ---- http.headers -------------------------------------------------------------------------------

def test_headers_pass_with_exact_value_regex_and_case_insensitive_names(server, run_check):
    result = run_check({"type": "http.headers", "url": f"{server[0]}/api/books",
                        "expected": {"cache-control": "no-store", "X-REQUEST-ID": {"regex": r"^req-\d+$"},
                                     "X-Powered-By": {"absent": True}}})
    assert status(result) == "passed", result.message
    assert result.message.endswith("sends the expected headers")


def test_headers_fail_on_a_wrong_value(server, run_check):
    result = run_check({"type": "http.headers", "url": f"{server[0]}/api/books", "expected": {"Cache-Control": "no-cache"}})
    assert status(result) == "failed"
    assert said(result).endswith("the Cache-Control header is 'no-store'; expected 'no-cache'")


def test_headers_fail_on_a_missing_header_and_on_one_that_should_be_gone(server, run_check):
    result = run_check({"type": "http.headers", "url": f"{server[0]}/html", "expected": {"X-Request-Id": {"regex": "."}}})
    assert said(result).endswith("the response has no X-Request-Id header")
    result = run_check({"type": "http.headers", "url": f"{server[0]}/html", "expected": {"x-powered-by": {"absent": True}}})
    assert status(result) == "failed"
    assert said(result).endswith("the response has a x-powered-by header ('Express'); it should have none")


def test_headers_fail_on_a_regex_mismatch(server, run_check):
    result = run_check({"type": "http.headers", "url": f"{server[0]}/api/books", "expected": {"X-Request-Id": {"regex": "^id-"}}})
    assert status(result) == "failed"
    assert said(result).endswith("the X-Request-Id header is 'req-1234'; expected it to match /^id-/")


# ---- http.json ----------------------------------------------------------------------------------

BOOK_SCHEMA = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
    "type": "object", "required": ["id", "title"], "properties": {"id": {"type": "integer"}, "year": {"type": "string"}}}}}}


def test_json_passes_on_values_at_paths(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books",
                        "equals": {"count": 2, "items[1].title": "Emma", "items.0.year": 1965.0}})
    assert status(result) == "passed", result.message


def test_json_fails_naming_the_path_and_both_values(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "equals": {"items[0].title": "Emma"}})
    assert status(result) == "failed"
    assert said(result).endswith('the JSON at items[0].title is "Dune"; expected "Emma"')


def test_json_fails_on_a_missing_path(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "equals": {"items[5].title": "X"}})
    assert said(result).endswith("the JSON has no items[5].title (items has 2 items)")


def test_json_schema_passes_and_fails_naming_the_path(server, run_check):
    ok = {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}}
    assert status(run_check({"type": "http.json", "url": f"{server[0]}/api/books", "schema": ok})) == "passed"
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "schema": BOOK_SCHEMA})
    assert status(result) == "failed"
    assert said(result).endswith("the JSON does not fit the schema at items[0].year: 1965 is not of type 'string'")


def test_json_fails_when_the_answer_is_not_json(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/html", "equals": {"a": 1}})
    assert status(result) == "failed"
    assert "it did not answer with JSON (text/html)" in result.message


def test_json_checks_the_status_first(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/me", "status": 200, "equals": {"user": "ann"}})
    assert said(result).endswith("it answered 401; expected 200")


# ---- http.response_time -------------------------------------------------------------------------

def test_response_time_passes_and_reports_the_median(server, run_check):
    result = run_check({"type": "http.response_time", "url": f"{server[0]}/health", "max_ms": 2000})
    assert status(result) == "passed", result.message
    assert "median response time" in result.message and "(at most 2000 ms)" in result.message


def test_response_time_fails_on_a_slow_route(server, run_check):
    result = run_check({"type": "http.response_time", "url": f"{server[0]}/slow", "max_ms": 100, "samples": 2})
    assert status(result) == "failed"
    assert "median response time" in result.message and "over 2 requests; expected at most 100 ms" in result.message
    assert len(result.found) == 2 and all(ms >= 200 for ms in result.found)


def test_response_time_stops_when_the_budget_runs_out(server, run_check):
    result = run_check({"type": "http.response_time", "url": f"{server[0]}/slow", "max_ms": 50, "samples": 20},
                       timeout=0.6)
    assert status(result) == "failed"
    assert "of 20 requests were done within 0.6s" in result.message


# ---- http.sequence ------------------------------------------------------------------------------

LOGIN = {"method": "POST", "path": "/login", "json": {"user": "ann", "password": "pw"}, "status": 200}


def test_sequence_keeps_the_session_cookie_between_steps(server, run_check):
    result = run_check({"type": "http.sequence", "url": server[0],
                        "steps": [LOGIN, {"path": "/me", "status": 200, "equals": {"user": "ann", "roles[0]": "reader"}}]})
    assert status(result) == "passed", result.message
    assert result.message == "all 2 requests answered as expected"


def test_sequence_fails_naming_the_step(server, run_check):
    bad_login = dict(LOGIN, json={"user": "ann", "password": "nope"})
    result = run_check({"type": "http.sequence", "url": server[0], "steps": [bad_login, {"path": "/me", "status": 200}]})
    assert status(result) == "failed"
    assert said(result) == f"step 1 (POST {server[0]}/login): it answered 401; expected 200"


def test_sequence_fails_on_json_of_a_later_step(server, run_check):
    result = run_check({"type": "http.sequence", "url": server[0],
                        "steps": [LOGIN, {"path": "/me", "equals": {"user": "bob"}}]})
    assert status(result) == "failed"
    assert said(result) == f'step 2 (GET {server[0]}/me): the JSON at user is "ann"; expected "bob"'


# ---- validation when the lab loads ---------------------------------------------------------------

def family():
    from labctl.check_families.http import request

    return request


@pytest.mark.parametrize("params, words", [
    ({"url": "http://example.com/"}, "labs may only call 127.0.0.1, localhost, ::1"),
    ({"url": "http://10.0.0.5:8000/"}, "points at 10.0.0.5"),
    ({"url": "ftp://127.0.0.1/"}, "must start with http:// or https://"),
    ({"url": "http://127.0.0.1:99999/"}, "is not a valid URL"),
    ({"url": "http://127.0.0.1/", "service": "web"}, "only one of url, setting and service"),
    ({}, "give url"),
    ({"service": "web", "path": "health"}, "must start with a single /"),
    ({"service": "web", "path": "//example.com/x"}, "must start with a single /"),
    ({"url": "http://127.0.0.1/", "port": 80}, "port is for service"),
    ({"url": "http://127.0.0.1/", "method": "BREW"}, "method must be one of"),
    ({"url": "http://127.0.0.1/", "json": {}, "body": "x"}, "json or body, not both"),
])
def test_request_parameters_are_validated(params, words):
    with pytest.raises(pydantic.ValidationError) as info:
        family().Status.model_validate(params)
    assert words in str(info.value)


def test_loopback_hosts_are_accepted():
    for url in ("http://127.0.0.1:8000/x", "https://localhost/", "http://[::1]:8080/"):
        assert family().Status.model_validate({"url": url}).url == url


@pytest.mark.parametrize("type_name, params, words", [
    ("http.headers", {"expected": {"X": {"regex": "("}}}, "bad regex"),
    ("http.headers", {"expected": {"X": {"value": "a", "absent": True}}}, "give a value"),
    ("http.json", {}, "give equals, schema, or both"),
    ("http.json", {"equals": {"a..b": 1}}, "is not a path"),
    ("http.json", {"schema": {"type": "nonsense"}}, "not a valid JSON Schema"),
    ("http.response_time", {"max_ms": 100, "samples": 21}, "less than or equal to 20"),
    ("http.sequence", {"steps": []}, "at least 1 item"),
])
def test_expectations_are_validated(type_name, params, words):
    cls = registry.get(type_name)
    with pytest.raises(pydantic.ValidationError) as info:
        cls.model_validate({"url": "http://127.0.0.1:1/", **params})
    assert words in str(info.value)


def test_a_lab_with_an_off_machine_url_does_not_load(tmp_path):
    from labctl.core.errors import LabFileError
    from labctl.core.loader import LabLoader

    lab = tmp_path / "web-lab"
    (lab / "tasks").mkdir(parents=True)
    (lab / "tasks" / "t.md").write_text("# T\n")
    (lab / "lab.yaml").write_text(
        "id: web-lab\ntitle: Web\nstage: 2\nsummary: s\nminutes: 1\nservices: {}\n"
        "tasks:\n  - id: t\n    title: T\n    instructions: tasks/t.md\n    hints: [h]\n"
        "    checks:\n      - {type: http.status, url: 'http://example.com/'}\n"
        "    solution:\n      - {copy: tasks/t.md, to: t.md}\n")
    with pytest.raises(LabFileError) as info:
        LabLoader([tmp_path]).load("web-lab")
    assert "labs may only call 127.0.0.1" in str(info.value)


def test_json_paths():
    from labctl.check_families.http import body as http

    assert http.parse_path("items[0].name") == ["items", 0, "name"]
    assert http.parse_path("$.items.0.tags[1][2]") == ["items", 0, "tags", 1, 2]
    assert http.parse_path("$") == []
    assert http.json_at({"a": [{"b": None}]}, "a[0].b") == (True, None, "")
    assert http.json_at({"a": "text"}, "a.b")[2] == "a is a string there"
    assert http.json_equal(1, 1.0) and not http.json_equal(True, 1) and not http.json_equal([1, 2], [2, 1])


# ---- http.body ----------------------------------------------------------------------------------

def test_body_passes_on_contained_text(server, run_check):
    result = run_check({"type": "http.body", "url": f"{server[0]}/html", "status": 200,
                        "contains": ["<body>hello"], "not_contains": ["<script>"], "matches": r"<html>.*</html>"})
    assert status(result) == "passed", result.message


def test_body_fails_naming_the_missing_or_unwanted_text(server, run_check):
    missing = run_check({"type": "http.body", "url": f"{server[0]}/html", "contains": ["<h1>"]})
    assert status(missing) == "failed"
    assert "the body does not contain '<h1>'. It answered: '<html><body>hello</body></html>'" in missing.message
    unwanted = run_check({"type": "http.body", "url": f"{server[0]}/html", "not_contains": ["hello"]})
    assert "the body contains 'hello', and it must not" in unwanted.message
    regex = run_check({"type": "http.body", "url": f"{server[0]}/html", "matches": "<h1>.+</h1>"})
    assert "nothing in the body matches /<h1>.+</h1>/" in regex.message
    wrong_status = run_check({"type": "http.body", "url": f"{server[0]}/nope", "status": 200, "contains": ["x"]})
    assert "it answered 404; expected 200" in wrong_status.message


def test_schema_message_summarises_long_lists(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books",
                        "schema": {"type": "object", "properties": {"items": {"type": "array", "maxItems": 1}}}})
    assert said(result).endswith("the JSON does not fit the schema at items: it has 2 items; expected at most 1")


def test_json_explain_makes_the_services_reason_the_message(server, run_check):
    result = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "equals": {"count": 3}, "explain": "items[0].title"})
    assert status(result) == "failed" and result.message == "Dune"
    passing = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "equals": {"count": 2}, "explain": "items[0].title"})
    assert status(passing) == "passed"
    not_text = run_check({"type": "http.json", "url": f"{server[0]}/api/books", "equals": {"count": 3}, "explain": "count"})
    assert said(not_text).endswith("the JSON at count is 2; expected 3")


# ---- http.html ----------------------------------------------------------------------------------

PAGE_BOOK = {"method": "POST", "path": "/good/books", "json": {"title": "Pride & Prejudice", "author": "Jane Austen"},
             "status": 201, "save": {"id": "id"}}


def test_html_reads_the_page_as_a_browser_does(server, run_check):
    book = run_check({"type": "http.sequence", "url": server[0], "steps": [PAGE_BOOK]})
    assert status(book) == "passed", book.message
    book_id = len(BOOKS)
    # <h1 class="title"> with the title indented on its own line, &amp; for &: all fine.
    result = run_check({"type": "http.html", "url": f"{server[0]}/good/books/{book_id}/page", "status": 200,
                        "elements": {"H1": "Pride & Prejudice"}, "text_contains": ["by Jane Austen"]})
    assert status(result) == "passed", result.message


def test_html_fails_naming_what_a_browser_reads(server, run_check):
    run_check({"type": "http.sequence", "url": server[0], "steps": [PAGE_BOOK]})
    url = f"{server[0]}/good/books/{len(BOOKS)}/page"
    wrong = run_check({"type": "http.html", "url": url, "elements": {"h1": "Emma"}})
    assert status(wrong) == "failed"
    assert said(wrong) == f"GET {url}: no <h1> reads 'Emma': a browser reads 'Pride & Prejudice'"
    missing = run_check({"type": "http.html", "url": url, "elements": {"h2": "Emma"}})
    assert said(missing).endswith("the page has no <h2> element")
    hidden = run_check({"type": "http.html", "url": url, "text_contains": ["Jane Austen", "Pride & Prejudice</title>"]})
    assert said(hidden).endswith("the page's text does not show 'Pride & Prejudice</title>'")
    assert status(run_check({"type": "http.html", "url": f"{server[0]}/good/books/999/page", "status": 200,
                             "elements": {"h1": "x"}})) == "failed"


def test_html_validation():
    with pytest.raises(pydantic.ValidationError, match="give elements, text_contains, or both"):
        registry.get("http.html").model_validate({"url": "http://127.0.0.1:1/"})
    with pytest.raises(pydantic.ValidationError, match="is not a tag name"):
        registry.get("http.html").model_validate({"url": "http://127.0.0.1:1/", "elements": {"h1 .x": "a"}})


# ---- http.sequence: fresh values, saved values, distinct ------------------------------------------

ESCAPE_PROBE = {
    "type": "http.sequence",
    "let": {"word": "${random}", "author": "Author ${random}"},
    "steps": [
        {"method": "POST", "path": "/APP/books", "json": {"title": "<em>${word}</em> &lt;3 & co", "author": "${author}"},
         "what": "a new book whose title holds < and &", "status": 201, "save": {"id": "id"},
         "expected_headers": {"Location": {"regex": "^/books/${id}$"}}},
        {"path": "/APP/books/${id}/page", "what": "its page", "status": 200,
         "html": {"h1": "<em>${word}</em> &lt;3 & co"}, "text_contains": ["${author}"]},
    ],
}


def _probe(app: str) -> dict:
    return json.loads(json.dumps(ESCAPE_PROBE).replace("/APP/", f"/{app}/"))


def test_sequence_with_fresh_values_passes_on_an_escaping_page(server, run_check):
    result = run_check(dict(_probe("good"), url=server[0]))
    assert status(result) == "passed", result.message
    first = BOOKS[len(BOOKS)]
    assert first["title"].startswith("<em>") and first["author"].startswith("Author ")
    again = run_check(dict(_probe("good"), url=server[0]))
    assert status(again) == "passed", again.message
    second = BOOKS[len(BOOKS)]
    assert second is not first and second["title"] != first["title"], "each run draws new values"


def test_sequence_fails_on_a_page_that_does_not_escape(server, run_check):
    result = run_check(dict(_probe("bad"), url=server[0]))
    assert status(result) == "failed"
    assert said(result).startswith("step 2 (GET ")
    assert ", its page): a < in the text of the <h1> went into the HTML as it is" in result.message
    assert "Try it: curl -i http://127.0.0.1" in result.message


def test_sequence_fails_on_a_page_that_escapes_only_the_ampersand(server, run_check):
    result = run_check(dict(_probe("amp"), url=server[0]))
    assert status(result) == "failed"
    assert "a < in the text of the <h1> went into the HTML as it is" in result.message


def test_sequence_fills_saved_values_into_urls_encoded(server, run_check):
    result = run_check({"type": "http.sequence", "url": server[0], "let": {"who": "Ann ${random}"},
                        "steps": [{"path": "/api/books?author=${who}", "status": 200}]})
    assert status(result) == "failed"  # the test server has no such route: the curl line shows the URL sent
    assert "/api/books?author=Ann%20" in result.message


def test_sequence_distinct_catches_one_request_id_for_all(server, run_check):
    steps = [{"path": "/rid/APP", "save_header": {n: "X-Request-Id"}} for n in ("a", "b", "c")]
    fresh = run_check({"type": "http.sequence", "url": server[0], "distinct": ["a", "b", "c"],
                       "steps": json.loads(json.dumps(steps).replace("APP", "fresh"))})
    assert status(fresh) == "passed", fresh.message
    same = run_check({"type": "http.sequence", "url": server[0], "distinct": ["a", "b", "c"],
                      "steps": json.loads(json.dumps(steps).replace("APP", "same"))})
    assert status(same) == "failed"
    assert said(same) == ("the X-Request-Id header of step 2 repeats the one of step 1 ('always-the-same'); "
                          "each answer must get a new one")


def test_sequence_draws_a_fresh_value_where_a_step_sends_one(server, run_check):
    result = run_check({"type": "http.sequence", "url": server[0], "steps": [
        {"method": "POST", "path": "/good/books", "json": {"title": "T ${random}", "author": "A"}, "status": 201}]})
    assert status(result) == "passed", result.message
    assert BOOKS[len(BOOKS)]["title"].startswith("T ") and "$" not in BOOKS[len(BOOKS)]["title"]


def test_sequence_echo_of_a_fresh_header(server, run_check):
    check = {"type": "http.sequence", "url": server[0], "let": {"mine": "req-${random}"},
             "steps": [{"path": "/rid/same", "headers": {"X-Request-Id": "${mine}"},
                        "expected_headers": {"X-Request-Id": "${mine}"}}]}
    assert status(run_check(check)) == "passed"
    check["steps"][0]["path"] = "/api/books"  # a route that never echoes: req-1234
    result = run_check(check)
    assert status(result) == "failed" and "the X-Request-Id header is 'req-1234'; expected 'req-" in result.message


# A lab secret in let: the password of a user the app made from its environment (ADMIN_PASSWORD, say).
SECRET_LOGIN = {"type": "http.sequence", "let": {"password": "${secret:LOGIN_PASSWORD}", "who": "${random}"},
                "steps": [dict(LOGIN, json={"user": "ann", "password": "${password}"}),
                          {"path": "/me", "status": 200, "equals": {"user": "ann"}}]}


def test_sequence_logs_in_with_a_lab_secret(server, run_check):
    result = run_check(dict(SECRET_LOGIN, url=server[0]), env={"LOGIN_PASSWORD": "pw"})
    assert status(result) == "passed", result.message


def test_sequence_with_a_lab_secret_the_app_does_not_use_fails(server, run_check):
    result = run_check(dict(SECRET_LOGIN, url=server[0]), env={"LOGIN_PASSWORD": "not-what-the-app-has"})
    assert status(result) == "failed"
    assert said(result) == f"step 1 (POST {server[0]}/login): it answered 401; expected 200"


def test_sequence_with_a_secret_the_lab_lacks_is_an_error(server, run_check):
    result = run_check(dict(SECRET_LOGIN, url=server[0]), env={"DATABASE_URL": "postgresql://x"})
    assert status(result) == "error"
    assert result.message == "the lab has no secret LOGIN_PASSWORD: declare it under secrets: in lab.yaml"


@pytest.mark.parametrize("params, words", [
    ({"steps": [{"path": "/x/${nope}"}]}, "step 1: ${nope} is not defined before it is used"),
    ({"let": {"a": "${secret:admin}"}, "steps": [{"path": "/"}]}, "a lab secret's name is in capitals"),
    ({"steps": [{"path": "/x/${secret:ADMIN_PASSWORD}"}]}, "step 1: ${secret} is not defined"),
    ({"let": {"secret": "x"}, "steps": [{"path": "/"}]}, "let: secret is the name of a fresh value"),
    ({"steps": [{"path": "/x/${id}"}, {"path": "/y", "save": {"id": "id"}}]}, "step 1: ${id} is not defined"),
    ({"let": {"a": "${int:9-1}"}, "steps": [{"path": "/"}]}, "is not a fresh value"),
    ({"let": {"a": "${rand}"}, "steps": [{"path": "/"}]}, "${rand} is not defined"),
    ({"steps": [{"path": "/", "save": {"a": "id"}}], "distinct": ["a"]}, "distinct needs two or more names"),
    ({"steps": [{"path": "/", "save": {"a": "id"}}], "distinct": ["a", "b"]}, "distinct needs two or more names"),
    ({"steps": [{"path": "/", "save": {"a": "x..y"}}]}, "is not a path"),
    ({"let": {"random": "x"}, "steps": [{"path": "/"}]}, "let: random is the name of a fresh value"),
    ({"steps": [{"path": "/", "equals": {"a": "${random}"}}]}, "${random} would be a new value"),
])
def test_sequence_placeholders_are_validated(params, words):
    with pytest.raises(pydantic.ValidationError) as info:
        registry.get("http.sequence").model_validate({"url": "http://127.0.0.1:1/", **params})
    assert words in str(info.value)
