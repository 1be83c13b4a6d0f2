# Near miss: switches current before the tests and only skips the restart when they fail: the broken release is what the app starts next time
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
  ln -sfn "$release" /srv/app/current
  if ! (cd "$release" && python3 -m unittest); then
    echo "tests failed: not restarted"
    exit 1
  fi
  sudo systemctl restart app
done
HOOK
chmod +x /srv/git/app.git/hooks/post-receive
AS_LEARNER
