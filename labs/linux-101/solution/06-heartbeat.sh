# Reference solution, run as root in the box: installs deploy's crontab (crontab -e does the same).
set -eu
echo '* * * * * date -Is >> /home/deploy/heartbeat.log' | crontab -u deploy -
