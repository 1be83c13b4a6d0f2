# APP_ENV for every login (PAM reads /etc/environment); hello in ~/bin, made by root and given to deploy.
set -eu
echo 'APP_ENV=production' >> /etc/environment
install -d -o deploy -g deploy /home/deploy/bin
printf '#!/bin/sh\necho "hello from $APP_ENV"\n' > /home/deploy/bin/hello
chown deploy: /home/deploy/bin/hello
chmod 755 /home/deploy/bin/hello
