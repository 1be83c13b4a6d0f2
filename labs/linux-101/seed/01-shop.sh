# Runs as root in the box at the first start and at every `labctl reset`: the shop the learner inspects in
# task 1. Every value a task asks about is random (a request id, two ports, a folder name), so an answer
# can only come from looking; the checks work out the truth again when they run. Safe to run twice.
set -eu
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# ---- a log with one ERROR among many INFO lines, and a WARN that is not the answer ----------------
install -d -m 755 /var/log/shop
# awk writes the 420 lines in one go; its random numbers start from a seed read from /dev/urandom (below
# 2^31: mawk treats every larger seed as the same one).
awk -v seed="$(( $(od -An -N4 -tu4 /dev/urandom) % 2000000000 ))" 'BEGIN {
  srand(seed); start = 1796025600   # 2026-11-30 08:00:00 UTC
  error_line = 150 + int(rand() * 200); warn_line = 20 + int(rand() * 100)
  for (i = 1; i <= 420; i++) {
    ts = strftime("%Y-%m-%dT%H:%M:%SZ", start + i * 7, 1)
    id = sprintf("req-%04x%04x", int(rand() * 65536), int(rand() * 65536))
    if (i == error_line) print ts " ERROR request_id=" id " POST /checkout payment refused: card expired"
    else if (i == warn_line) print ts " WARN request_id=" id " GET /cart slow answer (2300 ms)"
    else print ts " INFO request_id=" id " GET /products/" (i % 37) " 200"
  }
}' > /var/log/shop/app.log
chmod 640 /var/log/shop/app.log

# ---- two services of the shop, each on a random port: the inventory API and a cache ----------------
# They run as root: in a box without CAP_SYS_PTRACE, `sudo ss -ltnp` names only root's processes.
install -d -m 755 /opt/shop /etc/shop
cat > /opt/shop/server.py <<'PY'
"""A tiny service of the shop: answers every GET with its name, on 127.0.0.1:$PORT."""
import http.server, os, sys
name = sys.argv[1]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{name}\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
PY
inventory_port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 10000 ))
cache_port=$(( 30000 + $(od -An -N2 -tu2 /dev/urandom) % 10000 ))
echo "PORT=$inventory_port" > /etc/shop/inventory.env
echo "PORT=$cache_port" > /etc/shop/cache.env
for svc in inventory cache; do
  cat > /etc/systemd/system/shop-$svc.service <<UNIT
[Unit]
Description=The shop's $svc service

[Service]
EnvironmentFile=/etc/shop/$svc.env
ExecStart=/usr/bin/python3 /opt/shop/server.py shop-$svc
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
done
systemctl daemon-reload
systemctl enable shop-inventory shop-cache >/dev/null
systemctl restart shop-inventory shop-cache

# ---- /srv/data: which folder takes the most space? ------------------------------------------------
rm -rf /srv/data
install -d -m 755 /srv/data
names=""
for i in 1 2 3 4 5; do names="$names batch-$(hex 3)"; done
set -- $names
big=$1 many=$2
for name in "$@"; do install -d -m 755 "/srv/data/$name"; head -c $((100 + RANDOM % 400))K /dev/urandom > "/srv/data/$name/part-1.bin"; done
head -c 24M /dev/urandom > "/srv/data/$big/export.bin"
# The folder with the most files is not the biggest: `ls | wc -l` is not `du`.
head -c 600000 /dev/urandom | (cd "/srv/data/$many" && split -b 2000 -a 3 - chunk-)

# ---- files for task 3 ---------------------------------------------------------------------------
install -d -m 755 /srv/app
printf 'DB_PASSWORD=%s\nPAYMENT_API_KEY=%s\n' "$(hex 12)" "$(hex 16)" > /srv/app/secrets.env
chown root:root /srv/app/secrets.env
chmod 644 /srv/app/secrets.env
