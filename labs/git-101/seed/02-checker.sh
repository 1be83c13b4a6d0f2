# Runs as root in the box: installs git101-check, the script the lab's checks run (as learner).
# It reads only the remote (bare) repository /home/learner/repos/shop.git, plus Sam's clone for task 6,
# and prints one sentence saying what is missing. Overwritten on every run, so safe to run twice.
set -eu
cat > /usr/local/bin/git101-check <<'CHECKER'
#!/bin/bash
# git101-check TASK: exit 0 when TASK of the git-101 lab is done on the remote repository; otherwise
# print what is missing and exit 1.
set -u
R=/home/learner/repos/shop.git
g() { git -C "$R" "$@"; }
fail() { echo "$*"; exit 1; }
ok() { echo "$*"; exit 0; }
is_in() { g merge-base --is-ancestor "$1" "$2" 2>/dev/null; }   # is commit $1 in the history of $2?
has_subject() { g log "$1" --format=%s 2>/dev/null | tr -d '\r' | grep -qxF "$2"; }

[ -d "$R" ] || fail "the remote repository $R is missing; restore it with labctl reset"
g rev-parse -q --verify refs/heads/main >/dev/null || fail "the remote repository has no branch main; restore it with labctl reset"
PRICES=$(cat /var/lib/git-101/feature-prices 2>/dev/null) || fail "/var/lib/git-101/feature-prices is missing; run labctl reset"

case "${1:-}" in
first-commit)
  S="Add myself to CONTRIBUTORS"
  if ! has_subject main "$S"; then
    if g cat-file -e main:CONTRIBUTORS.md 2>/dev/null; then
      fail "CONTRIBUTORS.md is on main, but main has no commit with the message \"$S\"; the message must be exactly that (see the task for how to fix it)"
    fi
    fail "main on the remote has no commit with the message \"$S\" yet: create CONTRIBUTORS.md, git add it, git commit -m \"$S\", then git push"
  fi
  # Any commit with that message that changes the file: a learner who pushed a wrong message first
  # fixes it with one more commit, as the task says, instead of rewriting pushed history.
  g log main --format=%s -- CONTRIBUTORS.md | grep -qxF "$S" \
    || fail "the commit \"$S\" on main does not change the file CONTRIBUTORS.md (did you git add it before committing?)"
  [ -n "$(g show main:CONTRIBUTORS.md 2>/dev/null | tr -d '[:space:]')" ] \
    || fail "CONTRIBUTORS.md on main is empty: write your name in it, commit and push"
  ok "main has your commit \"$S\", which adds CONTRIBUTORS.md"
  ;;
greeting-branch)
  B=feature/greeting
  g rev-parse -q --verify "refs/heads/$B" >/dev/null \
    || fail "the remote has no branch $B yet: create it with git switch -c $B, commit, then push it with git push -u origin $B"
  has_subject "$B" "Make the greeting friendlier" \
    || fail "branch $B on the remote has no commit with the message \"Make the greeting friendlier\""
  g show "$B:app.py" 2>/dev/null | grep -qF 'GREETING = "Welcome to the shop!"' \
    || fail "app.py on branch $B does not say GREETING = \"Welcome to the shop!\""
  ok "branch $B is on the remote with your commit"
  ;;
merge-greeting)
  B=feature/greeting
  tip=$(g rev-parse -q --verify "refs/heads/$B") || fail "the remote has no branch $B: do task 2 first"
  is_in "$tip" main || fail "$B is not merged into main yet: git switch main, git merge --no-ff $B, then git push"
  for m in $(g rev-list --merges main); do
    if is_in "$tip" "$m" && ! is_in "$tip" "$m^1"; then
      ok "main has a merge commit that brings in $B"
    fi
  done
  fail "$B reached main by a fast-forward, so main has no merge commit for it; redo the merge with git merge --no-ff (see the end of the task)"
  ;;
resolve-conflict)
  is_in "$PRICES" main || fail "feature/prices is not merged into main yet: git merge origin/feature/prices, resolve the conflict, commit, push"
  got=$(g show main:prices.txt 2>/dev/null | tr -d '\r' | sed 's/[[:space:]]*$//')
  if grep -qE '^(<<<<<<<|=======|>>>>>>>)' <<<"$got"; then
    fail "prices.txt on main still contains conflict markers (<<<<<<<, =======, >>>>>>>): delete them, keep the lines you want, commit and push"
  fi
  want=$'# Prices in euros\ncoffee: 2.60\ntea: 2.20\ncroissant: 1.20'
  [ "$got" = "$want" ] || fail "prices.txt on main is not the agreed result (coffee: 2.60, tea: 2.20, croissant: 1.20); it is: $(tr '\n' ' ' <<<"$got")"
  ok "feature/prices is merged into main and prices.txt is resolved"
  ;;
