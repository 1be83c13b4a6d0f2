"""Near miss for task 7: the body is JSON text, but the server never says so (Content-Type: text/plain)."""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path == "/hello"
        body = json.dumps({"message": "hello"} if found else {"error": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Lab", "http-101")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
