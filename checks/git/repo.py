"""Git checks on a repository inside the Linux box (a lab's shared "remote"): which commit introduced a
change and on which branch it was made, whether a merge really brought a commit's change into a branch's
files (not only into its history), and what a file holds at a revision.

They read the repository with git plumbing, run as a user of the box; they never change it."""
from __future__ import annotations

import re
import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from ..linux.common import NAME_PATTERN, run_in_box

_REV = r"^[A-Za-z0-9_./@^{}~:-]+$"
_MARKERS = re.compile(r"^(<<<<<<<|=======|>>>>>>>)( |$)")


def _lines(text: str) -> list[str]:
    """A file's lines as compared: CR and trailing spaces dropped (editors differ), blank lines left out."""
    return [line.replace("\r", "").rstrip() for line in text.splitlines() if line.strip()]


class GitCheck(Check):
    repo: str = Field(min_length=2, pattern=r"^/", description="The repository in the box (a bare one, or a clone).")
    user: str = Field("learner", pattern=NAME_PATTERN, description="Who reads it (its owner, so Git trusts it).")

    def git(self, ctx: CheckContext, *args: str, repo: str | None = None) -> tuple[int, str]:
        """(exit code, stdout) of git in the repository; stderr is dropped."""
        script = 'r=$1; shift; exec git -c safe.directory="*" -C "$r" "$@" 2>/dev/null'
        return run_in_box(ctx, self, ["bash", "-c", script, "git", repo or self.repo, *args], self.user)

    def script(self, ctx: CheckContext, body: str, *args: str) -> tuple[int, str]:
        """A bash script run in the repository with args as $1...; stderr is dropped."""
        wrapped = f'cd "$0" 2>/dev/null || exit 99\ngit() {{ command git -c safe.directory="*" "$@" 2>/dev/null; }}\n{body}'
        return run_in_box(ctx, self, ["bash", "-c", wrapped, self.repo, *args], self.user)

    def resolve(self, ctx: CheckContext, rev: str, repo: str | None = None) -> str | None:
        code, out = self.git(ctx, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", repo=repo)
        return out.strip() if code == 0 and out.strip() else None

    def branch_exists(self, ctx: CheckContext, branch: str) -> bool:
        code, _ = self.git(ctx, "rev-parse", "-q", "--verify", f"refs/heads/{branch}")
        return code == 0

    def has_repository(self, ctx: CheckContext) -> Outcome | None:
        code, _ = self.git(ctx, "rev-parse", "--git-dir")
        if code != 0:
            return failed(f"there is no Git repository at {self.repo} any more; labctl reset restores it",
                          expected=self.repo, found=None, evidence=f"git -C {self.repo} rev-parse --git-dir")
        return None


# ---- git.commit ---------------------------------------------------------------------------------

@register("git.commit", service_kind="linuxbox")
class GitCommit(GitCheck):
    """A commit on a branch: its message, the files it changes, a line it introduces, and where it was made."""

    branch: str = Field(pattern=_REV, description="The branch whose history must hold the commit.")
    subject: str | None = Field(None, min_length=1, description="The commit's summary line, exactly.")
    changes: list[str] = Field([], description="Files the commit must change (add, modify or delete).")
    adds: dict[str, str] = Field({}, description="path: line. The commit itself adds that line to that file, "
                                                 "so it is the commit that introduced the change.")
    not_made_on: str | None = Field(None, pattern=_REV, description=(
        "A branch the commit must not have been made on: it may be merged into it, but it is not on that "
        "branch's own line of history (its first parents). E.g. main, for work meant for a branch of its own."))

    @model_validator(mode="after")
    def _something(self) -> "GitCommit":
        if self.subject is None and not self.changes and not self.adds:
            raise ValueError("give at least one of subject, changes or adds")
        return self

    def _what(self) -> str:
        return f'the commit "{self.subject}"' if self.subject else "a commit"

    def describe(self) -> str:
        return f"{self._what()} is on {self.branch}" + (f", made off {self.not_made_on}" if self.not_made_on else "")

    def run(self, ctx: CheckContext) -> Outcome:
        problem = self.has_repository(ctx)
        if problem:
            return problem
        evidence = f"git -C {self.repo} log {self.branch}"
        if not self.branch_exists(ctx, self.branch):
            return failed(f"the repository has no branch {self.branch} yet (was it pushed?)",
                          expected=self.branch, found=None, evidence=evidence)
        code, out = self.git(ctx, "log", f"refs/heads/{self.branch}", "--format=%x1e%H%x1f%s", "--name-only", "--")
        if code != 0:
            raise CheckError(f"git log {self.branch} failed in {self.repo}")
        commits = []
        for record in out.split("\x1e")[1:]:
            head, _, files = record.partition("\n")
            sha, _, subject = head.partition("\x1f")
            commits.append((sha, subject.replace("\r", "").rstrip(), {f for f in files.splitlines() if f}))
        if self.subject is not None:
            commits = [c for c in commits if c[1] == self.subject]
            if not commits:
                return failed(f'branch {self.branch} has no commit with the message "{self.subject}" '
                              "(it must be exactly that)", expected=self.subject, found=None, evidence=evidence)
        problems: list[str] = []
        for sha, _, files in commits:
            found = self._problem(ctx, sha, files)
            if found is None:
                return passed(f"{self._what()} on {self.branch} is as expected", evidence=evidence)
            problems.append(found)
        if not problems:
            return failed(f"branch {self.branch} has no commit that does this", expected=self.describe(), found=None,
                          evidence=evidence)
        return failed(problems[0], expected=self.describe(), found=None, evidence=evidence)

    def _problem(self, ctx: CheckContext, sha: str, files: set[str]) -> str | None:
        what = f"{self._what()} on {self.branch}"
        missing = [p for p in self.changes if p not in files]
        if missing:
            return f"{what} does not change {', '.join(missing)} (was it added with git add before the commit?)"
        for path, line in self.adds.items():
            code, out = self.git(ctx, "show", "--format=", "--no-color", "-U0", "--first-parent", sha, "--", path)
            added = {raw[1:].replace("\r", "").rstrip() for raw in out.splitlines()
                     if raw.startswith("+") and not raw.startswith("+++")}
            if code != 0 or line.rstrip() not in added:
                return f"{what} does not put the line {line!r} into {path}"
        if self.not_made_on:
            code, out = self.git(ctx, "rev-list", "--first-parent", f"refs/heads/{self.not_made_on}")
            if code == 0 and sha in out.split():
                return (f"{what} was made on {self.not_made_on}, not on a branch of its own: it is on "
                        f"{self.not_made_on}'s own line of history (committed there, or taken in by a fast-forward) "
                        f"(see the task for how to fix it)")
        return None


# ---- git.merged ---------------------------------------------------------------------------------

class CommitRef(BaseModel):
    """Which commit: a revision, the id kept in a file, or the newest commit with a subject (and author)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str | None = Field(None, pattern=r"^/", description="Where to look it up (default: the check's repo).")
    rev: str = Field("HEAD", pattern=_REV, description="A branch, tag or id; with subject, where the search starts.")
    file: str | None = Field(None, pattern=r"^/", description="A file in the box holding the commit id (seeded).")
    subject: str | None = Field(None, min_length=1, description="The newest commit from rev with this summary line.")
    author: str | None = Field(None, min_length=1, description="... and this author e-mail.")


_HINTS = ("missing", "not_merged", "fast_forward", "change_lost")


@register("git.merged", service_kind="linuxbox")
class GitMerged(GitCheck):
    """A commit is merged into a branch: in its history, through a merge commit if asked, and with its change
    in the branch's files: a merge that keeps the commit in the history but throws its change away (-s ours,
    or a conflict resolved by taking only one side) fails."""

    into: str = Field(pattern=_REV, description="The branch it must be merged into, e.g. main.")
    commit: CommitRef = Field(description="The commit to find.")
    name: str = Field(min_length=1, description="How the learner knows it: feature/greeting, Sam's fix.")
    merge_commit: bool = Field(False, description="It came in through a merge commit (not a fast-forward or rebase).")
    change_kept: bool = Field(True, description="Every line the commit added is in the branch's files, and every line "
                                                "it removed is gone (the same files).")
    hints: dict[Literal[_HINTS], str] = Field({}, description="What to do, added to the failure of that kind: "
                                                              + ", ".join(_HINTS) + ".")

    def describe(self) -> str:
        return f"{self.name} is merged into {self.into}"

    def _fail(self, kind: str, text: str, evidence: str) -> Outcome:
        hint = self.hints.get(kind)
        return failed(text + (f": {hint}" if hint else ""), expected=self.describe(), found=kind, evidence=evidence)

    def _find(self, ctx: CheckContext) -> str | None:
        ref = self.commit
        if ref.file:
            code, out = run_in_box(ctx, self, ["cat", "--", ref.file], self.user)
            if code != 0 or not re.fullmatch(r"[0-9a-f]{40,64}\s*", out):
                raise CheckError(f"{ref.file} does not hold a commit id; is the lab's seed complete? (labctl reset)")
            return self.resolve(ctx, out.strip())
        if ref.subject is None:
            return self.resolve(ctx, ref.rev, repo=ref.repo)
        args = ["log", ref.rev, "--format=%H%x1f%s%x1f%ae"] + ([f"--author={ref.author}"] if ref.author else [])
        code, out = self.git(ctx, *args, repo=ref.repo)
        for line in out.splitlines() if code == 0 else []:
            sha, _, rest = line.partition("\x1f")
            subject, _, email = rest.partition("\x1f")
            if subject.replace("\r", "").rstrip() == ref.subject and (ref.author is None or email == ref.author):
                return self.resolve(ctx, sha)  # it must exist in the checked repository too
        return None

    def run(self, ctx: CheckContext) -> Outcome:
        problem = self.has_repository(ctx)
        if problem:
            return problem
        evidence = f"git -C {self.repo} merge-base --is-ancestor {self.name} {self.into}"
        if not self.branch_exists(ctx, self.into):
            return failed(f"the repository has no branch {self.into}; labctl reset restores it",
                          expected=self.into, found=None, evidence=evidence)
        sha = self._find(ctx)
        if sha is None:
            return self._fail("missing", f"{self.name} does not exist yet", evidence)
        into = f"refs/heads/{self.into}"
        code, _ = self.git(ctx, "merge-base", "--is-ancestor", sha, into)
        if code != 0:
            return self._fail("not_merged", f"{self.name} is not in {self.into}'s history", evidence)
        if self.merge_commit:
            code, out = self.script(ctx, 'for m in $(git rev-list --merges "$2"); do '
                                         'git merge-base --is-ancestor "$1" "$m" && ! git merge-base --is-ancestor "$1" "$m^1" '
                                         '&& { echo "$m"; exit 0; }; done; exit 1', sha, into)
            if code != 0:
                return self._fail("fast_forward", f"{self.name} reached {self.into} by a fast-forward (or a rebase), "
                                                  f"so {self.into} has no merge commit for it", evidence)
        if self.change_kept:
            lost = self._lost_change(ctx, sha, into)
            if lost:
                return self._fail("change_lost", f"{self.name} is in {self.into}'s history, but its change is not in "
                                                 f"{self.into}'s files: {lost} (was it merged with -s ours, or undone "
                                                 "while resolving a conflict?)", evidence)
        return passed(f"{self.name} is merged into {self.into}", evidence=evidence)

    def _lost_change(self, ctx: CheckContext, sha: str, into: str) -> str | None:
        """What of the commit's change the branch's files lack, or None when all of it is there."""
        code, out = self.git(ctx, "show", "--format=", "--no-color", "--no-renames", "-U0", "--first-parent", sha)
        if code != 0:
            raise CheckError(f"git show {sha} failed in {self.repo}")
        changes: dict[str, tuple[list[str], list[str]]] = {}
        path = None
        for raw in out.splitlines():
            if raw.startswith("diff --git "):
                path = None
            elif raw.startswith("+++ "):
                path = raw[6:] if raw.startswith("+++ b/") else None
                if path is not None:
                    changes.setdefault(path, ([], []))
            elif raw.startswith("--- "):
                continue
            elif path is not None and raw[:1] in "+-" and raw[1:].strip():
                changes[path][0 if raw[0] == "+" else 1].append(raw[1:].replace("\r", "").rstrip())
        for path, (added, removed) in changes.items():
            code, now = self.git(ctx, "show", f"{into}:{path}")
            if code != 0:
                return f"{path} is not there"
            have = set(_lines(now))
            for line in added:
                if line not in have:
                    return f"{path} lacks the line {line!r}"
            _, theirs = self.git(ctx, "show", f"{sha}:{path}")
            kept_by_them = set(_lines(theirs))
            for line in removed:
                if line in have and line not in kept_by_them:
                    return f"{path} still has the line {line!r}, which it removed"
        return None


# ---- git.file -----------------------------------------------------------------------------------

@register("git.file", service_kind="linuxbox")
class GitFile(GitCheck):
    """A file as committed at a revision: its whole content (CR, trailing spaces and blank lines ignored),
    lines it must hold, and no conflict markers."""

    rev: str = Field(pattern=_REV, description="A branch, tag or id, e.g. main.")
    path: str = Field(min_length=1, pattern=r"^[^/]")
    equals: str | None = Field(None, description="The whole content.")
    has_lines: list[str] = Field([], description="Lines the file must hold, anywhere.")

    def describe(self) -> str:
        return f"{self.path} at {self.rev}"

    def run(self, ctx: CheckContext) -> Outcome:
        problem = self.has_repository(ctx)
        if problem:
            return problem
        evidence = f"git -C {self.repo} show {shlex.quote(f'{self.rev}:{self.path}')}"
        if self.resolve(ctx, self.rev) is None:
            return failed(f"the repository has no {self.rev} yet", expected=self.rev, found=None, evidence=evidence)
        code, text = self.git(ctx, "show", f"{self.rev}:{self.path}")
        if code != 0:
            return failed(f"{self.path} is not in {self.rev}", expected=self.path, found=None, evidence=evidence)
        lines = _lines(text)
        markers = [line for line in lines if _MARKERS.match(line)]
        if markers:
            return failed(f"{self.path} on {self.rev} still holds conflict markers (<<<<<<<, =======, >>>>>>>): "
                          "delete them, keep the lines you want, commit and push", expected="no markers",
                          found=markers[:3], evidence=evidence)
        missing = [line for line in self.has_lines if line.rstrip() not in lines]
        if missing:
            return failed(f"{self.path} on {self.rev} lacks the line {missing[0]!r}", expected=self.has_lines,
                          found=lines[:20], evidence=evidence)
        if self.equals is not None and lines != _lines(self.equals):
            want = _lines(self.equals)
            index = next((i for i, (a, b) in enumerate(zip(lines, want)) if a != b), min(len(lines), len(want)))
            found = repr(lines[index]) if index < len(lines) else "nothing (the file ends)"
            expected = repr(want[index]) if index < len(want) else "nothing more"
            return failed(f"{self.path} on {self.rev} is not the expected content: line {index + 1} is {found}, "
                          f"expected {expected}", expected=want, found=lines[:20], evidence=evidence)
        return passed(f"{self.path} on {self.rev} is as expected", evidence=evidence)
