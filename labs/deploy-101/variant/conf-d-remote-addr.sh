# Variant: the site in conf.d (no link needed) with the default site taken out, Host $host and
# X-Forwarded-For set to the client's address alone ($remote_addr): right for the first proxy in front of an app.
set -eu
cat > /etc/nginx/conf.d/hello-app.conf <<'SITE'
server {
    listen 80 default_server;
    server_name _;

    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
SITE
rm -f /etc/nginx/sites-enabled/default
nginx -t
systemctl enable --now nginx
