# Near miss: the redirect drops the port: a browser goes to port 443, which this machine does not reach.
set -eu
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout /etc/ssl/private/hello-app.key -out /etc/ssl/certs/hello-app.crt
cat > /etc/nginx/sites-available/hello-app <<SITE
server {
    listen 80 default_server;
    return 301 https://\$host\$request_uri;
}
server {
    listen 443 ssl default_server;
    ssl_certificate /etc/ssl/certs/hello-app.crt;
    ssl_certificate_key /etc/ssl/private/hello-app.key;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
}
SITE
nginx -t
systemctl reload nginx
