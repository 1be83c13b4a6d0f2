# Reference solution, run as root in the box.
set -eu
printf 'APP_SECRET=%s\n' "$(openssl rand -hex 24)" > /etc/hello-app.env
echo "HOST=127.0.0.1" >> /etc/hello-app.env
echo "PORT=8000" >> /etc/hello-app.env
chown hello:hello /etc/hello-app.env
chmod 600 /etc/hello-app.env
