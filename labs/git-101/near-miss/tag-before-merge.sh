# Near miss (an annotated tag, but on the commit before the merge of feature/prices), run as root in the box like a solution. The task's check must fail on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git tag -a v1.0 -m "First release" HEAD^1
git push -q origin v1.0
AS_LEARNER
