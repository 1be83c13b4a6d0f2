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
git switch -q -c feature/greeting
sed -i 's/^GREETING = "Hello"$/GREETING = "Welcome to the shop!"/' app.py
git commit -q -am "Make the greeting friendlier"
git push -q -u origin feature/greeting
AS_LEARNER
