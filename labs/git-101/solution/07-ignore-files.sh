# Reference solution, run as root in the box: what a learner does in their own clone, done as learner in a
# throwaway clone of the remote (a local path instead of SSH, the same repository).
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
printf '# Log files the shop writes while it runs\n*.log\n\n# Python caches\n__pycache__/\n' > .gitignore
git rm -q --cached shop.log
git add .gitignore
git commit -q -F - <<'MSG'
Ignore log files and Python caches

shop.log was committed by mistake: it changes every time the shop runs.
Git now ignores logs and __pycache__ folders, and shop.log is no longer
tracked (the file itself stays on disk).
MSG
git push -q origin main
AS_LEARNER
