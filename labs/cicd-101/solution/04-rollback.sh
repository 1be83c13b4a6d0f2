# Reference solution, run as root in the box: the rollback command (root writes to /usr/local/bin).
set -eu
cat > /usr/local/bin/rollback <<'ROLLBACK'
#!/bin/bash
# Switch current back to the release before it, and reload the app. The newer release stays.
set -eu
now=$(basename "$(readlink /srv/app/current)")
previous=$(ls -1 /srv/app/releases | sort | awk -v now="$now" '$0 == now { print prev; exit } { prev = $0 }')
[ -n "$previous" ] || { echo "no release before $now" >&2; exit 1; }
ln -sfn "/srv/app/releases/$previous" /srv/app/current
systemctl reload app
echo "rolled back from $now to $previous"
ROLLBACK
chmod 755 /usr/local/bin/rollback
