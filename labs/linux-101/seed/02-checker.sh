# Runs as root in the box: installs linux101-check, which the checks of tasks 3, 4 and 5 run as root, for what
# only behaviour inside the box shows (a file a member of web makes, jq running, a login shell of deploy). It
# prints one sentence per problem for the learner: what is wrong and what to do. Overwritten on every run.
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
  permissions) permissions ;;
  packages) packages ;;
  env-path) env_path ;;
  *) echo "usage: linux101-check permissions|packages|env-path"; exit 2 ;;
esac
CHECKER
chmod 755 /usr/local/bin/linux101-check
