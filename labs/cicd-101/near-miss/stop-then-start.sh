# Near miss: stops the app, then starts the new release: requests fail in between
set -eu
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
    echo "tests failed"
    rm -rf "$release"
    exit 1
  fi
  sudo systemctl stop app
  ln -sfn "$release" /srv/app/current
  sudo systemctl start app
done
HOOK
chmod +x /srv/git/app.git/hooks/post-receive
AS_LEARNER
