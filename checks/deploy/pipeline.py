"""Push-to-deploy checks: a push with a unique marker is served (in a new release folder, behind a `current`
symlink, with no failed request while it deploys), a push with a failing test is not, a rollback brings the
previous release back, and the site serves the last release after a reboot."""
from __future__ import annotations

import time
from typing import ClassVar

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from ..linux.common import NAME_PATTERN, run_in_box, shortened
from .box import (Answer, Stream, curl, facts, get, hook_lines, link_target, new_marker, poll, push, site,
                  version_in)

MEMO = "deploy.served"  # the marker the site should serve now, for a later check of the same run


class DeployCheck(Check):
    # It pushes commits to the learner's repository and deploys them: only once the checks before it pass.
    disruptive: ClassVar[bool] = True

    repo: str = Field("/srv/git/app.git", pattern=r"^/", description="The bare repository the learner pushes to.")
    branch: str = Field("main", pattern=r"^[A-Za-z0-9._/-]+$", description="The branch that deploys.")
    file: str = Field("VERSION", pattern=r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*$",
                      description="The file of the project whose content the site serves at `path`.")
    path: str = Field("/version", pattern=r"^/", description="Where the site serves the content of `file`.")
    releases: str = Field("/srv/app/releases", pattern=r"^/", description="The folder of the release folders.")
    current: str = Field("/srv/app/current", pattern=r"^/", description="The symlink to the release that runs.")
    user: str = Field("learner", pattern=NAME_PATTERN, description="Who pushes (the hooks run as this user).")
    wait: float = Field(10, gt=0, le=120, description="Seconds a push (or rollback) may take to be served once it returned.")

    def needs_seconds(self) -> float:
        return 3 * self.wait + 30

    # -- pieces the check types share --

    def _current(self, ctx: CheckContext) -> tuple[str | None, str | None]:
        """(the release folder `current` points to, None) or (None, a failure message)."""
        found = facts(ctx, self, self.current)
        if found is None:
            return None, f"{self.current} does not exist; it must be a symlink to the release that runs"
        if found.kind != "symlink" or not found.target:
            return None, (f"{self.current} is a {found.kind}, not a symlink: switch releases with "
                          f"`ln -sfn RELEASE_FOLDER {self.current}` (remove the {found.kind} first: `sudo rm -r {self.current}`)")
        target = link_target(self.current, found.target)
        if not target.startswith(self.releases.rstrip("/") + "/") or "/" in target[len(self.releases.rstrip("/")) + 1:]:
            return None, f"{self.current} points to {target}; expected a release folder right inside {self.releases}/"
        return target, None

    def _other_branch(self, ctx: CheckContext) -> Outcome | None:
        """A push to another branch must not be deployed (its hook runs as soon as the push returns)."""
        before, problem = self._current(ctx)
        if problem:
            return failed(problem, expected="a symlink", found=None)
        marker = new_marker()
        other = f"labctl-probe-{marker.removeprefix('labctl-')}"
        try:
            pushed = push(ctx, self, repo=self.repo, branch=self.branch, file=self.file, marker=marker,
                          user=self.user, to=other)
            after, _ = self._current(ctx)
        finally:
            run_in_box(ctx, self, ["git", f"--git-dir={self.repo}", "branch", "-D", other], self.user)
        if pushed.ok and after != before:
            return failed(f"a push to the branch {other} (not {self.branch}) was deployed: {self.current} now points "
                          f"to {after}. Only {self.branch} deploys: skip other refs in the hook with "
                          f"`[ \"$ref\" = refs/heads/{self.branch} ] || continue`", expected=before, found=after,
                          evidence=f"git push origin HEAD:{other}")
        return None

    def _served(self, ctx: CheckContext) -> tuple[str, int, Answer]:
        host, port = site(ctx, self)
        return host, port, get(host, port, self.path)

    def _deploy(self, ctx: CheckContext, *, stream: bool = False) -> tuple[str, str, str] | Outcome:
        """Push a new marker and wait until it is served from a new release: (marker, release, previous
        release), or the failure."""
        ctx.memo.pop(MEMO, None)  # what an earlier check of this run deployed is not what runs now
        before, problem = self._current(ctx)
        if problem:
            return failed(problem, expected="a symlink", found=None)
        assert before is not None
        old_version = version_in(ctx, self, before, self.file)
        host, port = site(ctx, self)
        marker = new_marker()
        runner = Stream(host, port, "/") if stream else None
        if runner:
            runner.__enter__()
        try:
            pushed = push(ctx, self, repo=self.repo, branch=self.branch, file=self.file, marker=marker, user=self.user)
            if not pushed.ok:
                return failed(f"a push to {self.branch} was refused: {shortened(pushed.output, 400)}",
                              expected="accepted", found="refused", evidence=f"git push ({self.repo})")
            served, last = poll(host, port, self.path, marker, self.wait)
            if served and runner:
                # a little longer: a deploy that switches first and stops the old app afterwards drops requests late
                poll(host, port, "/__labctl-none__", "never", 1.5)
        finally:
            if runner:
                runner.stop()
        said = hook_lines(pushed)
        evidence = f"git push of a commit changing {self.file}; then {curl(host, port, self.path)}"
        if not served:
            now = f"still answers {last.body[:60]!r}" if last.status == 200 else last.said()
            return failed(f"{self.wait:g}s after a push to {self.branch}, {curl(host, port, self.path)} {now}; expected "
                          f"the pushed commit's {self.file}. Is {self.repo}/hooks/post-receive there and executable "
                          f"(`chmod +x`)? Does it restart the app? " + (f"The hooks said: {said}" if said else
                                                                       "The push printed nothing from a hook."),
                          expected="the new release served", found=last.body[:200] or last.said(), evidence=evidence)
        if runner:
            ctx.memo["deploy.requests"] = ctx.memo.get("deploy.requests", 0) + runner.sent
        if runner and runner.failures:
            at, first = runner.first or (0.0, last)
            return failed(f"{runner.failures} of {runner.sent} requests failed while the push deployed (the first "
                          f"{at:.1f}s in: {first.said()}): the app was down during the switch. Start the new release "
                          f"before the old one stops: `sudo systemctl reload app` instead of restart "
                          f"(or two instances and a graceful `nginx -s reload`)",
                          expected="0 failed requests", found=runner.failures,
                          evidence=f"{runner.sent} GETs of {curl(host, port, '/')} during the push")
        after, problem = self._current(ctx)
        if problem:
            return failed(f"after the push, {problem}", expected="a symlink", found=None, evidence=evidence)
        assert after is not None
        if after == before:
            return failed(f"the push was deployed into the same folder as before ({before}): each push must get a "
                          f"new release folder, so the previous one stays for a rollback", expected="a new release",
                          found=after, evidence=evidence)
        if version_in(ctx, self, after, self.file) != marker:
            return failed(f"{self.current} points to {after}, which does not hold the pushed commit's {self.file}; "
                          f"switch it to the new release folder", expected=marker, found=after, evidence=evidence)
        kept = facts(ctx, self, before)
        if kept is None or kept.kind != "directory":
            return failed(f"the previous release {before} is gone after the push; keep old releases for a rollback",
                          expected="kept", found=None, evidence=evidence)
        if version_in(ctx, self, before, self.file) != old_version:
            return failed(f"the previous release {before} was changed by the push; deploy into a new folder and "
                          f"leave old ones as they are", expected="unchanged", found="changed", evidence=evidence)
        ctx.memo[MEMO] = marker
        return marker, after, before


