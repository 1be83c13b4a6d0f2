# Reference solution, run as root in the box: the app was enabled in task 3; nginx was only started.
set -eu
systemctl enable nginx
