# The folder with the most files (ls | wc -l) instead of the one that takes the most space, the rest right.
set -eu -o pipefail
request=$(grep ' ERROR ' /var/log/shop/app.log | grep -o 'req-[0-9a-f]*')
pid=$(pgrep -f 'server.py shop-inventory')
port=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | cut -d: -f2)
biggest=$(for d in /srv/data/*/; do echo "$(ls "$d" | wc -l) $(basename "$d")"; done | sort -n | tail -n 1 | cut -d' ' -f2)
printf 'error_request=%s\ninventory_port=%s\nbiggest_folder=%s\n' "$request" "$port" "$biggest" | sudo -u learner tee /home/learner/answers.txt >/dev/null