# ---- deploy.push --------------------------------------------------------------------------------

@register("deploy.push", service_kind="linuxbox")
class DeployPush(DeployCheck):
    pushes: int = Field(1, ge=1, le=3, description="How many pushes in a row (two show a release folder reused).")
    other_branch: bool = Field(True, description="First push a branch other than `branch`: it must not be deployed.")
    zero_downtime: bool = Field(False, description="Stream requests to the site during each push (at most 400 in "
                                                   "20 s, 4 at a time): none may fail.")

    def needs_seconds(self) -> float:
        return self.pushes * (super().needs_seconds() + 20)

    def describe(self) -> str:
        return f"a push to {self.branch} is deployed" + (" with no failed request" if self.zero_downtime else "")

    def run(self, ctx: CheckContext) -> Outcome:
        if self.other_branch:
            problem = self._other_branch(ctx)
            if problem:
                return problem
        releases = []
        ctx.memo["deploy.requests"] = 0
        for number in range(self.pushes):
            done = self._deploy(ctx, stream=self.zero_downtime)
            if isinstance(done, Outcome):
                if number:
                    done = failed(f"push {number + 1} of {self.pushes}: {done.message}", expected=done.expected,
                                  found=done.found, evidence=done.evidence)
                return done
            releases.append(done[1])
        pushes = "a push" if self.pushes == 1 else f"{self.pushes} pushes"
        folders = "a new release folder" if self.pushes == 1 else "new release folders"
        return passed(f"{pushes} to {self.branch} served from {folders} ({', '.join(releases)})"
                      + (f", and none of {ctx.memo['deploy.requests']} requests sent meanwhile failed"
                         if self.zero_downtime else ""))


