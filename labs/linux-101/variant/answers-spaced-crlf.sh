# The answers in another order, with spaces around = and Windows line ends (written in an editor on Windows).
set -eu -o pipefail
request=$(awk '$2 == "ERROR"' /var/log/shop/app.log | sed 's/.*request_id=\([^ ]*\).*/\1/')
port=$(ss -Hltnp | grep "pid=$(pgrep -f 'server.py shop-inventory')," | awk '{print $4}' | sed 's/.*://')
biggest=$(du -sk /srv/data/* | sort -rn | head -n 1 | awk '{print $2}' | xargs basename)
printf 'biggest_folder = %s\r\ninventory_port = %s\r\nerror_request = %s\r\n' "$biggest" "$port" "$request" | sudo -u learner tee /home/learner/answers.txt >/dev/null
