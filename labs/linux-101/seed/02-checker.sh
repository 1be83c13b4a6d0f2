# Runs as root in the box: installs linux101-check, which the checks of tasks 1, 3, 4 and 5 run as root.
# It works out the truth when it runs (the log, the listening sockets, du, modes, a login shell of deploy)
# and prints one sentence for the learner: what is wrong and what to do. Overwritten on every run.
set -eu
cat > /usr/local/bin/linux101-check <<'CHECKER'
#!/bin/bash
# linux101-check TASK: exit 0 when TASK of linux-101 is done; otherwise print what is wrong and exit 1.
set -u
problems=()
say() { problems+=("$*"); }
finish() {
  if [ ${#problems[@]} -eq 0 ]; then echo "$1"; exit 0; fi
  printf '%s\n' "${problems[@]}"; exit 1
}

# answer KEY: the value after KEY= in ~learner/answers.txt (spaces and a CR at the end ignored).
ANSWERS=/home/learner/answers.txt
answer() { sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$ANSWERS" 2>/dev/null | tr -d '\r"'"'" | sed 's/[[:space:]]*$//' | tail -n 1; }

inspect() {
  [ -f "$ANSWERS" ] || { echo "there is no /home/learner/answers.txt yet: create it (as learner) with the three lines the task shows"; exit 1; }
  # 1. the request id of the ERROR line of the shop's log
  want=$(grep -E '^[^ ]+ ERROR ' /var/log/shop/app.log 2>/dev/null | grep -o 'req-[0-9a-f]*' | head -n 1)
  [ -n "$want" ] || { echo "/var/log/shop/app.log has no ERROR line any more: run labctl reset to get the shop back"; exit 1; }
  got=$(answer error_request)
  if [ -z "$got" ]; then say "answers.txt has no line error_request=...: find the ERROR line in /var/log/shop/app.log (grep ERROR /var/log/shop/app.log)"
  elif [ "$got" != "$want" ]; then
    if grep -q "request_id=$got " /var/log/shop/app.log; then
      say "error_request=$got is the request id of a line that is not the ERROR: grep ERROR /var/log/shop/app.log shows the one"
    else
      say "error_request=$got is not the request id of the ERROR line of /var/log/shop/app.log (copy it as req-... from that line)"
    fi
  fi
  # 2. the port the inventory service listens on (the socket of a process running /opt/shop/server.py shop-inventory)
  want=""
  for pid in $(pgrep -f '/opt/shop/server.py shop-inventory'); do
    p=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -n 1)
    [ -n "$p" ] && want=$p
  done
  [ -n "$want" ] || { echo "the inventory service is not running: start it with sudo systemctl start shop-inventory"; exit 1; }
  got=$(answer inventory_port)
  if [ -z "$got" ]; then say "answers.txt has no line inventory_port=...: sudo ss -ltnp lists the listening ports and the programs behind them"
  elif [ "$got" != "$want" ]; then
    say "inventory_port=$got is not the port the inventory service listens on: sudo ss -ltnp shows each port's process id (pid=...); ps -p PID -o args shows which service that process is"
  fi
  # 3. the folder of /srv/data that takes the most disk space
  want=$(du -s /srv/data/*/ 2>/dev/null | sort -n | tail -n 1 | awk '{print $2}' | xargs -r basename)
  got=$(answer biggest_folder)
  got=${got%/}; got=${got##*/}
  if [ -z "$got" ]; then say "answers.txt has no line biggest_folder=...: du -sh /srv/data/* shows how much space each folder takes"
  elif [ "$got" != "$want" ]; then
    say "biggest_folder=$got is not the folder of /srv/data that takes the most disk space: compare them with du -sh /srv/data/* (ls only counts files)"
  fi
  finish "the three answers are right"
}

permissions() {
  f=/srv/app/secrets.env
  if [ ! -f "$f" ]; then echo "$f is missing: run labctl reset to get it back"; exit 1; fi
  read -r owner mode <<<"$(stat -c '%U %a' "$f")"
  m=$((8#$mode))
  if [ "$owner" != deploy ]; then say "$f is owned by $owner; it must belong to deploy: sudo chown deploy $f"; fi
  if (( m & 8#077 )); then
    say "$f has mode $mode: someone other than its owner can $( (( m & 8#044 )) && echo read || echo use) it. Give the group and others nothing: sudo chmod 600 $f"
  fi
  if ! (( m & 8#400 )); then say "$f has mode $mode: its owner cannot read it; sudo chmod 600 $f"; fi
  d=/srv/shared
  if [ ! -d "$d" ]; then say "there is no folder $d yet: sudo mkdir $d"; finish ""; fi
  read -r dgroup dmode <<<"$(stat -c '%G %a' "$d")"
  dm=$((8#$dmode))
  web=$(getent group web | cut -d: -f3)
  if [ -z "$web" ]; then say "there is no group web (task 2)"; finish ""; fi
  if [ "$dgroup" != web ]; then say "$d belongs to group $dgroup; it must belong to web: sudo chgrp web $d"; fi
  if (( dm & 8#002 )); then say "$d has mode $dmode: anyone on the box can write in it. Only its owner and group web may: sudo chmod 2775 $d"; fi
  # Behaviour: a member of web (not the owner) makes a file there: it must work, and the file must get group web.
  probe="$d/.labctl-probe-$$-$RANDOM"
  if ! setpriv --reuid=65534 --regid=65534 --groups="$web" sh -c "umask 002; : > '$probe'" 2>/dev/null; then
    say "a member of group web cannot create a file in $d: give the group write access, sudo chmod g+w $d"
  else
    g=$(stat -c %G "$probe"); rm -f "$probe"
    if [ "$g" != web ]; then
      say "a file a member of web makes in $d gets group $g, not web: set the setgid bit on the folder (sudo chmod g+s $d) so new files take its group"
    fi
  fi
  finish "$f is deploy's alone, and $d is a shared folder of group web"
}

packages() {
  status=$(dpkg-query -W -f='${Status}' jq 2>/dev/null)
  case "$status" in
    "install ok installed") ;;
    "") echo "jq is not installed: sudo apt update, then sudo apt install jq"; exit 1 ;;
    *) echo "jq is only half installed (dpkg says: $status): a package needs the packages it depends on; sudo apt install -f (or sudo apt install jq) fetches them"; exit 1 ;;
  esac
  out=$(printf '{"shop":{"open":true}}' | su learner -c 'jq -c .shop' 2>&1)
  [ "$out" = '{"open":true}' ] || { echo "jq is installed but does not work for learner: echo '{\"a\":1}' | jq .a says: ${out:0:200}"; exit 1; }
  echo "jq is installed and works"
}

env_path() {
  getent passwd deploy >/dev/null || { echo "there is no user deploy (task 2)"; exit 1; }
  run() { timeout 10 su - deploy -c "$1" 2>&1 </dev/null; }
  path=$(run 'printf %s "$PATH"')
  case ":$path:" in
    *:/home/deploy/bin:*) ;;
    *) say "/home/deploy/bin is not on deploy's PATH in a login shell (its PATH is $path): Debian's ~/.profile adds ~/bin when the folder exists; is ~/.profile still read (no ~/.bash_profile)?" ;;
  esac
  case ":$path:" in
    *:/usr/bin:*) ;;
    *) say "deploy's PATH lost /usr/bin ($path): add your folder in front of PATH, PATH=\"\$HOME/bin:\$PATH\", never replace it" ;;
  esac
  value=$(run 'printenv APP_ENV')
  if [ "$value" != production ]; then
    say "APP_ENV is ${value:+\"$value\" }not set to production for the programs deploy runs in a login shell (sudo su - deploy -c 'printenv APP_ENV' shows it): export APP_ENV=production in ~/.profile"
  fi
  where=$(run 'command -v hello')
  if [ "$where" != /home/deploy/bin/hello ]; then
    say "hello is ${where:-not found} in deploy's login shell; expected /home/deploy/bin/hello (is it there, and executable: chmod +x?)"
  else
    said=$(run 'hello')
    [ "$said" = "hello from production" ] || say "hello says '${said:0:100}'; expected 'hello from production' (the script in the task prints APP_ENV)"
  fi
  finish "deploy's login shell has APP_ENV=production and runs hello from ~/bin"
}

case "${1:-}" in
  inspect) inspect ;;
  permissions) permissions ;;
  packages) packages ;;
  env-path) env_path ;;
  *) echo "usage: linux101-check inspect|permissions|packages|env-path"; exit 2 ;;
esac
CHECKER
chmod 755 /usr/local/bin/linux101-check
