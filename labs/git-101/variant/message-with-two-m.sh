# Accepted variant (the message given with two -m, a summary of exactly 50 characters, the patterns in the other order), run as root in the box like a solution. The task's check must pass on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
printf '__pycache__/\n*.log\n' > .gitignore
git rm -q --cached shop.log
git add .gitignore
git commit -q -m "Ignore logs and Python caches and untrack shop.log" -m "shop.log changes every time the shop runs, and caches are rebuilt."
git push -q origin main
AS_LEARNER
