# Near miss: the right settings, but the file keeps the default mode of a new file (644: everyone can read it).
set -eu
printf 'APP_SECRET=%s\nHOST=127.0.0.1\nPORT=8000\n' "$(openssl rand -hex 24)" > /etc/hello-app.env
chown hello:hello /etc/hello-app.env
chmod 644 /etc/hello-app.env
