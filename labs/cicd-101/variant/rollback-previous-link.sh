# Variant: the hook keeps a `previous` symlink next to `current`; the rollback swaps the two and reloads.
set -eu
sudo -u learner -H sed -i 's|^  ln -sfn "\$release" /srv/app/current$|  ln -sfn "$(readlink /srv/app/current)" /srv/app/previous\n  ln -sfn "$release" /srv/app/current|' \
  /srv/git/app.git/hooks/post-receive
grep -q /srv/app/previous /srv/git/app.git/hooks/post-receive
cat > /usr/local/bin/rollback <<'ROLLBACK'
#!/bin/bash
set -eu
cd /srv/app
if [ ! -L previous ]; then
  echo "nothing to roll back to: no /srv/app/previous" >&2
  exit 1
fi
back=$(readlink previous)
ln -sfn "$(readlink current)" previous
ln -sfn "$back" current
systemctl reload app
ROLLBACK
chmod 755 /usr/local/bin/rollback
