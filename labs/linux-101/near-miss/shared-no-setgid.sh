# The folder belongs to web and the group can write, but without the setgid bit new files get their maker's group.
set -eu
chown deploy /srv/app/secrets.env
chmod 600 /srv/app/secrets.env
mkdir /srv/shared
chgrp web /srv/shared
chmod 775 /srv/shared
