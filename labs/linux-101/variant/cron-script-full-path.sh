# A script in ~/bin called by its full path, every minute written as */1.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
printf '#!/bin/sh\necho "$(date -u +%%FT%%TZ) alive" >> "$HOME/heartbeat.log"\n' > ~/bin/heartbeat
chmod +x ~/bin/heartbeat
echo '*/1 * * * * /home/deploy/bin/heartbeat' | crontab -
AS_DEPLOY