tag-release)
  g rev-parse -q --verify refs/tags/v1.0 >/dev/null \
    || fail "the remote has no tag v1.0 yet: git tag -a v1.0 -m \"First release\", then git push origin v1.0"
  [ "$(g cat-file -t refs/tags/v1.0)" = tag ] \
    || fail "v1.0 is a lightweight tag (no message, no author); replace it with an annotated one: git tag -d v1.0, git push origin :refs/tags/v1.0, git tag -a v1.0 -m \"First release\", git push origin v1.0"
  [ -n "$(g tag -l --format='%(contents)' v1.0 | tr -d '[:space:]')" ] || fail "tag v1.0 has an empty message"
  c=$(g rev-parse 'refs/tags/v1.0^{commit}')
  is_in "$c" main || fail "v1.0 points to a commit that is not on main"
  is_in "$PRICES" "$c" || fail "v1.0 points to a commit from before your merge of feature/prices; tag the latest main (see the task for how to move a tag)"
  ok "v1.0 is an annotated tag on main"
  ;;
pull-colleague)
  sam=$(git -C /home/learner/colleague/shop log main --author=sam@shop.example --format='%H %s' 2>/dev/null \
        | grep -m1 ' Fix the typo in the README$' | cut -d' ' -f1)
  [ -n "$sam" ] || fail "Sam has not pushed his fix yet: run labctl ssh -- ./colleague/push-fix.sh (step 2 of task 6)"
  is_in "$sam" main || fail "Sam's commit \"Fix the typo in the README\" is no longer on main: it was lost, most likely by git push --force. Run labctl ssh -- ./colleague/push-fix.sh again, then git pull and git push"
  has_subject main "Add a changelog" || fail "main has no commit with the message \"Add a changelog\" yet"
  g log main --diff-filter=A --format=%s -- CHANGELOG.md | grep -qxF "Add a changelog" \
    || fail "the commit \"Add a changelog\" on main does not add CHANGELOG.md"
  t=$(g rev-parse -q --verify 'refs/tags/v1.0^{commit}') && { is_in "$t" main || fail "your earlier work (the commit tagged v1.0) is no longer on main: was main force-pushed?"; }
  ok "main has Sam's fix and your changelog"
  ;;
ignore-files)
  g cat-file -e main:.gitignore 2>/dev/null || fail "main has no .gitignore yet: create it, commit it and push"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  git init -q "$tmp"
  g show main:.gitignore | tr -d '\r' > "$tmp/.gitignore"
  mkdir -p "$tmp/__pycache__" "$tmp/logs"
  touch "$tmp/shop.log" "$tmp/logs/today.log" "$tmp/__pycache__/app.cpython-311.pyc"
  for p in shop.log logs/today.log __pycache__/app.cpython-311.pyc; do
    git -C "$tmp" check-ignore -q --no-index "$p" || fail ".gitignore on main does not ignore $p: it needs the patterns *.log and __pycache__/"
  done
  for p in app.py prices.txt README.md; do
    ! git -C "$tmp" check-ignore -q --no-index "$p" || fail ".gitignore on main ignores $p too: ignore only *.log and __pycache__/"
  done
  tracked=$(g ls-tree -r --name-only main | git -C "$tmp" check-ignore --no-index --stdin | head -3 | tr '\n' ' ')
  [ -z "$tracked" ] || fail "main still tracks ${tracked% }, which .gitignore ignores: ignoring never untracks a file. Run git rm --cached ${tracked% }, commit and push"
  for c in $(g log main --format=%H -- .gitignore); do
    s=$(g log -1 --format=%s "$c"); b=$(g log -1 --format=%b "$c" | tr -d '[:space:]')
    if [ "${#s}" -le 50 ] && [ "${s%.}" = "$s" ] && [ -n "$b" ]; then
      ok ".gitignore is right, nothing ignored is tracked, and \"$s\" is a well-formed commit message"
    fi
  done
  s=$(g log -1 --format=%s main -- .gitignore)
  fail "no commit that changes .gitignore follows the message rules (a summary of 50 characters at most without a final period, a blank line, then a body); the last one is \"$s\" (${#s} characters). Make a new commit, do not rewrite pushed history"
  ;;
*)
  fail "usage: git101-check first-commit|greeting-branch|merge-greeting|resolve-conflict|tag-release|pull-colleague|ignore-files"
  ;;
esac
CHECKER
chmod 755 /usr/local/bin/git101-check
