# Read-only for its owner (0400), and a shared folder closed to others (2770), made in one install command.
set -eu
chown deploy:deploy /srv/app/secrets.env
chmod u=r,go= /srv/app/secrets.env
install -d -o root -g web -m 2770 /srv/shared
