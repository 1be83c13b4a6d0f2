"""Small HTTP apps for live tests of HTTP checks: a quiet threaded server on 127.0.0.1 and the plumbing of an
answer, so each test module writes only its routes."""
from __future__ import annotations

import json
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


class QuietServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1 that does not print a traceback when a check hangs up early (a check that
    gave up on a slow page closes its socket: that is expected)."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class AppHandler(BaseHTTPRequestHandler):
    """A request handler with no access log and one way to answer."""

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass

    def answer(self, status: int, body: str | bytes | dict | list | None = None, *, headers=(),
               content_type: str | None = None) -> None:
        """Send status, headers and body: JSON for a dict or list, else the text or bytes as they are."""
        if isinstance(body, (dict, list)):
            data, kind = json.dumps(body).encode(), content_type or "application/json"
        else:
            data = body.encode() if isinstance(body, str) else (body or b"")
            kind = content_type or ("text/plain" if body is not None else None)
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def json_body(self):
        """The request's JSON body (None when empty, the text when it is not JSON)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], server: type[ThreadingHTTPServer] = QuietServer,
            **attributes) -> Iterator[ThreadingHTTPServer]:
    """A server of `handler` on a free port of 127.0.0.1, running in a thread until the block ends; keyword
    arguments become attributes of the server (handlers read them as self.server.NAME)."""
    httpd = server(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(httpd, name, value)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def base_url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"
