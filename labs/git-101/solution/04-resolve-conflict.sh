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
sed -i 's/^coffee: 2.50$/coffee: 2.60/' prices.txt
git commit -q -am "Change the coffee price to 2.60"
if git merge -q --no-edit origin/feature/prices; then echo "expected a conflict" >&2; exit 1; fi
printf '# Prices in euros\ncoffee: 2.60\ntea: 2.20\ncroissant: 1.20\n' > prices.txt
git add prices.txt
git commit -q --no-edit
git push -q origin main
AS_LEARNER
