# Near miss: nginx is enabled now, but the app's unit was disabled (it still runs: until the reboot).
set -eu
systemctl enable nginx
systemctl disable hello-app
