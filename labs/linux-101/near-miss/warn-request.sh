# The request id of the WARN line (the first line that is not INFO), the rest right.
set -eu -o pipefail
request=$(grep ' WARN ' /var/log/shop/app.log | grep -o 'req-[0-9a-f]*')
pid=$(pgrep -f 'server.py shop-inventory')
port=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | cut -d: -f2)
biggest=$(du -s /srv/data/*/ | sort -n | tail -n 1 | cut -f2 | xargs basename)
printf 'error_request=%s\ninventory_port=%s\nbiggest_folder=%s\n' "$request" "$port" "$biggest" | sudo -u learner tee /home/learner/answers.txt >/dev/null
