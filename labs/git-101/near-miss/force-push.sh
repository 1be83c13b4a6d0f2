# Near miss (the push is rejected, and the learner forces it, dropping Sam's commit), run as root in the box like a solution. The task's check must fail on it.
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
/home/learner/colleague/push-fix.sh
git push -q --force origin main
AS_LEARNER
