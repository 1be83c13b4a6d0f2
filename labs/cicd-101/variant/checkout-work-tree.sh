# Variant: the release checked out with `git --work-tree=DIR checkout`, named by its commit only, and the app
# restarted with `systemctl try-restart`.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
cat > /srv/git/app.git/hooks/post-receive <<'HOOK'
#!/bin/bash
set -eu
while read -r old new ref; do
  if [ "$ref" != "refs/heads/main" ]; then
    continue
  fi
  release="/srv/app/releases/$new"
  mkdir "$release"
  git --work-tree="$release" checkout -f "$new" -- .
  ln -snf "$release" /srv/app/current
  sudo systemctl try-restart app.service
done
HOOK
chmod 755 /srv/git/app.git/hooks/post-receive
AS_LEARNER
