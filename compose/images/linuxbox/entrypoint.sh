#!/bin/sh
# Runs under tini (which reaps orphans): install the learner's key and the host key, then run the
# service manager in the foreground; it starts the enabled units.
set -eu

ssh_dir=/home/learner/.ssh
# A fresh named volume may be owned by root.
chown learner:learner /home/learner
install -d -m 700 -o learner -g learner "$ssh_dir"
if [ -n "${LABCTL_SSH_PUBLIC_KEY:-}" ]; then
  # Add labctl's key if it is missing; keys the learner added stay.
  touch "$ssh_dir/authorized_keys"
  grep -qxF "$LABCTL_SSH_PUBLIC_KEY" "$ssh_dir/authorized_keys" \
    || printf '%s\n' "$LABCTL_SSH_PUBLIC_KEY" >> "$ssh_dir/authorized_keys"
  chown learner:learner "$ssh_dir/authorized_keys"
  chmod 600 "$ssh_dir/authorized_keys"
fi

key=/etc/ssh/ssh_host_ed25519_key
if [ -n "${LABCTL_SSH_HOST_KEY:-}" ]; then
  # labctl keeps the host key next to the instance's key pair, so `labctl ssh` can pin it.
  umask 077
  printf '%s\n' "$LABCTL_SSH_HOST_KEY" > "$key"
  ssh-keygen -y -f "$key" > "$key.pub"
  umask 022
elif [ ! -s "$key" ]; then
  ssh-keygen -q -t ed25519 -N '' -f "$key"
fi

exec /usr/local/lib/labctl/svcd.py
