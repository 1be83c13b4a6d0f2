"""Another right answer to http-101 task 7: HTTP/1.1 with keep-alive, header names in lowercase, a
charset in the Content-Type, the JSON written with other spacing, and a plain-text 404 for every
other path and method."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status: int, body: bytes, ctype: str, *extra) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.split("?")[0] == "/hello":
            self.answer(200, b'{ "message" : "hello" }\n', "application/json; charset=utf-8", ("x-lab", "http-101"))
        else:
            self.answer(404, b"not found\n", "text/plain; charset=utf-8")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
