"""Test app: POST /login makes a session (cookie sid), GET /me answers 200 with one. `app.py file` keeps the
sessions in sessions.json, so they survive a restart; `app.py memory` keeps them in memory only."""
import json
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

# In the workspace labctl gives (never the lab's own folder, where a self-test's app step runs), else here.
STORE = os.path.join(os.environ.get("LABCTL_WORKSPACE", "."), "sessions.json")
keep = sys.argv[1] == "file"
sessions = json.load(open(STORE)) if keep and os.path.exists(STORE) else {}


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def sid(self):
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "sid":
                return v

    def answer(self, code, cookie=None):
        self.send_response(code)
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        sid = secrets.token_hex(8)
        sessions[sid] = "ann"
        if keep:
            with open(STORE, "w") as handle:
                json.dump(sessions, handle)
        self.answer(200, f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")

    def do_GET(self):
        self.answer(200 if self.sid() in sessions else 401)


HTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"])), H).serve_forever()
