# Near miss: runs the tests in the bare repository, where there is no code: 0 tests ran, OK
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
  if ! python3 -m unittest; then
    echo "tests failed"
    exit 1
  fi
  ln -sfn "$release" /srv/app/current
  sudo systemctl restart app
done
HOOK
chmod +x /srv/git/app.git/hooks/post-receive
AS_LEARNER
