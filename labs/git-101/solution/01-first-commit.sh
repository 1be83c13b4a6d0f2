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
echo "Lee Learner" > CONTRIBUTORS.md
git add CONTRIBUTORS.md
git commit -q -m "Add myself to CONTRIBUTORS"
git push -q origin main
AS_LEARNER
