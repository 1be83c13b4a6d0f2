# Reference solution, run as root in the box: what the learner writes over `labctl ssh`, as learner.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
cat > /srv/git/app.git/hooks/post-receive <<'HOOK'
#!/bin/bash
# Deploy every push to main into a new release folder, run its tests, and only when they pass switch
# current to it and restart the app.
set -eu
while read -r old new ref; do
  [ "$ref" = refs/heads/main ] || continue
  release=/srv/app/releases/$(date +%Y%m%d-%H%M%S)-${new:0:7}
  mkdir -p "$release"
  git archive "$new" | tar -x -C "$release"
  if ! (cd "$release" && python3 -m unittest); then
    echo "tests failed: $new is NOT deployed"
    rm -rf "$release"
    exit 1
  fi
  ln -sfn "$release" /srv/app/current
  sudo systemctl restart app
  echo "deployed $release"
done
HOOK
AS_LEARNER
