# Runs as root in the box (first start, and again on `labctl reset`): the shop app's repository, its first
# release, its service and nginx in front of it, built from scratch, so it is safe to run twice.
#   /srv/git/app.git                 the bare repository the learner pushes to (owned by learner)
#   /srv/app/releases/<id>/          one folder per deployed commit; the first one made here
#   /srv/app/current -> releases/..  the release that runs
#   app.service                      runs /srv/app/current/app.py as the user app on 127.0.0.1:8001, enabled
#   nginx (enabled)                  port 80 -> 127.0.0.1:8001 (HTTP_URL on your computer)
set -eu

# Whatever ran the app before: the given service, extra app units a learner made, apps started by hand.
for unit in /etc/systemd/system/app*.service; do
  [ -e "$unit" ] || continue
  name=$(basename "$unit" .service)
  systemctl stop "$name" >/dev/null 2>&1 || true
  systemctl disable "$name" >/dev/null 2>&1 || true
  rm -f "$unit"
done
pkill -f '^[^ ]*python3 [^ ]*/srv/app/' || true
rm -rf /srv/git /srv/app /usr/local/bin/rollback /etc/nginx/sites-enabled/* /etc/nginx/sites-available/app
rm -f /etc/nginx/conf.d/app-*.conf /etc/sudoers.d/app-deploy

id app >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
install -d -o learner -g learner /srv/git /srv/app /srv/app/releases

sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main app
cd app
mkdir tests

cat > app.py <<'EOF'
"""The shop's web app: / greets, /version says which release runs, /health answers ok.

Started by app.service as `python3 app.py` in /srv/app/current (listens on 127.0.0.1:$PORT). It reads its
VERSION once, when it starts: a new release is served only once the app is restarted or reloaded.
`systemctl reload app` (SIGHUP) is a graceful reload: the app keeps its listening socket and starts the
release $APP_ROOT (/srv/app/current) points to then, in the same process, so no request is refused meanwhile.
"""
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = (HERE / "VERSION").read_text().strip()
PORT = int(os.environ.get("PORT", "8001"))


def greeting():
    return "Hello from the shop!"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        pages = {"/": greeting(), "/version": VERSION, "/health": "ok"}
        if self.path not in pages:
            self.send_error(404)
            return
        body = (pages[self.path] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def listening_socket():
    inherited = os.environ.pop("APP_LISTEN_FD", None)
    if inherited:
        return socket.socket(fileno=int(inherited))
    return socket.create_server(("127.0.0.1", PORT), backlog=128)


def main():
    reload_asked = []
    signal.signal(signal.SIGHUP, lambda *_: reload_asked.append(True))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    time.sleep(1)  # getting ready (loading data): a real app takes a while before it can serve
    sock = listening_socket()
    server = HTTPServer(("127.0.0.1", PORT), Handler, bind_and_activate=False)
    server.socket = sock
    server.timeout = 0.2
    print(f"release {VERSION} serving on 127.0.0.1:{PORT}", flush=True)
    while not reload_asked:
        server.handle_request()
    print(f"release {VERSION}: reloading", flush=True)
    os.set_inheritable(sock.fileno(), True)
    os.environ["APP_LISTEN_FD"] = str(sock.fileno())
    os.chdir(os.environ.get("APP_ROOT") or HERE)  # through the link: the release it points to now
    os.execv(sys.executable, [sys.executable, "app.py"])


if __name__ == "__main__":
    main()
EOF

echo "1.0" > VERSION
touch tests/__init__.py
cat > tests/test_app.py <<'EOF'
import threading
import unittest
import urllib.request
from http.server import HTTPServer

import app


class AppTest(unittest.TestCase):
    def test_greeting_names_the_shop(self):
        self.assertIn("shop", app.greeting())

    def test_version_is_set(self):
        self.assertTrue(app.VERSION)

    def test_health_answers_ok(self):
        server = HTTPServer(("127.0.0.1", 0), app.Handler)
        threading.Thread(target=server.handle_request, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/health"
        with urllib.request.urlopen(url, timeout=5) as answer:
            self.assertEqual(answer.read().decode().strip(), "ok")
        server.server_close()


if __name__ == "__main__":
    unittest.main()
EOF

printf '__pycache__/\n*.pyc\n' > .gitignore
cat > README.md <<'EOF'
# The shop app

`python3 app.py` serves on 127.0.0.1:8001 (or $PORT). Run the tests with `python3 -m unittest`.
Deployed by pushing to main: see the lab's tasks.
EOF
git add -A
GIT_AUTHOR_NAME="Robin Owner" GIT_AUTHOR_EMAIL=robin@shop.example GIT_COMMITTER_NAME="Robin Owner" \
GIT_COMMITTER_EMAIL=robin@shop.example GIT_AUTHOR_DATE=2024-03-01T09:00:00Z GIT_COMMITTER_DATE=2024-03-01T09:00:00Z \
  git commit -q -m "The shop app, version 1.0"

git init -q --bare -b main /srv/git/app.git
git push -q /srv/git/app.git main
sha=$(git rev-parse --short=7 HEAD)
release=/srv/app/releases/20240301-090000-$sha
mkdir "$release"
git archive HEAD | tar -x -C "$release"
ln -sfn "$release" /srv/app/current
AS_LEARNER

cat > /etc/systemd/system/app.service <<'EOF'
[Unit]
Description=The shop app (the release /srv/app/current points to)

[Service]
User=app
Group=app
WorkingDirectory=/srv/app/current
Environment=PORT=8001
Environment=APP_ROOT=/srv/app/current
ExecStart=/usr/bin/python3 app.py
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=1

[Install]
WantedBy=multi-user.target
EOF

cat > /etc/nginx/sites-available/app <<'EOF'
# The shop: everything on port 80 goes to the app on 127.0.0.1:8001.
server {
    listen 80 default_server;
    server_name _;

    location / {
        proxy_pass http://127.0.0.1:8001;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
EOF
ln -sfn /etc/nginx/sites-available/app /etc/nginx/sites-enabled/app

systemctl daemon-reload
systemctl enable app nginx >/dev/null
systemctl restart app
if systemctl is-active --quiet nginx; then systemctl reload nginx; else systemctl start nginx; fi
for _ in $(seq 50); do
  curl -fsS http://127.0.0.1/health >/dev/null 2>&1 && exit 0
  sleep 0.2
done
echo "the shop app did not come up behind nginx" >&2
systemctl status app >&2 || true
exit 1
