# Near miss: the proxy is right, but nginx answers /health itself, without asking the app.
set -eu
cat > /etc/nginx/sites-available/hello-app <<'SITE'
server {
    listen 80 default_server;
    location = /health {
        default_type application/json;
        return 200 '{"status": "ok"}';
    }
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
