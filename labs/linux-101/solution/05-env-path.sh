# Reference solution, run as root in the box: deploy's own files, made as deploy.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
mkdir -p ~/bin
printf '#!/bin/sh\necho "hello from ${APP_ENV:-nowhere}"\n' > ~/bin/hello
chmod +x ~/bin/hello
echo 'export APP_ENV=production' >> ~/.profile
AS_DEPLOY
