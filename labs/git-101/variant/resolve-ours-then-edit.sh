# Accepted variant (git pull of the branch, --ours taken, then Sam's tea price typed in), run as root in the box like a solution. The task's check must pass on it.
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
git add prices.txt
git commit -q -m "Change the coffee price to 2.60"
if git pull -q --no-rebase --no-edit origin feature/prices 2>/dev/null; then echo "expected a conflict" >&2; exit 1; fi
git checkout -q --ours prices.txt
sed -i 's/^tea: 2.00$/tea: 2.20/' prices.txt
git add prices.txt
git commit -q --no-edit
git push -q origin main
AS_LEARNER
