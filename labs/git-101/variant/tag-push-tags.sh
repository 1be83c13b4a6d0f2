# Accepted variant (the tag made on main by name, pushed with --tags), run as root in the box like a solution. The task's check must pass on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
git tag -a -m "Version 1.0, the first release" v1.0 main
git push -q --tags
AS_LEARNER
