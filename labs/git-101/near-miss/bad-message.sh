# Near miss (right files, but a one-line message of more than 50 characters), run as root in the box like a solution. The task's check must fail on it.
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
git commit -q -m "Added a gitignore file for the logs and the python caches and removed shop.log."
git push -q origin main
AS_LEARNER
