"""A tiny JSON app on $PORT: GET /hello answers {"greeting": "hi"} (or --greeting X)."""
import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", default="hi")
GREETING = parser.parse_args().greeting


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path == "/hello"
        body = json.dumps({"greeting": GREETING} if found else {"error": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
