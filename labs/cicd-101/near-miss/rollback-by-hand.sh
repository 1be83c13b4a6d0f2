# Near miss: the rollback stops the service and runs the previous release by hand; current still points to the
# newer one, so the next restart (or reboot) brings the rolled-back release back.
set -eu
cat > /usr/local/bin/rollback <<'ROLLBACK'
#!/bin/bash
set -eu
now=$(basename "$(readlink /srv/app/current)")
previous=$(ls -1 /srv/app/releases | sort | awk -v now="$now" '$0 == now { print prev; exit } { prev = $0 }')
[ -n "$previous" ] || { echo "no release before $now" >&2; exit 1; }
systemctl stop app
cd "/srv/app/releases/$previous"
PORT=8001 nohup setpriv --reuid=app --regid=app --clear-groups python3 "/srv/app/releases/$previous/app.py" >/dev/null 2>&1 &
ROLLBACK
chmod 755 /usr/local/bin/rollback
