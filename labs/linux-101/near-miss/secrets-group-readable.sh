# Owned by deploy, but mode 640: its group can read the secrets too.
set -eu
chown deploy /srv/app/secrets.env
chmod 640 /srv/app/secrets.env
install -d -g web -m 2775 /srv/shared
