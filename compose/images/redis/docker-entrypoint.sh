#!/bin/sh
# As the official image's entrypoint: own /data, drop to the redis user, turn protected mode off.
set -eu

# `docker run image --appendonly yes` means redis-server with those options.
case "${1:-}" in
  -*|*.conf) set -- redis-server "$@" ;;
esac

# Files Redis writes (RDB, AOF) are for its own user only.
if [ "$(umask)" = 0022 ]; then
  umask 0077
fi

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  # A fresh named volume may be owned by root: hand it to redis, then drop privileges.
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# Without a config file Redis starts in protected mode and refuses clients from outside the
# container; the learner's own machine is one, so turn it off unless a config file decides.
if [ "${1:-}" = redis-server ]; then
  shift
  config=
  if [ -f "${1:-}" ]; then
    config=$1
    shift
  fi
  if [ -n "$config" ] && grep -q '^protected-mode' "$config"; then
    set -- redis-server "$config" "$@"
  elif [ -n "$config" ]; then
    set -- redis-server "$config" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
fi
exec "$@"
