# Reference solution, run as root in the box (what the learner types after `sudo -i`).
set -eu
useradd --system --no-create-home --shell /usr/sbin/nologin hello
git clone -q /srv/git/hello-app.git /srv/hello-app
