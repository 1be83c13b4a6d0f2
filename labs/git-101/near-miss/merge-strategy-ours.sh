# Near miss (a merge commit made with -s ours: the branch is in the history, its change is not in main), run as root in the box like a solution. The task's check must fail on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git merge -q --no-ff -s ours --no-edit origin/feature/greeting
git push -q origin main
AS_LEARNER
