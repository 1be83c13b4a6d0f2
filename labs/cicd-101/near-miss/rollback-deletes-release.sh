# Near miss: the rollback switches back and reloads, but deletes the release it leaves.
set -eu
cat > /usr/local/bin/rollback <<'ROLLBACK'
#!/bin/bash
set -eu
now=$(basename "$(readlink /srv/app/current)")
previous=$(ls -1 /srv/app/releases | sort | awk -v now="$now" '$0 == now { print prev; exit } { prev = $0 }')
[ -n "$previous" ] || { echo "no release before $now" >&2; exit 1; }
ln -sfn "/srv/app/releases/$previous" /srv/app/current
systemctl reload app
rm -rf "/srv/app/releases/$now"
ROLLBACK
chmod 755 /usr/local/bin/rollback
