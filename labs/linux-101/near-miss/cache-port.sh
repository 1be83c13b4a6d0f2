# The port of the other python3 in `ss -ltnp` (the cache service), the rest right.
set -eu -o pipefail
request=$(grep ' ERROR ' /var/log/shop/app.log | grep -o 'req-[0-9a-f]*')
pid=$(pgrep -f 'server.py shop-cache')
port=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | cut -d: -f2)
biggest=$(du -s /srv/data/*/ | sort -n | tail -n 1 | cut -f2 | xargs basename)
printf 'error_request=%s\ninventory_port=%s\nbiggest_folder=%s\n' "$request" "$port" "$biggest" | sudo -u learner tee /home/learner/answers.txt >/dev/null
