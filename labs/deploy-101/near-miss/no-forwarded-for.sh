# Near miss: the proxy passes the Host header but sets no X-Forwarded-For.
set -eu
cat > /etc/nginx/sites-available/hello-app <<'SITE'
server {
    listen 80 default_server;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host $http_host;
    }
}
SITE
rm -f /etc/nginx/sites-enabled/default
ln -s /etc/nginx/sites-available/hello-app /etc/nginx/sites-enabled/hello-app
nginx -t
systemctl start nginx
