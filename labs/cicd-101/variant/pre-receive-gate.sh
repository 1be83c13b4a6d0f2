# Variant: the gate is a pre-receive hook: it unpacks the pushed commit into a temporary folder, runs the tests
# there and refuses the push when they fail (main never gets the broken commit); post-receive deploys as in task 1.
set -eu
sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
cat > /srv/git/app.git/hooks/pre-receive <<'HOOK'
#!/bin/bash
set -eu
while read -r old new ref; do
  [ "$ref" = refs/heads/main ] || continue
  check=$(mktemp -d)
  git archive "$new" | tar -x -C "$check"
  if ! (cd "$check" && python3 -m unittest 2>&1); then
    rm -rf "$check"
    echo "REFUSED: the tests fail, fix them and push again"
    exit 1
  fi
  rm -rf "$check"
done
HOOK
chmod +x /srv/git/app.git/hooks/pre-receive
AS_LEARNER
