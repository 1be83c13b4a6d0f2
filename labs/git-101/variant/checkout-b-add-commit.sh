# Accepted variant (git checkout -b, git add and git commit -m, git push origin HEAD), run as root in the box like a solution. The task's check must pass on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git checkout -q -b feature/greeting
sed -i 's/^GREETING = "Hello"$/GREETING = "Welcome to the shop!"/' app.py
git add app.py
git commit -q -m "Make the greeting friendlier"
git push -q origin HEAD
AS_LEARNER
