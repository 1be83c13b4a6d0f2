# Near miss: X-Forwarded-For is passed, the Host header is not (nginx sends 127.0.0.1:8000).
set -eu
cat > /etc/nginx/sites-available/hello-app <<'SITE'
server {
    listen 80 default_server;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
SITE
rm -f /etc/nginx/sites-enabled/default
ln -s /etc/nginx/sites-available/hello-app /etc/nginx/sites-enabled/hello-app
nginx -t
systemctl start nginx
