# Near miss: every push unpacked into the same folder: the previous release is overwritten in place
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
cat > /srv/git/app.git/hooks/post-receive <<'HOOK'
#!/bin/bash
set -eu
while read -r old new ref; do
  [ "$ref" = refs/heads/main ] || continue
  release=/srv/app/releases/live
  mkdir -p "$release"
  git archive "$new" | tar -x -C "$release"
  ln -sfn "$release" /srv/app/current
  sudo systemctl restart app
done
HOOK
chmod +x /srv/git/app.git/hooks/post-receive
AS_LEARNER
