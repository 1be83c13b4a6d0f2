"""framework-101, an accepted variant: the Bookshelf API written another way (WSGI, Python's standard
library only), spelling what the tasks leave open differently from solution/app.py.

    python3 app_wsgi.py --style STYLE     (listens on $HOST:$PORT, 127.0.0.1:8000 by default)

Every style is a complete, correct app; each changes what a learner may choose freely:
    plain     nothing special (the baseline of this variant)
    keys      JSON with other key orders, no spaces, "; charset=utf-8", extra keys in errors, and an
              absolute Location (http://host/books/6)
    ids       request ids of 32 hex digits (uuid4().hex), header names sent in lowercase
    markup    the page with attributes on the <h1>, the title indented on its own line, numeric
              character references (&#38; &#60;) and the author and year in a <dl> list
"""
from __future__ import annotations

import argparse
import json
import os
import uuid
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--style", choices=["plain", "keys", "ids", "markup"], default="plain")
STYLE = parser.parse_args().style

STATUS = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request", 401: "401 Unauthorized",
          404: "404 Not Found"}
shelf: list[dict] = [
    {"id": 1, "title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "year": 1968},
    {"id": 2, "title": "Dune", "author": "Frank Herbert", "year": 1965},
    {"id": 3, "title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "year": 1969},
    {"id": 4, "title": "Neuromancer", "author": "William Gibson", "year": 1984},
    {"id": 5, "title": "Pride & Prejudice", "author": "Jane Austen", "year": 1813},
]


class Answer(Exception):
    def __init__(self, status: int, body: bytes | dict | list, ctype: str = "application/json", headers=()):
        self.status, self.body, self.ctype, self.headers = status, body, ctype, list(headers)


def as_json(data) -> bytes:
    if STYLE == "keys":
        data = reorder(data)
        return json.dumps(data, separators=(",", ":")).encode()
    return json.dumps(data).encode()


def reorder(data):
    """Books with their keys in another order: author, year, title, id."""
    if isinstance(data, list):
        return [reorder(d) for d in data]
    if isinstance(data, dict):
        if set(data) == {"id", "title", "author", "year"}:
            return {k: data[k] for k in ("author", "year", "title", "id")}
        return {k: reorder(v) for k, v in reversed(list(data.items()))}
    return data


def error(status: int, message: str) -> Answer:
    body = {"error": message, "status": status} if STYLE == "keys" else {"error": message}
    return Answer(status, body)


def escape(text: str) -> str:
    if STYLE == "markup":  # numeric references are as good as named ones
        return text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page(book: dict) -> bytes:
    t, a, y = escape(book["title"]), escape(book["author"]), book["year"]
    if STYLE == "markup":
        return f"""<!DOCTYPE html>
<html lang="en">
  <head><meta charset="utf-8"><title>{t}</title></head>
  <body>
    <main>
      <h1 class="book-title" id="title">
        {t}
      </h1>
      <dl><dt>Author</dt><dd>{a}</dd><dt>Year</dt><dd>{y}</dd></dl>
    </main>
  </body>
</html>""".encode()
    return f"<!doctype html><title>{t}</title><h1>{t}</h1><p>{a} ({y})</p>".encode()


def find(raw: str) -> dict:
    book = next((b for b in shelf if str(b["id"]) == raw), None)
    if book is None:
        raise error(404, f"there is no book {raw}")
    return book


def route(method: str, path: str, query: dict, body: bytes, environ) -> Answer:
    parts = [p for p in path.split("/") if p]
    if path.startswith("/admin/") or path == "/admin":
        if environ.get("HTTP_X_API_KEY") != "secret":
            raise error(401, "an API key is needed here")
        if method == "GET" and parts == ["admin", "stats"]:
            return Answer(200, {"books": len(shelf)})
    if method == "GET" and parts == ["health"]:
        return Answer(200, {"status": "ok"})
    if parts[:1] == ["books"] and len(parts) == 1:
        if method == "POST":
            return create(body, environ)
        if method == "GET":
            books = [b for b in sorted(shelf, key=lambda b: b["id"])
                     if "author" not in query or b["author"] == query["author"]]
            if "limit" in query:
                n = query["limit"]
                if not (n.isascii() and n.isdigit()) or int(n) == 0:
                    raise error(400, "?limit= takes a whole number from 1 up")
                books = books[:int(n)]
            return Answer(200, {"books": books})
    if method == "GET" and parts[:1] == ["books"] and len(parts) == 2:
        return Answer(200, find(parts[1]))
    if method == "GET" and parts[:1] == ["books"] and len(parts) == 3 and parts[2] == "page":
        return Answer(200, page(find(parts[1])), "text/html")
    raise error(404, f"{method} {path}: no such route")


def create(body: bytes, environ) -> Answer:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise error(400, "send a JSON object")
    if not isinstance(data, dict):
        raise error(400, "send a JSON object")
    for name in ("title", "author"):
        if type(data.get(name)) is not str or data[name] == "":
            raise error(400, f"'{name}' must be a non-empty string")
    if type(data.get("year")) is not int:
        raise error(400, "'year' must be an integer")
    book = {"id": max(b["id"] for b in shelf) + 1, "title": data["title"], "author": data["author"],
            "year": data["year"]}
    shelf.append(book)
    where = f"/books/{book['id']}"
    if STYLE == "keys":
        where = f"http://{environ.get('HTTP_HOST', '127.0.0.1')}{where}"
    return Answer(201, book, headers=[("Location", where)])


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        answer = route(method, path, query, body, environ)
    except Answer as raised:
        answer = raised
    data = answer.body if isinstance(answer.body, bytes) else as_json(answer.body)
    ctype = answer.ctype + ("; charset=utf-8" if STYLE in ("keys", "markup") else "")
    rid = environ.get("HTTP_X_REQUEST_ID") or (uuid.uuid4().hex if STYLE == "ids" else str(uuid.uuid4()))
    names = str.lower if STYLE == "ids" else (lambda n: n)
    headers = [(names("Content-Type"), ctype), (names("X-Request-Id"), rid),
               (names("Content-Length"), str(len(data)))] + [(names(k), v) for k, v in answer.headers]
    start_response(STATUS[answer.status], headers)
    return [data]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"Bookshelf API variant ({STYLE}) on http://{host}:{port}", flush=True)
    make_server(host, port, app, handler_class=Quiet).serve_forever()
