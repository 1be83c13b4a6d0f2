"""http-101 task 7, reference solution: a tiny HTTP server with Python's standard library only.

GET /hello answers 200, the headers Content-Type: application/json and X-Lab: http-101, and the JSON
{"message": "hello"}; every other path answers 404. It listens on $PORT (8000 by default).
"""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/hello":
            status, data = 200, {"message": "hello"}
        else:
            status, data = 404, {"error": "not found"}
        body = json.dumps(data).encode()
        self.send_response(status)                              # the status line: HTTP/1.0 200 OK
        self.send_header("Content-Type", "application/json")    # then the headers, one by one
        self.send_header("X-Lab", "http-101")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()                                      # an empty line: the body follows
        self.wfile.write(body)


port = int(os.environ.get("PORT", "8000"))
print(f"listening on http://127.0.0.1:{port}", flush=True)
HTTPServer(("127.0.0.1", port), Handler).serve_forever()
