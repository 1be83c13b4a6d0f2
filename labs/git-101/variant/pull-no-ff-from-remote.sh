# Accepted variant (git pull --no-ff of the remote branch into main, no local branch), run as root in the box like a solution. The task's check must pass on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git pull -q --no-ff --no-edit origin feature/greeting
git push -q origin main
AS_LEARNER
