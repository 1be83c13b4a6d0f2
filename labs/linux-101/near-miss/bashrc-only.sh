# export APP_ENV in ~/.bashrc: read by interactive shells only, not by `su - deploy -c` or a service's script.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
mkdir -p ~/bin
printf '#!/bin/sh\necho "hello from ${APP_ENV:-nowhere}"\n' > ~/bin/hello
chmod +x ~/bin/hello
echo 'export APP_ENV=production' >> ~/.bashrc
AS_DEPLOY
