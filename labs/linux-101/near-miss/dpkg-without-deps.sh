# The .deb of jq installed alone with dpkg: its library is missing, so dpkg leaves it unconfigured.
set -eu
dpkg -i /var/lib/labctl-mirror/jq_*.deb || true
