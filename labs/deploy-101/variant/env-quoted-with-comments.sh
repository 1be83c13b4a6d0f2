# Variant: every value in double quotes (systemd's EnvironmentFile removes them), a comment line, the lines in
# another order; the file made empty with its mode first, so the secret is never readable by others.
set -eu
install -m 600 -o hello -g hello /dev/null /etc/hello-app.env
{
  echo "# hello-app's settings, read by its systemd unit"
  echo 'PORT="8000"'
  echo 'HOST="127.0.0.1"'
  echo "APP_SECRET=\"$(openssl rand -base64 30 | tr -d '/+=')\""
} > /etc/hello-app.env
