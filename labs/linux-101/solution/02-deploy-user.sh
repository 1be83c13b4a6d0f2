# Reference solution, run as root in the box.
set -eu
groupadd web
useradd --create-home --shell /bin/bash --groups web deploy