# ---- deploy.gate --------------------------------------------------------------------------------

@register("deploy.gate", service_kind="linuxbox")
class DeployGate(DeployCheck):
    settle: float = Field(4, gt=0, le=30, description="Seconds to watch the site after the failing push.")

    def describe(self) -> str:
        return "a push with a failing test is not deployed"

    def run(self, ctx: CheckContext) -> Outcome:
        ctx.memo.pop(MEMO, None)
        problem_ = self._other_branch(ctx)
        if problem_:
            return problem_
        before, problem = self._current(ctx)
        if problem:
            return failed(problem, expected="a symlink", found=None)
        host, port, first = self._served(ctx)
        if first.status != 200:
            return failed(f"the site does not serve {self.path} before the push ({first.said()}): "
                          f"`{curl(host, port, self.path)}`; do the earlier tasks first", expected=200, found=first.status)
        good = first.body
        bad = new_marker()
        pushed = push(ctx, self, repo=self.repo, branch=self.branch, file=self.file, marker=bad, user=self.user,
                      failing_test=True)
        said = hook_lines(pushed)
        evidence = f"git push of a commit changing {self.file} and adding a failing test; then {curl(host, port, self.path)}"
        served, last = poll(host, port, self.path, bad, self.settle)
        if served:
            return failed(f"a push whose tests fail was deployed: the site serves it. Run the tests "
                          f"(`python3 -m unittest`) in the new release before you switch {self.current}, and stop "
                          f"when they fail" + (f". The hooks said: {said}" if said else ""),
                          expected="not deployed", found="served", evidence=evidence)
        if last.status != 200 or last.body != good:
            return failed(f"after a push whose tests fail, the site no longer serves the last good release "
                          f"({curl(host, port, self.path)} {last.said()}, {last.body[:60]!r}): a failed deploy must "
                          f"leave the running release alone", expected=good, found=last.body[:200] or last.said(),
                          evidence=evidence)
        after, problem = self._current(ctx)
        if problem or after != before:
            return failed(f"after a push whose tests fail, {self.current} points to {after or problem}; it must "
                          f"stay on {before} (the app would start the broken release at the next restart)",
                          expected=before, found=after, evidence=evidence)
        # The next good push (it also removes the failing test) must still deploy.
        done = self._deploy(ctx)
        if isinstance(done, Outcome):
            return failed("after a refused push, the next good one is not deployed: " + done.message,
                          expected=done.expected, found=done.found, evidence=done.evidence)
        how = "refused" if not pushed.ok else "accepted but not deployed"
        return passed(f"a push whose tests fail was {how}; the last good release kept serving, and the next good "
                      f"push was deployed")


# ---- deploy.rollback ----------------------------------------------------------------------------

