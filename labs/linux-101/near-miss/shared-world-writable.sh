# "Permission denied? Make it 777": setgid and group web, but anyone can write.
set -eu
chown deploy /srv/app/secrets.env
chmod 600 /srv/app/secrets.env
install -d -g web -m 2777 /srv/shared
