# Near miss: the reference proxy, but the app listens on every address (HOST=0.0.0.0), so it can be reached
# without nginx.
set -eu
sed -i 's/^HOST=.*/HOST=0.0.0.0/' /etc/hello-app.env
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
