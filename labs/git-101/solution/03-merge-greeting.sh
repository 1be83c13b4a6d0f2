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
git switch -q feature/greeting   # a local branch from origin/feature/greeting, as after task 2
git switch -q main
git merge -q --no-ff --no-edit feature/greeting
git push -q origin main
AS_LEARNER
