# APP_ENV=production in ~/.profile without export: the shell has it, the programs it starts do not.
set -eu
sudo -u deploy -H bash -s <<'AS_DEPLOY'
set -eu
mkdir -p ~/bin
printf '#!/bin/sh\necho "hello from ${APP_ENV:-nowhere}"\n' > ~/bin/hello
chmod +x ~/bin/hello
echo 'APP_ENV=production' >> ~/.profile
AS_DEPLOY
