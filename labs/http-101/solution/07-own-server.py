"""http-101 task 7, reference solution: a tiny HTTP server with Python's standard library only.

GET /hello answers 200, the headers Content-Type: application/json and X-Lab: http-101, and the JSON
{"message": "hello"}; every other path answers 404. It listens on $PORT (8000 by default).

--bug NAME switches on one plausible mistake (the lab's self-test and mutants use them).
"""
import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

BUGS = {
    "always-200": "every path answers the hello JSON with 200",
    "only-example-404": "only /nothing-here, the example in the task, answers 404",
    "prefix-match": "every path that starts with /hello answers the hello JSON",
    "plain-text": "the JSON goes out labelled Content-Type: text/plain",
    "no-x-lab": "the X-Lab header is missing",
    "wrong-message": "the body is {\"message\": \"Hello\"}",
}
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="switch on a plausible mistake")
BUG = set(parser.parse_args().bug)


def is_hello(path: str) -> bool:
    if "always-200" in BUG:
        return True
    if "only-example-404" in BUG:
        return path != "/nothing-here"
    if "prefix-match" in BUG:
        return path.startswith("/hello")
    return path == "/hello"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if is_hello(self.path):
            status, data = 200, {"message": "Hello" if "wrong-message" in BUG else "hello"}
        else:
            status, data = 404, {"error": "not found"}
        body = json.dumps(data).encode()
        self.send_response(status)                              # the status line: HTTP/1.0 200 OK
        # then the headers, one by one
        self.send_header("Content-Type", "text/plain" if "plain-text" in BUG else "application/json")
        if "no-x-lab" not in BUG:
            self.send_header("X-Lab", "http-101")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()                                      # an empty line: the body follows
        self.wfile.write(body)


port = int(os.environ.get("PORT", "8000"))
print(f"listening on http://127.0.0.1:{port}", flush=True)
HTTPServer(("127.0.0.1", port), Handler).serve_forever()
