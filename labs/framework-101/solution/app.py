"""framework-101 reference solution: the Bookshelf API, written with Python's standard library only.

A real framework (Flask, Express, Spring Boot, Laravel...) gives you routing, middleware and error
handlers for free. This file builds tiny versions of each, so that you can read how they fit together:

    ROUTES       a table of (method, path pattern, handler), filled by the @route decorator
    MIDDLEWARE   functions every request passes through before its handler (request id, API key)
    HttpError    raised by a handler; turned into an error response in one place (error_response)

It listens on $HOST:$PORT (127.0.0.1:8000 by default):

    python3 app.py                     # the finished app: all six tasks
    python3 app.py --upto routing      # the app as it stands after task 2 (tasks: health, routing,
                                       #   json-in, json-errors, middleware, html-view)

--bug NAME switches on one plausible mistake; the lab's self-test uses them to prove the checks catch it.
"""
from __future__ import annotations

import argparse
import html
import itertools
import json
import os
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TASKS = ["health", "routing", "json-in", "json-errors", "middleware", "html-view"]
BUGS = {
    "health-as-text": "GET /health sends its JSON text as text/plain",
    "ignore-limit": "GET /books ignores ?limit=",
    "typo-in-data": "one of the five books was copied with a wrong year (Neuromancer, 1983)",
    "not-in-id-order": "GET /books lists the books by title, not in id order",
    "limit-before-author": "GET /books cuts the list to ?limit= before it keeps the ?author= books",
    "author-substring": "?author= keeps the books whose author contains the name, not only the exact name",
    "author-ignore-case": "?author= compares names without regard to case",
    "year-as-string": "a book's year goes out as a string, not a number",
    "year-string-accepted": "POST /books turns a year sent as a string of digits into a number instead of refusing it",
    "year-bool-accepted": "POST /books takes true as a year (in Python, True is an int)",
    "empty-title-accepted": "POST /books takes an empty title",
    "title-not-string": "POST /books takes any title that is not empty, a number too, and stores it as text",
    "year-optional": "POST /books takes a book without a year",
    "stores-bad-book": "POST /books stores the book before it checks it, so a refused book is in the list anyway",
    "no-location": "POST /books answers 201 without a Location header",
    "negative-limit-accepted": "only ?limit=0 is refused: a negative limit is used as it is",
    "error-status-200": "a bad POST /books body gets its JSON error with status 200",
    "html-404": "an unknown route still gets the framework's default HTML 404 page",
    "no-request-id-on-errors": "X-Request-Id is only added to successful responses",
    "no-request-id-echo": "a request id sent by the client is replaced by a new one",
    "api-key-everywhere": "the API key is required on every route, not only /admin",
    "key-on-stats-only": "the API key guards GET /admin/stats only, not everything under /admin",
    "same-request-id": "one request id, made at start-up, goes on every response",
    "short-request-id": "request ids are a counter (1, 2, 3...), not unique ids of 8+ characters",
    "stats-constant": "GET /admin/stats always answers the five starting books",
    "escape-amp-only": "the page escapes & but not < (so a title can add markup, or a script)",
    "escape-no-amp": "the page escapes < and > but not &",
    "page-no-author": "the page shows the title but not the author and year",
    "page-unknown-200": "the page of an unknown book renders an empty page with 200",
    "unescaped-html": "the page pastes the title into the HTML as it is (string concatenation, no template)",
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--upto", choices=TASKS, default=TASKS[-1], help="enable the features of the tasks up to this one")
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a plausible mistake")
OPTIONS = parser.parse_args()


def done(task: str) -> bool:
    """Whether the app includes the feature of this task (so the self-test can run it task by task)."""
    return TASKS.index(task) <= TASKS.index(OPTIONS.upto)


def bug(name: str) -> bool:
    return name in OPTIONS.bug


API_KEY = "secret"

# The starting data, as the task text describes it. Kept in memory: a restart starts over.
BOOKS = {
    1: {"id": 1, "title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "year": 1968},
    2: {"id": 2, "title": "Dune", "author": "Frank Herbert", "year": 1965},
    3: {"id": 3, "title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "year": 1969},
    4: {"id": 4, "title": "Neuromancer", "author": "William Gibson", "year": 1984},
    5: {"id": 5, "title": "Pride & Prejudice", "author": "Jane Austen", "year": 1813},
}
if bug("typo-in-data"):
    BOOKS[4]["year"] = 1983


# ---- requests, responses, errors -----------------------------------------------------------------

class Request:
    def __init__(self, method: str, target: str, headers, body: bytes):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}  # ?a=1&a=2: the last
        self.headers = headers  # case-insensitive: headers.get("x-api-key") finds X-API-Key
        self.body = body
        self.params: dict[str, int | str] = {}  # path parameters, e.g. {"id": 3} for /books/3


class Response:
    def __init__(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = {"Content-Type": content_type, **(headers or {})}


def json_response(data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json", headers)


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), "text/html; charset=utf-8")


class HttpError(Exception):
    """Raised anywhere while handling a request; error_response() turns it into the answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


def error_response(status: int, message: str) -> Response:
    """Task 4: an API answers errors in JSON, {"error": "..."}, with the right status code."""
    if done("json-errors") and not (bug("html-404") and message == "no such route"):
        return json_response({"error": message}, status)
    # Before task 4: what a framework does out of the box, an HTML error page.
    reason = REASONS.get(status, "Error")
    return html_response(f"<!doctype html>\n<title>{status} {reason}</title>\n<h1>{reason}</h1>\n", status)


# ---- routing ------------------------------------------------------------------------------------

ROUTES: list[tuple[str, re.Pattern, object]] = []


def route(method: str, pattern: str, task: str):
    """@route("GET", "/books/<int:id>", task="routing"): register a handler (if its task is done).

    <int:name> matches digits and passes an int; <name> matches one path segment and passes a string."""
    def pattern_to_regex(match: re.Match) -> str:
        kind, name = match.group(1), match.group(2)
        return f"(?P<{name}>[0-9]+)" if kind == "int:" else f"(?P<{name}>[^/]+)"

    regex = re.compile("^" + re.sub(r"<(int:)?(\w+)>", pattern_to_regex, pattern) + "$")

    def register(handler):
        if done(task):
            ROUTES.append((method, regex, handler))
        return handler
    return register


def dispatch(request: Request) -> Response:
    """Find the route for the request and call its handler; no route for the path answers 404."""
    for method, regex, handler in ROUTES:
        match = regex.match(request.path)
        if match and method == request.method:
            request.params = {k: int(v) if v.isdigit() else v for k, v in match.groupdict().items()}
            return handler(request)
    raise HttpError(404, "no such route")


# ---- middleware (task 5) -----------------------------------------------------------------------
# Each middleware gets the request and `next_handler` (the rest of the chain) and returns the response.

def request_id_middleware(request: Request, next_handler) -> Response:
    """Every response carries X-Request-Id: the client's own, or a new unique one (a UUID)."""
    request_id = request.headers.get("X-Request-Id")
    if not request_id or bug("no-request-id-echo"):
        request_id = str(uuid.uuid4())
        if bug("same-request-id"):
            request_id = STARTUP_ID
        elif bug("short-request-id"):
            request_id = str(next(COUNTER))
    response = next_handler(request)
    if not (bug("no-request-id-on-errors") and response.status >= 400):
        response.headers["X-Request-Id"] = request_id
    return response


STARTUP_ID, COUNTER = str(uuid.uuid4()), itertools.count(1)  # for the bugs same-request-id, short-request-id


def api_key_middleware(request: Request, next_handler) -> Response:
    """/admin and everything under it needs the header X-API-Key: secret; without it, 401."""
    protected = request.path == "/admin" or request.path.startswith("/admin/") or bug("api-key-everywhere")
    if bug("key-on-stats-only"):
        protected = request.path == "/admin/stats"
    if protected and request.headers.get("X-API-Key") != API_KEY:
        return error_response(401, "missing or wrong X-API-Key header")
    return next_handler(request)


# Order matters: the request id comes first, so that even a 401 from the API key check carries one.
MIDDLEWARE = [request_id_middleware, api_key_middleware] if done("middleware") else []


def handle(request: Request) -> Response:
    """Run the request through the middleware, then the router; errors become error responses."""
    def endpoint(req: Request) -> Response:
        try:
            return dispatch(req)
        except HttpError as exc:
            return error_response(exc.status, exc.message)

    chain = endpoint
    for middleware in reversed(MIDDLEWARE):
        chain = (lambda mw, nxt: lambda req: mw(req, nxt))(middleware, chain)
    return chain(request)


# ---- the routes ---------------------------------------------------------------------------------

@route("GET", "/health", task="health")
def health(request: Request) -> Response:
    if bug("health-as-text"):
        return Response(200, b'{"status": "ok"}', "text/plain")
    return json_response({"status": "ok"})


def find_book(book_id) -> dict:
    book = BOOKS.get(book_id) if isinstance(book_id, int) else None
    if book is None:
        raise HttpError(404, f"no book with id {book_id}")
    return book


@route("GET", "/books", task="routing")
def list_books(request: Request) -> Response:
    """GET /books?author=...&limit=...: the books in id order, filtered by exact author, at most limit."""
    books = [BOOKS[i] for i in sorted(BOOKS)]
    if bug("not-in-id-order"):
        books.sort(key=lambda b: str(b["title"]))
    author = request.query.get("author")
    limit = request.query.get("limit")
    if limit is not None and not bug("ignore-limit"):
        if bug("negative-limit-accepted"):
            if not limit.lstrip("-").isdigit() or int(limit) == 0:
                raise HttpError(400, "limit must be a whole number other than 0")
        elif not limit.isdigit() or int(limit) < 1:
            raise HttpError(400, "limit must be a positive whole number")
        if bug("limit-before-author"):
            books = books[:int(limit)]
    if author is not None:  # filter first, then cut
        books = [b for b in books if same_author(b["author"], author)]
    if limit is not None and not bug("ignore-limit") and not bug("limit-before-author"):
        books = books[:int(limit)]
    return json_response({"books": [book_json(b) for b in books]})


def same_author(stored: str, asked: str) -> bool:
    if bug("author-substring"):
        return asked in stored
    if bug("author-ignore-case"):
        return stored.lower() == asked.lower()
    return stored == asked


def book_json(book: dict) -> dict:
    return dict(book, year=str(book["year"])) if bug("year-as-string") else book


@route("GET", "/books/<id>", task="routing")
def get_book(request: Request) -> Response:
    # <id>, not <int:id>: /books/abc reaches us too, and is a book that does not exist (404).
    return json_response(book_json(find_book(request.params["id"])))


@route("POST", "/books", task="json-in")
def create_book(request: Request) -> Response:
    """POST /books with {"title": ..., "author": ..., "year": ...}: 201, the book, and its Location."""
    problem = None
    try:
        data = json.loads(request.body or b"")
    except ValueError:
        data, problem = None, "the body is not valid JSON"
    if bug("stores-bad-book") and isinstance(data, dict):
        book_id = max(BOOKS) + 1
        BOOKS[book_id] = {"id": book_id, **{k: data.get(k) for k in ("title", "author", "year")}}
    if problem is None:
        problem = book_problem(data)
    if problem is not None:
        # Task 3 answers its own 400s in JSON (task 4 makes every other error JSON too).
        return json_response({"error": problem}, 200 if bug("error-status-200") else 400)
    book_id = max(BOOKS) + 1
    BOOKS[book_id] = {"id": book_id, "title": data["title"].strip(), "author": data["author"].strip(),
                      "year": int(data["year"])}
    headers = {} if bug("no-location") else {"Location": f"/books/{book_id}"}
    return json_response(book_json(BOOKS[book_id]), 201, headers=headers)


def book_problem(data) -> str | None:
    """What is wrong with a new book's JSON, or None."""
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    if bug("title-not-string") and data.get("title") not in (None, ""):
        data["title"] = str(data["title"])
    for field in ("title", "author"):
        if not isinstance(data.get(field), str) or not (data[field].strip() or bug("empty-title-accepted")):
            return f"{field} is required and must be a non-empty string"
    year = data.get("year")
    if bug("year-optional") and year is None:
        data["year"] = 0
        return None
    if bug("year-string-accepted") and isinstance(year, str) and year.isdigit():
        return None
    if bug("year-bool-accepted") and isinstance(year, bool):
        return None
    if not isinstance(year, int) or isinstance(year, bool):  # in Python, True is an int: not a year
        return "year is required and must be a whole number"
    return None


@route("GET", "/admin/stats", task="middleware")
def admin_stats(request: Request) -> Response:
    return json_response({"books": 5 if bug("stats-constant") else len(BOOKS)})


PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>{title} - Bookshelf</title></head>
<body>
  <h1>{title}</h1>
  <p>by {author}, {year}</p>
  <p><a href="/books/{id}">This book as JSON</a></p>
</body>
</html>
"""


@route("GET", "/books/<id>/page", task="html-view")
def book_page(request: Request) -> Response:
    """The server-rendered view: every value put into HTML is escaped (& becomes &amp;, < becomes &lt;)."""
    if bug("page-unknown-200") and request.params["id"] not in BOOKS:
        return html_response(PAGE.format(title="", author="", year="", id=""))
    book = find_book(request.params["id"])
    page = PAGE.replace("  <p>by {author}, {year}</p>\n", "") if bug("page-no-author") else PAGE
    if bug("unescaped-html"):
        return html_response(page.format(**{k: str(v) for k, v in book.items()}))
    if bug("escape-amp-only"):
        return html_response(page.format(**{k: str(v).replace("&", "&amp;") for k, v in book.items()}))
    if bug("escape-no-amp"):
        return html_response(page.format(**{k: str(v).replace("<", "&lt;").replace(">", "&gt;")
                                             for k, v in book.items()}))
    return html_response(page.format(**{k: html.escape(str(v)) for k, v in book.items()}))


# ---- the server ---------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, self.headers, self.rfile.read(length) if length else b"")
        try:
            response = handle(request)
        except Exception:  # a bug in a handler: 500, as a framework does, and keep serving
            response = error_response(500, "internal server error")
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, fmt, *args) -> None:
        pass  # quiet: the checks make many requests


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"Bookshelf API (up to task {OPTIONS.upto}) on http://{host}:{port}", flush=True)
    ThreadingHTTPServer((host, port), Handler).serve_forever()
