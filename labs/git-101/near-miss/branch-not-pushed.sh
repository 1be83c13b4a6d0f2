# Near miss (the branch is committed but never pushed), run as root in the box like a solution. The task's check must fail on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git switch -q -c feature/greeting
sed -i 's/^GREETING = "Hello"$/GREETING = "Welcome to the shop!"/' app.py
git commit -q -am "Make the greeting friendlier"
AS_LEARNER
