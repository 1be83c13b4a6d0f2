# Variant: the learner's own app in another style the box carries (a WSGI app on Python's wsgiref, logging to
# stderr), keeping the given app's contract (/health with the secret's fingerprint, /whoami), in its own folder
# under /srv, run by the same unit name; then the reference proxy.
set -eu
install -d -m 755 /srv/own-app
cat > /srv/own-app/server.py <<'APP'
import hashlib
import json
import os
from wsgiref.simple_server import make_server

FINGERPRINT = hashlib.sha256(os.environ["APP_SECRET"].encode()).hexdigest()[:16]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    query = environ.get("QUERY_STRING", "")
    if path == "/health":
        data = {"status": "ok", "instance": FINGERPRINT}
    elif path == "/whoami":
        data = {"client": environ.get("REMOTE_ADDR"), "x_forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                "host": environ.get("HTTP_HOST"), "path": path + ("?" + query if query else "")}
    else:
        data = {"hello": "from my own app"}
    body = json.dumps(data).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


make_server(os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000")), app).serve_forever()
APP
sed -i 's|^ExecStart=.*|ExecStart=/usr/bin/python3 -u /srv/own-app/server.py|' /etc/systemd/system/hello-app.service
systemctl daemon-reload
systemctl restart hello-app
cat > /etc/nginx/sites-available/hello-app <<'SITE'
server {
    listen 80 default_server;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
SITE
rm -f /etc/nginx/sites-enabled/default
ln -s /etc/nginx/sites-available/hello-app /etc/nginx/sites-enabled/hello-app
nginx -t
systemctl start nginx
