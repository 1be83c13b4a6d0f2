# Variant: one server block for both ports with an `if ($scheme = http)` 308 redirect, and an EC P-256
# certificate whose only name is its CN (no subjectAltName).
set -eu
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=localhost" \
  -keyout /etc/ssl/private/site.key -out /etc/ssl/certs/site.pem
chmod 600 /etc/ssl/private/site.key
cat > /etc/nginx/sites-available/hello-app <<SITE
server {
    listen 80 default_server;
    listen 443 ssl default_server;
    ssl_certificate /etc/ssl/certs/site.pem;
    ssl_certificate_key /etc/ssl/private/site.key;

    if (\$scheme = http) {
        return 308 https://\$host:${LABCTL_PORT_443}\$request_uri;
    }
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
}
SITE
nginx -t
systemctl reload nginx
