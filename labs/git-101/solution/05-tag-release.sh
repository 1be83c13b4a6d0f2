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
git tag -a v1.0 -m "First release"
git push -q origin v1.0
AS_LEARNER
