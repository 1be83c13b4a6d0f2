"""linux.cron_job: a user's cron job, read from the installed crontabs and run now as cron would run it."""
from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import re
import time

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import NAME_PATTERN, STDERR_MARK, observe, run_in_box, shortened
from .crontab import CRON_D_NAME, Job, ScheduleError, describe_gap, longest_gap, parse_crontab, split_percent

SPOOL = "/var/spool/cron/crontabs"
ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/cron.service"
JOB_SECONDS = 20       # one run of a job
MAX_JOBS = 5           # runs per check
TOLERANCE = 90         # seconds between the job's timestamp and now

# The box's file system as seen from beside it: the observer shares the box's processes, so /proc/1/root is the
# box's root (its PID 1), read with the observer's own clean programs.
BOX_ROOT = "/proc/1/root"

# One look at everything cron reads: the crontabs (owner, mode, content), whether a real cron runs (its
# program is the box's /usr/sbin/cron), whether cron is enabled, and the user's home.
STATE_SCRIPT = r"""
import base64, json, os, sys
root, spool, user, link = sys.argv[1:5]
names = {}
homes = {}
with open(root + "/etc/passwd", encoding="utf-8", errors="replace") as f:
    for line in f:
        p = line.rstrip("\n").split(":")
        if len(p) >= 7 and p[2].isdigit():
            names.setdefault(int(p[2]), p[0])
            homes[p[0]] = p[5]
def facts(path):
    try:
        st = os.stat(root + path)
    except OSError:
        return None
    data = b""
    if os.path.isfile(root + path):
        with open(root + path, "rb") as f:
            data = f.read(200000)
    return {"owner": names.get(st.st_uid, str(st.st_uid)), "mode": st.st_mode & 0o7777,
            "regular": os.path.isfile(root + path), "content": base64.b64encode(data).decode()}
out = {"spool": {}, "cron_d": {}, "etc": facts("/etc/crontab"), "home": homes.get(user), "pam_env": {}}
# Debian's cron opens a PAM session (pam_env): the job also gets /etc/environment and the locale, below cron's own.
for name in ("/etc/environment", "/etc/default/locale"):
    try:
        with open(root + name, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("export "):
                    line = line[7:].strip()
                key, sep, value = line.partition("=")
                if sep and key and not key.startswith("#") and " " not in key:
                    out["pam_env"][key] = value.strip().strip("\"'")
    except OSError:
        pass
for folder, key in ((spool, "spool"), ("/etc/cron.d", "cron_d")):
    try:
        entries = sorted(os.listdir(root + folder))
    except OSError:
        entries = []
    for name in entries:
        out[key][name] = facts(folder + "/" + name)
running = False
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        running = running or os.readlink(f"/proc/{pid}/exe") == "/usr/sbin/cron" and os.path.samefile(
            f"/proc/{pid}/root", root)
    except OSError:
        pass
out["cron_running"] = running
try:
    target = os.readlink(root + link)
    out["cron_enabled"] = os.path.isfile(root + os.path.join(os.path.dirname(link), target))
except OSError:
    out["cron_enabled"] = os.path.isfile(root + link)
print(json.dumps(out))
"""

MONTH_NAMES = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
TIMESTAMPS = [
    # ISO 8601 / RFC 3339, with or without seconds, zone or fraction (date -Is, date '+%F %T')
    re.compile(r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ](?P<h>\d\d):(?P<mi>\d\d)(?::(?P<s>\d\d)(?:[.,]\d+)?)?"
               r"\s*(?P<z>Z|UTC|GMT|[+-]\d\d:?\d\d)?"),
    # date's default output in the C locale: Tue Dec  1 06:02:37 UTC 2026 (also without the zone)
    re.compile(rf"(?P<mon>{MONTH_NAMES})\s+(?P<d>\d{{1,2}})\s+(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)\s+"
               r"(?:(?P<z>[A-Z]{2,5}|[+-]\d{4})\s+)?(?P<y>\d{4})"),
]
EPOCH = re.compile(r"(?<![\d.])1\d{9}(?:\.\d+)?(?![\d])")


