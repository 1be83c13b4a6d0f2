# Reference solution, run as root in the box (apt-get: apt's interface for scripts).
set -eu
apt-get update -q
apt-get install -y -q jq