@register("deploy.rollback", service_kind="linuxbox")
class DeployRollback(DeployCheck):
    command: str = Field("sudo rollback", min_length=1, description="The rollback command, run by `user` in bash.")
    script: str | None = Field("/usr/local/bin/rollback", pattern=r"^/",
                               description="The rollback script: owned by root and writable by nobody else (sudo runs it).")
    after_failed_push: bool = Field(True, description="Push a commit with a failing test between the two good "
                                                      "ones: the rollback must go back to the last good release.")

    def describe(self) -> str:
        return f"`{self.command}` brings the previous release back"

    def run(self, ctx: CheckContext) -> Outcome:
        ctx.memo.pop(MEMO, None)
        first = self._deploy(ctx)
        if isinstance(first, Outcome):
            return failed("a push was not deployed (do the earlier tasks first): " + first.message,
                          expected=first.expected, found=first.found, evidence=first.evidence)
        bad = new_marker()
        if self.after_failed_push:
            # a commit whose test fails between the two: the rollback must skip it (it never ran)
            push(ctx, self, repo=self.repo, branch=self.branch, file=self.file, marker=bad, user=self.user,
                 failing_test=True)
            time.sleep(1.1)  # release folders are often named to the second: the next one sorts after this one
        second = self._deploy(ctx)
        if isinstance(second, Outcome):
            return failed("a second push was not deployed: " + second.message,
                          expected=second.expected, found=second.found, evidence=second.evidence)
        (old_marker, old_release, _), (new_marker_, new_release, _) = first, second
        code, out = run_in_box(ctx, self, ["bash", "-c", 'cd "$HOME" && ' + self.command], self.user)
        evidence = f"two pushes, then as {self.user}: {self.command}"
        if code != 0:
            hint = " (is /usr/local/bin/rollback there and executable?)" if code in (126, 127) or "not found" in out else ""
            return failed(f"`{self.command}` exited with code {code}{hint}: {shortened(out, 300)}",
                          expected=0, found=code, evidence=evidence)
        host, port = site(ctx, self)
        served, last = poll(host, port, self.path, old_marker, self.wait)
        if not served:
            now = "still serves the release it should leave" if last.body == new_marker_ else (
                "serves a release whose tests failed (it never ran: skip it, or do not keep failed releases)"
                if last.body == bad else "serves an older release, not the one just before"
                if last.status == 200 and last.body.startswith("labctl-") else
                f"answers {last.body[:60]!r}" if last.status == 200 else last.said())
            return failed(f"after `{self.command}`, the site {now}; expected the previous release. Switch "
                          f"{self.current} back, then restart or reload the app", expected="the previous release",
                          found=last.body[:200] or last.said(), evidence=evidence)
        target, problem = self._current(ctx)
        if problem or target != old_release:
            return failed(f"after `{self.command}`, {self.current} points to {target or problem}; expected the "
                          f"previous release {old_release}, so that a restart keeps it", expected=old_release,
                          found=target, evidence=evidence)
        kept = facts(ctx, self, new_release)
        if kept is None or kept.kind != "directory" or version_in(ctx, self, new_release, self.file) != new_marker_:
            return failed(f"the rollback lost the release it left ({new_release}); keep it, so you can go forward "
                          f"again without a new push", expected="kept", found=None, evidence=evidence)
        if self.script:
            found = facts(ctx, self, self.script)
            if found is not None and (found.uid != 0 or found.mode & 0o022):
                return failed(f"{self.script} is run as root (with sudo) but is "
                              + ("not owned by root" if found.uid != 0 else f"writable by others (mode {found.mode & 0o7777:04o})")
                              + f": anyone who can change it gets root. `sudo chown root: {self.script}` and "
                                f"`sudo chmod 755 {self.script}`", expected="owned by root, mode 755 or stricter",
                              found=f"uid {found.uid}, mode {found.mode & 0o7777:04o}", evidence=f"{self.script} (read through the engine)")
        ctx.memo[MEMO] = old_marker
        return passed(f"`{self.command}` switched back to {old_release} and kept {new_release}")


# ---- deploy.serves ------------------------------------------------------------------------------

@register("deploy.serves", service_kind="linuxbox")
class DeployServes(DeployCheck):
    """The site still serves what the last deploy.* check of the same run deployed (e.g. after linux.reboot)."""

    disruptive: ClassVar[bool] = False  # it only looks

    def describe(self) -> str:
        return "the site serves the current release"

    def run(self, ctx: CheckContext) -> Outcome:
        wanted = ctx.memo.get(MEMO)
        if wanted is None:
            return failed("nothing was deployed by the checks before this one, so there is no release to look for: "
                          "fix what they say first", expected="a deployed release", found=None)
        host, port = site(ctx, self)
        served, last = poll(host, port, self.path, wanted, self.wait)
        if not served:
            now = f"answers {last.body[:60]!r}" if last.status == 200 else last.said()
            return failed(f"the site no longer serves the current release: {curl(host, port, self.path)} {now}. "
                          f"After a restart the app service must start from {self.current}: is it enabled "
                          f"(`systemctl is-enabled app`)?", expected="the current release", found=last.body[:200] or last.said(),
                          evidence=curl(host, port, self.path))
        return passed("the site serves the current release")
