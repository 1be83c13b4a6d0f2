# APP_ENV exported in a new ~/.bash_profile: bash then no longer reads ~/.profile, which put ~/bin on PATH.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
mkdir -p ~/bin
printf '#!/bin/sh\necho "hello from ${APP_ENV:-nowhere}"\n' > ~/bin/hello
chmod +x ~/bin/hello
echo 'export APP_ENV=production' > ~/.bash_profile
AS_DEPLOY
