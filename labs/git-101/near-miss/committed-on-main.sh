# Near miss (the greeting is committed on main and pushed there, then the branch is made from main and pushed), run as root in the box like a solution. The task's check must fail on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
sed -i 's/^GREETING = "Hello"$/GREETING = "Welcome to the shop!"/' app.py
git commit -q -am "Make the greeting friendlier"
git push -q origin main
git switch -q -c feature/greeting
git push -q -u origin feature/greeting
AS_LEARNER
