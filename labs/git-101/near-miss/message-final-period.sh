# Near miss (right files, a short summary and a body, but the summary ends with a period), run as root in the box like a solution. The task's check must fail on it.
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
git commit -q -m "Ignore log files and Python caches." -m "shop.log changes every time the shop runs."
git push -q origin main
AS_LEARNER
