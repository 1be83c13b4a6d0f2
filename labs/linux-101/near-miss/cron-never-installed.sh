# The crontab line written to a file in deploy's home, never installed with crontab.
set -eu
echo '* * * * * date -Is >> /home/deploy/heartbeat.log' | sudo -u deploy tee /home/deploy/heartbeat.cron >/dev/null
