# Reference solution, run as root in the box.
set -eu
chown deploy /srv/app/secrets.env
chmod 600 /srv/app/secrets.env
mkdir /srv/shared
chgrp web /srv/shared
chmod 2775 /srv/shared
