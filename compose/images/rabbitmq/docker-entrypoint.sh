#!/bin/sh
# Write rabbitmq.conf from the environment (the configured user, allowed from any host), then run the node.
set -eu

: "${RABBITMQ_DEFAULT_USER:=guest}"
: "${RABBITMQ_DEFAULT_PASS:=guest}"
: "${RABBITMQ_DEFAULT_VHOST:=/}"

if [ "$(id -u)" = 0 ]; then
  # A fresh named volume may be owned by root: hand it to rabbitmq, then drop privileges.
  mkdir -p /var/lib/rabbitmq
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi

case "$RABBITMQ_DEFAULT_USER$RABBITMQ_DEFAULT_PASS$RABBITMQ_DEFAULT_VHOST" in
  *"
"*) echo "error: RABBITMQ_DEFAULT_USER/PASS/VHOST must not contain a newline" >&2; exit 1 ;;
esac

# default_user/default_pass only take effect when the node creates its database (first start),
# as in the official image. loopback_users: Debian's default refuses `guest` from other hosts,
# and learners connect from the host through Docker's port mapping.
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.default = 5672
management.tcp.port = 15672
loopback_users.guest = false
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
default_vhost = $RABBITMQ_DEFAULT_VHOST
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = true
log.console.level = info
log.console.use_colors = off
log.file = false
CONF

if [ "${1:-}" = rabbitmq-server ]; then
  shift
  exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
