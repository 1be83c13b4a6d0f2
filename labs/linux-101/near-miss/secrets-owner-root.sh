# Mode 600, but still owned by root: deploy cannot read its own secrets.
set -eu
chmod 600 /srv/app/secrets.env
install -d -g web -m 2775 /srv/shared
