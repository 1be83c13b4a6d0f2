# A heartbeat script in ~/bin, called by name: it runs in deploy's login shell, but cron's PATH is /usr/bin:/bin.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
printf '#!/bin/sh\ndate -Is >> /home/deploy/heartbeat.log\n' > ~/bin/heartbeat
chmod +x ~/bin/heartbeat
echo '* * * * * heartbeat' | crontab -
AS_DEPLOY
