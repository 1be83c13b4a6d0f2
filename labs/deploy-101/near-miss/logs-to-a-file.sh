# Near miss: the reference proxy, but the app's output goes to a file of its own, not to its service's journal.
set -eu
sed -i 's|^ExecStart=.*|ExecStart=/bin/sh -c "exec /usr/bin/python3 /srv/hello-app/app.py >>/tmp/hello-app.log 2>\&1"|' \
  /etc/systemd/system/hello-app.service
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
