#!/bin/sh
# Initialise the data dir on first start (as the official image does), then run the server.
# Honours the official image's variables (MARIADB_* or their MYSQL_* spellings): ROOT_PASSWORD,
# ALLOW_EMPTY_ROOT_PASSWORD, RANDOM_ROOT_PASSWORD, ROOT_HOST, DATABASE, USER, PASSWORD; runs
# /docker-entrypoint-initdb.d/*.sql on the new database.
set -eu

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

# `docker run IMAGE --some-option` means mariadbd with that option, as in the official image.
if [ "${1#-}" != "$1" ]; then
  set -- mariadbd "$@"
fi

if [ "$(id -u)" = 0 ]; then
  # A fresh named volume may be owned by root: hand it to mysql, then drop privileges.
  mkdir -p "$DATADIR" /run/mysqld
  chown -R mysql:mysql "$DATADIR" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

sql_string() {  # a value as the body of a '...' literal: backslashes and quotes escaped
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"
}

sql_ident() {  # a name as the body of a `...` identifier
  printf '%s' "$1" | sed -e 's/`/``/g'
}

initialise() {
  root_password=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
  allow_empty=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}
  random=${MARIADB_RANDOM_ROOT_PASSWORD:-${MYSQL_RANDOM_ROOT_PASSWORD:-}}
  root_host=${MARIADB_ROOT_HOST:-${MYSQL_ROOT_HOST:-%}}
  database=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
  user=${MARIADB_USER:-${MYSQL_USER:-}}
  password=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}

  if [ -z "$root_password" ] && [ -z "$allow_empty" ] && [ -z "$random" ]; then
    echo "error: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD / MARIADB_RANDOM_ROOT_PASSWORD)" >&2
    exit 1
  fi
  if [ -n "$random" ] && [ -z "$root_password" ]; then
    root_password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
    echo "GENERATED ROOT PASSWORD: $root_password"
  fi
  if [ -n "$user" ] && [ -z "$password" ]; then
    echo "error: MARIADB_USER is set but MARIADB_PASSWORD is not" >&2
    exit 1
  fi

  # A start killed half-way through a first start left a partial data dir: make it again.
  if [ -e "$DATADIR/.labctl-initialising" ]; then
    find "$DATADIR" -mindepth 1 -delete
  fi
  touch "$DATADIR/.labctl-initialising"
  # Already the mysql user: no --user, which would try to chown files root owns.
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
                     --skip-test-db --skip-name-resolve >/dev/null

  # A private server (no TCP) while users and the database are made, so nobody connects half-made.
  mariadbd --skip-networking --socket="$SOCKET" --skip-log-bin &
  pid=$!
  tries=0
  until mariadb-admin --socket="$SOCKET" --user=root ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "error: the initialising server did not start" >&2
      exit 1
    fi
    sleep 0.25
  done

  # printf, not echo: dash's echo would undo the backslashes sql_string doubles.
  client="mariadb --socket=$SOCKET --user=root --batch"
  pw=$(sql_string "$root_password")
  {
    # mariadb-install-db also makes password-less root@127.0.0.1, root@::1, root@<hostname> and
    # anonymous users: drop them, as the official image does; root@localhost gets its password below.
    host=$(sql_string "$(hostname)")
    printf '%s\n' "DROP USER IF EXISTS ''@'localhost', ''@'$host', 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$host';"
    if [ -n "$database" ]; then
      printf '%s\n' "CREATE DATABASE IF NOT EXISTS \`$(sql_ident "$database")\`;"
    fi
    if [ -n "$user" ]; then
      printf '%s\n' "CREATE USER '$(sql_string "$user")'@'%' IDENTIFIED BY '$(sql_string "$password")';"
      if [ -n "$database" ]; then
        printf '%s\n' "GRANT ALL ON \`$(sql_ident "$database")\`.* TO '$(sql_string "$user")'@'%';"
      fi
    fi
    if [ "$root_host" != localhost ]; then
      printf '%s\n' "CREATE USER 'root'@'$(sql_string "$root_host")' IDENTIFIED BY '$pw';"
      printf '%s\n' "GRANT ALL ON *.* TO 'root'@'$(sql_string "$root_host")' WITH GRANT OPTION;"
      printf '%s\n' "GRANT PROXY ON ''@'%' TO 'root'@'$(sql_string "$root_host")' WITH GRANT OPTION;"
    fi
  } | $client

  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "running $f"
    if [ -n "$database" ]; then
      $client "$database" < "$f"
    else
      $client < "$f"
    fi
  done

  # Last, so the steps above could use root without a password.
  printf '%s\n' "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';" | $client

  kill -TERM "$pid"
  wait "$pid"
  rm -f "$DATADIR/.labctl-initialising"
  echo "MariaDB init process complete; ready for start up."
}

if [ "${1:-}" = mariadbd ] || [ "${1:-}" = mysqld ]; then
  if [ ! -d "$DATADIR/mysql" ] || [ -e "$DATADIR/.labctl-initialising" ]; then
    initialise
  fi
fi
exec "$@"
