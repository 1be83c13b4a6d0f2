#!/bin/sh
# `service NAME ACTION` as on Debian, routed to systemctl so both tools see the same services.
if [ $# -lt 2 ]; then echo "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]" >&2; exit 1; fi
name=$1; shift
exec systemctl "$@" "$name"
