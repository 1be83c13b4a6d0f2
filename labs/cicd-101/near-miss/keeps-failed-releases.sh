# Near miss: the hook keeps the folder of a release whose tests failed, and the rollback (the reference's)
# goes back to the release listed before: the broken one, which never ran.
set -eu
sudo -u learner -H sed -i '/^    rm -rf "\$release"$/d' /srv/git/app.git/hooks/post-receive
if grep -q 'rm -rf' /srv/git/app.git/hooks/post-receive; then exit 1; fi
cat > /usr/local/bin/rollback <<'ROLLBACK'
#!/bin/bash
# Switch current back to the release before it, and reload the app. The newer release stays.
set -eu
now=$(basename "$(readlink /srv/app/current)")
previous=$(ls -1 /srv/app/releases | sort | awk -v now="$now" '$0 == now { print prev; exit } { prev = $0 }')
if [ -z "$previous" ]; then
  echo "no release before $now" >&2
  exit 1
fi
ln -sfn "/srv/app/releases/$previous" /srv/app/current
systemctl reload app
echo "rolled back from $now to $previous"
ROLLBACK
chmod 755 /usr/local/bin/rollback
