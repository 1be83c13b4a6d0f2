# Reference solution, run as root in the box: what the learner finds with grep, ss, ps and du, written to
# ~/answers.txt as learner.
set -eu -o pipefail
request=$(grep ' ERROR ' /var/log/shop/app.log | grep -o 'req-[[:xdigit:]]*')
pid=$(pgrep -f 'server.py shop-inventory')
port=$(ss -Hltnp | grep "pid=$pid," | grep -o '127.0.0.1:[[:digit:]]*' | cut -d: -f2)
biggest=$(du -s /srv/data/*/ | sort -n | tail -n 1 | cut -f2 | xargs basename)
sudo -u learner tee /home/learner/answers.txt >/dev/null <<ANSWERS
error_request=$request
inventory_port=$port
biggest_folder=$biggest
ANSWERS
