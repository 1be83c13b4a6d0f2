# Accepted variant (git pull --rebase, which the task allows), run as root in the box like a solution. The task's check must pass on it.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q /home/learner/repos/shop.git "$work/shop"
cd "$work/shop"
git config user.name "Lee Learner"
git config user.email lee@example.com
printf '# Changelog\n\n## v1.0\n\n- Friendlier greeting\n- New coffee and tea prices\n' > CHANGELOG.md
git add CHANGELOG.md
git commit -q -m "Add a changelog"
/home/learner/colleague/push-fix.sh              # meanwhile, Sam pushes to main
if git push -q origin main 2>/dev/null; then echo "expected the push to be rejected" >&2; exit 1; fi
git pull -q --rebase origin main
git push -q origin main
AS_LEARNER
