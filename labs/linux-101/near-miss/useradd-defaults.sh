# useradd with only the group: no home folder, and Debian's default login shell /bin/sh.
set -eu
groupadd web
useradd -G web deploy
