# Variant: two instances of the app, blue on 8001 and green on 8002, behind an nginx upstream. The hook starts
# the idle one on the new release, waits until it answers, points nginx at it with a graceful reload, then
# stops the old one (and moves the enabled mark, so a reboot starts the one that serves).
set -eu
for color in blue:8001 green:8002; do
  sed -e "s/^Description=.*/Description=The shop app, ${color%%:*} instance/" \
      -e "s/^Environment=PORT=.*/Environment=PORT=${color##*:}/" \
      /etc/systemd/system/app.service > "/etc/systemd/system/app-${color%%:*}.service"
done
systemctl daemon-reload
systemctl disable app
systemctl stop app
systemctl enable app-blue
systemctl start app-blue
echo 'upstream app { server 127.0.0.1:8001; }' > /etc/nginx/conf.d/app-upstream.conf
chown learner /etc/nginx/conf.d/app-upstream.conf
sed -i 's|proxy_pass http://127.0.0.1:8001;|proxy_pass http://app;|' /etc/nginx/sites-available/app
systemctl reload nginx
for _ in $(seq 50); do curl -fs http://127.0.0.1/health >/dev/null && break; sleep 0.2; done
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
cat > /srv/git/app.git/hooks/post-receive <<'HOOK'
#!/bin/bash
set -eu
while read -r old new ref; do
  [ "$ref" = refs/heads/main ] || continue
  release=/srv/app/releases/$(date +%Y%m%d-%H%M%S)-${new:0:7}
  mkdir -p "$release"
  git archive "$new" | tar -x -C "$release"
  if ! (cd "$release" && python3 -m unittest); then
    echo "tests failed: not deployed"
    rm -rf "$release"
    exit 1
  fi
  if grep -q 8001 /etc/nginx/conf.d/app-upstream.conf; then live=blue idle=green port=8002; else live=green idle=blue port=8001; fi
  ln -sfn "$release" /srv/app/current
  sudo systemctl restart "app-$idle"
  up=no
  for _ in $(seq 50); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null; then up=yes; break; fi
    sleep 0.2
  done
  if [ $up = no ]; then echo "app-$idle did not start: nginx still sends to app-$live"; exit 1; fi
  echo "upstream app { server 127.0.0.1:$port; }" > /etc/nginx/conf.d/app-upstream.conf
  sudo systemctl reload nginx
  sudo systemctl enable "app-$idle"
  sudo systemctl disable "app-$live"
  sleep 1
  sudo systemctl stop "app-$live"
  echo "deployed $release on app-$idle"
done
HOOK
AS_LEARNER
