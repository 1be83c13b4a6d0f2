#!/bin/sh
# As the official image's entrypoint: at the first start on an empty /data/db, run the server privately
# (127.0.0.1 only, no authentication), make the root user, stop it; then run it with authentication on.
set -eu

STORE=/data/db
# WiredTiger's cache within the container's memory limit (the server's default is 1G).
CACHE=${SECANTUS_CACHE_SIZE:-256M}

if [ "${1:-}" = secantusd-py ] || [ "${1:-}" = mongod ]; then
  shift
  set -- secantusd-py --host 0.0.0.0 --port 27017 --storage-path "$STORE" --cache-size "$CACHE" \
    --standalone --auth --log-level WARNING "$@"
  if [ ! -f "$STORE/WiredTiger" ]; then
    if [ -z "${MONGO_INITDB_ROOT_USERNAME:-}" ] || [ -z "${MONGO_INITDB_ROOT_PASSWORD:-}" ]; then
      echo "docker-entrypoint: set MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD:" \
           "this server always runs with authentication on" >&2
      exit 1
    fi
    echo "docker-entrypoint: first start: making the root user ${MONGO_INITDB_ROOT_USERNAME}"
    secantusd-py --host 127.0.0.1 --port 27018 --storage-path "$STORE" --cache-size "$CACHE" \
      --standalone --log-level WARNING &
    private=$!
    if ! python3 /opt/secantus/create-root-user.py 27018; then
      kill "$private" 2>/dev/null || true
      wait "$private" 2>/dev/null || true
      rm -rf "${STORE:?}"/*  # the next start initialises again rather than run without a root user
      exit 1
    fi
    kill -TERM "$private"
    wait "$private" || true
    echo "docker-entrypoint: root user made; starting with authentication on"
  fi
fi
exec "$@"
