# Runs as root in the box (first start, and again on `labctl reset`): the app to deploy, as a bare repository
# the learner clones from. Rebuilt from scratch each time, so it is safe to run twice; nothing the learner
# deployed (/srv/hello-app, /etc, users) is touched.
#   /srv/git/hello-app.git    the app's repository, owned by root: `sudo git clone` works however root was reached
#                             (git refuses a repository of another user unless sudo says whose it is)
set -eu
rm -rf /srv/git/hello-app.git
install -d -m 755 /srv/git

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main hello-app
cd hello-app

cat > app.py <<'EOF'
#!/usr/bin/env python3
"""hello-app: a small web app to deploy behind nginx. Python's standard library only.

Settings come from the environment:
  HOST        the address to listen on (default 127.0.0.1)
  PORT        the port to listen on (default 8000)
  APP_SECRET  this installation's secret (required): /health shows a fingerprint of it, never the secret
Every request is logged as one line on standard output (with systemd: `journalctl -u UNIT`).
"""
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    server_version = "hello-app/1.0"

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/":
            self.answer(200, "text/plain; charset=utf-8", "Hello from hello-app!\n")
        elif path == "/health":
            self.answer_json({"status": "ok", "instance": self.server.fingerprint})
        elif path == "/whoami":
            self.answer_json({
                "client": self.client_address[0],                        # who connected to the app
                "x_forwarded_for": self.headers.get("X-Forwarded-For"),  # who the proxy says the client is
                "host": self.headers.get("Host"),
                "path": self.path,
            })
        else:
            self.answer(404, "text/plain; charset=utf-8", "Not found\n")

    def answer_json(self, data):
        self.answer(200, "application/json", json.dumps(data) + "\n")

    def answer(self, status, content_type, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        forwarded = self.headers.get("X-Forwarded-For") if hasattr(self, "headers") else None
        print(f"{self.client_address[0]} {format % args} forwarded-for={forwarded or '-'}", flush=True)


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    secret = os.environ.get("APP_SECRET", "")
    if not secret:
        print("hello-app: APP_SECRET is not set: put it in the app's environment file", file=sys.stderr, flush=True)
        sys.exit(1)
    server = ThreadingHTTPServer((host, port), Handler)
    server.fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:16]
    print(f"hello-app listening on http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
EOF
chmod 755 app.py

cat > README.md <<'EOF'
# hello-app

A small web app, written with Python's standard library only: no packages to install.

    APP_SECRET=something-long-and-random PORT=8000 HOST=127.0.0.1 python3 app.py

Settings (environment variables):

| name       | what                                                  | default   |
|------------|-------------------------------------------------------|-----------|
| HOST       | the address the app listens on                        | 127.0.0.1 |
| PORT       | the port the app listens on                           | 8000      |
| APP_SECRET | this installation's secret; the app refuses to start without it | (none) |

Pages:

- `/`        a greeting
- `/health`  `{"status": "ok", "instance": "..."}`: the instance is a fingerprint of APP_SECRET (never the secret)
- `/whoami`  what the app saw of your request: the address that connected to it (`client`), the
  `X-Forwarded-For` header a proxy added, the Host header and the path

Every request is logged as one line on standard output.
EOF

git add app.py README.md
GIT_AUTHOR_NAME="Robin Owner" GIT_AUTHOR_EMAIL=robin@hello.example GIT_COMMITTER_NAME="Robin Owner" \
GIT_COMMITTER_EMAIL=robin@hello.example GIT_AUTHOR_DATE=2024-05-01T09:00:00Z GIT_COMMITTER_DATE=2024-05-01T09:00:00Z \
  git commit -q -m "hello-app: a greeting, /health and /whoami"
git clone -q --bare . /srv/git/hello-app.git
