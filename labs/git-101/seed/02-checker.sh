# Runs as root in the box: installs git101-check, the script the checks of tasks 1, 5 and 7 run (as
# learner; the other tasks use git.* checks). It reads only the remote (bare) repository
# /home/learner/repos/shop.git, and prints one sentence saying what is missing. Overwritten on every run,
# so safe to run twice.
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
  fail "no commit that changes .gitignore follows the message rules (a summary of 50 characters at most without a final period, a blank line, then a body). Make a new commit, do not rewrite pushed history; the last one has a summary of ${#s} characters: \"$s\""
  ;;
*)
  fail "usage: git101-check first-commit|tag-release|ignore-files"
  ;;
esac
CHECKER
chmod 755 /usr/local/bin/git101-check
