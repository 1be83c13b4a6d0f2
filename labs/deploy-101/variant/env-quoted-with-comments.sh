# Variant: the secret in double quotes after a comment; HOST and PORT left to the app's defaults (127.0.0.1:8000).
set -eu
install -m 600 -o hello -g hello /dev/null /etc/hello-app.env
{
  echo "# hello-app's settings, read by its systemd unit"
  echo "APP_SECRET=\"$(openssl rand -base64 30 | tr -d '/+=')\""
} > /etc/hello-app.env
