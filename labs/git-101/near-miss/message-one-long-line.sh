# Near miss (right files, but the whole explanation on one line of about 330 characters: the failure message about it is long, and must still start with what is wrong), run as root in the box like a solution. The task's check must fail on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
printf '*.log\n__pycache__/\n' > .gitignore
git rm -q --cached shop.log
git add .gitignore
git commit -q -m "Add a .gitignore with the patterns for log files and for the Python caches, because shop.log was committed by mistake and it changes every time the shop runs, so every commit would carry noise, and remove shop.log from the index with git rm --cached so that the file itself stays on disk but Git stops tracking it from now on"
git push -q origin main
AS_LEARNER