def timestamps_in(line: str) -> list[float]:
    """Every date-and-time found in a line, as seconds since the epoch (no zone: the box's, UTC)."""
    found: list[float] = []
    for pattern in TIMESTAMPS:
        for m in pattern.finditer(line):
            g = m.groupdict()
            month = int(g["mo"]) if g.get("mo") else MONTH_NAMES.split("|").index(g["mon"]) + 1
            try:
                moment = dt.datetime(int(g["y"]), month, int(g["d"]), int(g["h"]), int(g["mi"]), int(g["s"] or 0))
            except ValueError:
                continue
            offset = 0
            zone = g.get("z") or ""
            if re.fullmatch(r"[+-]\d\d:?\d\d", zone):
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
            found.append(moment.replace(tzinfo=dt.timezone.utc).timestamp() - offset)
    try:  # date -R: Tue, 01 Dec 2026 06:02:37 +0000
        parsed = email.utils.parsedate_to_datetime(line.strip())
        found.append(parsed.timestamp())
    except (TypeError, ValueError, IndexError):
        pass
    found += [float(m.group(0)) for m in EPOCH.finditer(line)]
    return found


@register("linux.cron_job", service_kind="linuxbox")
class LinuxCronJob(Check):
    user: str = Field(pattern=NAME_PATTERN, description="Whose job: it runs as this user (their crontab, or a "
                                                        "line for them in /etc/crontab or /etc/cron.d).")
    writes: str = Field(pattern=r"^/", min_length=2, description="The file a run of the job must change.")
    every_minutes: int | None = Field(1, ge=1, description="The job must run at least this often (None: any "
                                                           "schedule that fires).")
    timestamp: bool = Field(True, description="The last line of `writes` must hold the current date and time "
                                              "(ISO 8601, date's own format, date -R or seconds since 1970).")

    def describe(self) -> str:
        cadence = ""
        if self.every_minutes:
            cadence = " every minute" if self.every_minutes == 1 else f" at least every {self.every_minutes} minutes"
        return f"a cron job of {self.user}{cadence} that writes {self.writes}"

    def needs_seconds(self) -> float:
        return JOB_SECONDS * 2 + 10

    # ---- reading --------------------------------------------------------------------------------

    def _state(self, ctx: CheckContext) -> dict:
        code, out = observe(ctx, self, ["python3", "-c", STATE_SCRIPT, BOX_ROOT, SPOOL, self.user, ENABLED_LINK])
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise CheckError(f"could not read the box's crontabs (exit {code}): {out.strip()[-300:]}") from None

    def _jobs(self, state: dict) -> tuple[list[Job], list[str], list[str]]:
        """(this user's jobs cron reads, problems with them, other users who have a job)."""
        jobs: list[Job] = []
        problems: list[str] = []
        others: list[str] = []

        def text(facts: dict) -> str:
            return base64.b64decode(facts["content"]).decode("utf-8", "replace").replace("\r\n", "\n")

        for name, facts in state["spool"].items():
            if facts is None or not facts["regular"]:
                continue
            where = f"{name}'s crontab ({SPOOL}/{name})"
            if name != self.user:
                if parse_crontab(text(facts), where, user=name).jobs:
                    others.append(name)
                continue
            if facts["owner"] != name or facts["mode"] != 0o600:
                problems.append(f"cron ignores {SPOOL}/{name}: it must be owned by {name} with mode 600 "
                                f"(it is owned by {facts['owner']}, mode {facts['mode']:o}); install a crontab "
                                f"with `crontab -e` (or `sudo crontab -u {name} FILE`), never by copying the file there")
                continue
            table = parse_crontab(text(facts), f"{name}'s crontab", user=name)
            jobs += table.jobs
            problems += table.problems
        system = [("/etc/crontab", state["etc"])]
        system += [(f"/etc/cron.d/{name}", facts) for name, facts in state["cron_d"].items()]
        for path, facts in system:
            if facts is None or not facts["regular"]:
                continue
            table = parse_crontab(text(facts), path)
            mine = [job for job in table.jobs if job.user == self.user]
            others += [job.user for job in table.jobs if job.user not in (self.user, "root")]
            if not mine:
                continue
            name = path.rsplit("/", 1)[-1]
            if path.startswith("/etc/cron.d/") and not CRON_D_NAME.match(name):
                problems.append(f"cron ignores {path}: a file in /etc/cron.d is read only when its name has just "
                                f"letters, digits, - and _ (no dot); rename it, e.g. `sudo mv {path} "
                                f"/etc/cron.d/{re.sub(r'[^A-Za-z0-9_-]', '-', name)}`")
                continue
            if facts["owner"] != "root" or facts["mode"] & 0o022:
                problems.append(f"cron ignores {path}: it must be owned by root and writable by root only "
                                f"(`sudo chown root: {path} && sudo chmod 644 {path}`)")
                continue
            jobs += mine
            problems += table.problems
        return jobs, problems, sorted(set(others))

    # ---- running --------------------------------------------------------------------------------

    def _file(self, ctx: CheckContext) -> tuple[str, str] | None:
        """(size and modification time, last line) of `writes`, or None when it does not exist."""
        code, out = observe(ctx, self, ["sh", "-c", 'f="$1$2"; stat -L -c "%s %.9Y" -- "$f" && tail -n 3 -- "$f"',
                                        "labctl", BOX_ROOT, self.writes])
        if code != 0:
            return None
        stamp, _, tail = out.partition("\n")
        lines = [line for line in tail.splitlines() if line.strip()]
        return stamp.strip(), (lines[-1] if lines else "")

    def _run_job(self, ctx: CheckContext, job: Job, home: str, pam_env: dict) -> tuple[int, str]:
        """Runs the job's command now as cron would: as its user, from their home, with only cron's
        environment (SHELL=/bin/sh, PATH=/usr/bin:/bin, HOME, LOGNAME, and the crontab's settings above
        it, over what PAM adds from /etc/environment), its `%` input on stdin. Returns (exit code, what it printed)."""
        env = dict(pam_env)  # /etc/environment and the locale, as PAM gives them (cron's own settings win)
        env.update({"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": home, "LOGNAME": job.user})
        env.update(job.env)
        command, stdin = split_percent(job.command)
        runner = ('cd "$HOME" 2>/dev/null || cd /; '
                  'if [ -n "$2" ]; then printf "%s" "$3" | timeout "$4" "$SHELL" -c "$1"; '
                  'else timeout "$4" "$SHELL" -c "$1" </dev/null; fi')
        argv = ["env", "-i", *[f"{k}={v}" for k, v in env.items()], "/bin/sh", "-c", runner, "cron",
                command, "1" if stdin is not None else "", stdin or "", str(JOB_SECONDS)]
        code, out = run_in_box(ctx, self, argv, job.user)
        return code, out.replace(STDERR_MARK, "")

    # ---- the check ------------------------------------------------------------------------------

    def run(self, ctx: CheckContext) -> Outcome:
        state = self._state(ctx)
        evidence = f"the crontabs cron reads ({SPOOL}/{self.user}, /etc/crontab, /etc/cron.d/*)"
        if not state["cron_running"]:
            return failed("the cron daemon is not running, so no job runs; start it and make it start with the box: "
                          "`sudo systemctl enable --now cron`", expected="cron running", found="not running",
                          evidence="ps -eo comm")
        if not state["cron_enabled"]:
            return failed("cron runs now but is not enabled, so it will not start again when the box restarts: "
                          "`sudo systemctl enable cron`", expected="enabled", found="disabled", evidence=ENABLED_LINK)
        if state["home"] is None:
            return failed(f"there is no user {self.user}; a cron job of theirs needs the user first",
                          expected=self.user, found=None)
        jobs, problems, others = self._jobs(state)
        said = (" " + " ".join(problems)) if problems else ""
        if not jobs:
            elsewhere = (f" ({', '.join(others)} {'has' if len(others) == 1 else 'have'} one: a job must be in "
                         f"{self.user}'s own crontab to run as {self.user})") if others else ""
            return failed(f"{self.user} has no cron job that cron reads{elsewhere}.{said} Add one with "
                          f"`sudo crontab -u {self.user} -e` (or `crontab -e` as {self.user}); "
                          f"`sudo crontab -u {self.user} -l` lists what is installed",
                          expected=f"a job of {self.user}", found=None, evidence=evidence)
        cadence_problems = []
        timely = []
        for job in jobs:
            try:
                gap = longest_gap(job.schedule)
            except ScheduleError as exc:  # parse_crontab refused such lines already
                cadence_problems.append(f"{job.source}, line {job.line_no}: {exc}")
                continue
            if gap is None:
                what = ("runs only when the box starts" if job.schedule.strip().lower() == "@reboot"
                        else "never runs: no date matches it")
                cadence_problems.append(f"the schedule {job.schedule!r} ({job.source}, line {job.line_no}) {what}")
            elif self.every_minutes and gap > self.every_minutes:
                cadence_problems.append(f"the schedule {job.schedule!r} ({job.source}, line {job.line_no}) waits up "
                                        f"to {describe_gap(gap)} between runs; expected every "
                                        f"{describe_gap(self.every_minutes)} (`* * * * *` runs every minute)")
            else:
                timely.append(job)
        if not timely:
            return failed(" ".join(cadence_problems) + said, expected=self.describe(),
                          found=[j.schedule for j in jobs], evidence=evidence)
        outcomes = []
        for job in timely[:MAX_JOBS]:
            before = self._file(ctx)
            started = time.time()
            code, out = self._run_job(ctx, job, state["home"], state["pam_env"])
            after = self._file(ctx)
            where = f"{job.source}, line {job.line_no}"
            evidence = f"`{job.command}` ({where}), run as {job.user} with cron's environment"
            if after is not None and after != before:
                if not self.timestamp:
                    return passed(f"{self.user}'s cron job ({where}) runs {describe_schedule(job)} and writes "
                                  f"{self.writes}", evidence=evidence)
                now = time.time()
                stamps = timestamps_in(after[1])
                if any(started - TOLERANCE <= s <= now + TOLERANCE for s in stamps):
                    return passed(f"{self.user}'s cron job ({where}) runs {describe_schedule(job)} and writes the "
                                  f"current time to {self.writes}", evidence=evidence)
                outcomes.append(failed(
                    f"the job ({where}) writes {self.writes}, but its last line {after[1][:80]!r} does not hold the "
                    "current date and time; write one, e.g. with `date` or `date -Is`"
                    + ("" if not stamps else " (the time in it is not now: is it typed in?)"),
                    expected="the current date and time", found=after[1][:200], evidence=evidence))
                continue
            outcomes.append(self._not_written(job, where, code, out, evidence, state["home"]))
        return outcomes[0] if outcomes else failed("no job ran", evidence=evidence)

    def _not_written(self, job: Job, where: str, code: int, out: str, evidence: str, home: str) -> Outcome:
        """Why a job that ran changed nothing, said for a beginner."""
        output = shortened(out.strip(), 300)
        tip = ""
        if code == 127 or "not found" in out:
            tip = (" Under cron, PATH is only /usr/bin:/bin (not your login shell's): write the program's full "
                   "path, e.g. /home/USER/bin/NAME, or set PATH= on a line above the job.")
        elif code == 124:
            tip = f" It did not end within {JOB_SECONDS} seconds."
        elif "Permission denied" in out:
            tip = f" The job runs as {job.user}: that user must be able to run the program and write the file."
        if "%" in split_percent(job.command)[0] or (split_percent(job.command)[1] is not None):
            tip += (" Cron ends the command at the first % and passes the rest as its input: write \\% "
                    "for a % the command needs (e.g. date +\\%s).")
        said = f" It exited with code {code}" + (f" and said: {output}." if output else ".")
        return failed(f"ran {self.user}'s cron job ({where}) as cron would, and {self.writes} did not change.{said}"
                      f"{tip} Try it as cron does: `sudo -u {job.user} env -i SHELL=/bin/sh PATH=/usr/bin:/bin "
                      f"HOME={home} sh -c 'COMMAND'`",
                      expected=f"{self.writes} written", found=f"exit {code}", evidence=evidence)


def describe_schedule(job: Job) -> str:
    gap = longest_gap(job.schedule)
    if not gap:
        return f"on {job.schedule}"
    return "every minute" if gap == 1 else f"at least every {describe_gap(gap)}"
