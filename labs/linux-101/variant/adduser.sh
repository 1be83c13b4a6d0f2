# Debian's friendlier adduser: it makes the home and gives /bin/bash; then adds deploy to web.
set -eu
addgroup web
adduser --disabled-password --gecos "" deploy
adduser deploy web
