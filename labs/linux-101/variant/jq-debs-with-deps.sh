# The .deb files with everything jq depends on, in one dpkg command.
set -eu
cd /var/lib/labctl-mirror
dpkg -i libonig5_*.deb libjq1_*.deb jq_*.deb
