"""Reading crontabs as Debian's cron does: lines, environment settings, schedules (when they fire), `%`."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
KEYWORDS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
# run-parts' rule for the names of files in /etc/cron.d: any other name (a dot, e.g. heartbeat.cron) is ignored.
CRON_D_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
ENV_LINE = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[^\s=]+)\s*=\s*(.*)$")


class ScheduleError(ValueError):
    """A schedule cron refuses (the message says which field)."""


@dataclass(frozen=True)
class Job:
    source: str            # where it is, e.g. "deploy's crontab" or "/etc/cron.d/heartbeat"
    line_no: int
    schedule: str          # the 5 fields or the @keyword, as written
    user: str
    command: str           # as written (before % handling)
    env: dict = field(default_factory=dict)  # the settings above it in its file


@dataclass
class Crontab:
    jobs: list[Job]
    problems: list[str]    # lines cron would not read, said for a learner


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_crontab(text: str, source: str, *, user: str | None = None) -> Crontab:
    """The jobs of a crontab. `user` is the crontab's owner (a user crontab); None means a system crontab
    (/etc/crontab, /etc/cron.d/*), whose lines carry the user after the schedule."""
    jobs: list[Job] = []
    problems: list[str] = []
    env: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and lines[-1].strip() and not lines[-1].lstrip().startswith("#"):
        problems.append(f"{source}: its last line has no line end, and cron ignores such a line "
                        "(press Enter after the last line)")
        lines.pop()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not re.match(r"^[0-9*@]", line):
            m = ENV_LINE.match(line)
            if m:
                env[_unquote(m.group(1))] = _unquote(m.group(2))
                continue
            problems.append(f"{source}, line {number}: cron cannot read {line[:60]!r}")
            continue
        parts = line.split(None, 1)
        if parts[0].startswith("@"):
            schedule, rest = parts[0], parts[1] if len(parts) > 1 else ""
        else:
            fields = line.split(None, 5)
            schedule, rest = " ".join(fields[:5]), fields[5] if len(fields) > 5 else ""
        job_user = user
        if user is None:
            who = rest.split(None, 1)
            job_user, rest = (who[0], who[1] if len(who) > 1 else "") if who else ("", "")
        if not rest.strip():
            problems.append(f"{source}, line {number}: a schedule with no command"
                            + ("" if user else " (a system crontab needs: schedule, user, command)"))
            continue
        try:
            when(schedule)
        except ScheduleError as exc:
            problems.append(f"{source}, line {number}: {exc}")
            continue
        jobs.append(Job(source, number, schedule, job_user or "", rest.strip(), dict(env)))
    return Crontab(jobs, problems)


def _field(text: str, low: int, high: int, names: list[str] | None, what: str) -> tuple[set[int], bool]:
    """The values a schedule field allows, and whether it starts with * (cron's day-of-month/day-of-week rule)."""
    values: set[int] = set()

    def number(token: str) -> int:
        if names and token.lower() in names:
            return names.index(token.lower()) + (1 if what == "month" else 0)
        if not token.isdigit():
            raise ScheduleError(f"{what} {token!r} is not a number")
        return int(token)

    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"bad step {step_text!r} in the {what} field")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = number(a), number(b)
        else:
            start = number(base)
            end = high if step_text else start
        top = 7 if what == "day of week" else high
        if not (low <= start <= top and low <= end <= top) or start > end:
            raise ScheduleError(f"the {what} field allows {low}-{high}; {part!r} is out of range")
        values.update(range(start, end + 1, step))
    if what == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return values, text.startswith("*")


@dataclass(frozen=True)
class When:
    minutes: frozenset
    hours: frozenset
    days: frozenset
    months: frozenset
    weekdays: frozenset   # 0 = Sunday
    days_star: bool
    weekdays_star: bool
    at_reboot: bool = False

    def on_day(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:   # cron: either restricted field alone decides
            return in_month and in_week
        return in_month or in_week


def when(schedule: str) -> When:
    """The schedule's meaning; raises ScheduleError for one cron would refuse."""
    text = schedule.strip()
    if text.lower() == "@reboot":
        empty = frozenset()
        return When(empty, empty, empty, empty, empty, False, False, at_reboot=True)
    if text.startswith("@"):
        if text.lower() not in KEYWORDS:
            raise ScheduleError(f"{text} is not a schedule cron knows (@hourly, @daily, @weekly, @monthly, @yearly, @reboot)")
        text = KEYWORDS[text.lower()]
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(f"a schedule has 5 fields (minute hour day-of-month month day-of-week); {text!r} has {len(fields)}")
    minutes, _ = _field(fields[0], 0, 59, None, "minute")
    hours, _ = _field(fields[1], 0, 23, None, "hour")
    days, days_star = _field(fields[2], 1, 31, None, "day of month")
    months, _ = _field(fields[3], 1, 12, MONTHS, "month")
    weekdays, weekdays_star = _field(fields[4], 0, 6, DAYS, "day of week")
    return When(frozenset(minutes), frozenset(hours), frozenset(days), frozenset(months), frozenset(weekdays),
                days_star, weekdays_star)


def longest_gap(schedule: str, *, start: dt.date = dt.date(2024, 1, 1), years: int = 8) -> int | None:
    """The longest time in minutes between two runs over `years` years (a whole leap cycle); None when the
    schedule never fires (`* * 31 2 *`, or @reboot, which fires only when the box starts)."""
    spec = when(schedule)
    if spec.at_reboot:
        return None
    in_day = sorted(h * 60 + m for h in spec.hours for m in spec.minutes)
    if not in_day:
        return None
    gap = max((b - a for a, b in zip(in_day, in_day[1:])), default=0)
    last_day = None
    total_days = sum(366 if calendar.isleap(start.year + i) else 365 for i in range(years))
    for offset in range(total_days):
        day = start + dt.timedelta(days=offset)
        if not spec.on_day(day):
            continue
        if last_day is not None:
            between = (day - last_day).days * 1440 - in_day[-1] + in_day[0]
            gap = max(gap, between)
        last_day = day
    if last_day is None:
        return None
    return gap if gap else 1440  # fires once a day: a day apart


def split_percent(command: str) -> tuple[str, str | None]:
    """Cron's `%`: the command ends at the first unescaped %, the rest is its input with every further
    % as a line end; `\\%` is a plain %. Returns (command, input or None)."""
    out, rest = [], None
    i = 0
    while i < len(command):
        ch = command[i]
        if ch == "\\" and i + 1 < len(command) and command[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        if ch == "%":
            rest = command[i + 1:]
            break
        out.append(ch)
        i += 1
    if rest is None:
        return "".join(out), None
    text = re.sub(r"(?<!\\)%", "\n", rest).replace("\\%", "%")
    return "".join(out), text + ("" if text.endswith("\n") else "\n")


def describe_gap(minutes: int) -> str:
    if minutes % 1440 == 0 and minutes >= 1440:
        n = minutes // 1440
        return "a day" if n == 1 else f"{n} days"
    if minutes % 60 == 0:
        n = minutes // 60
        return "an hour" if n == 1 else f"{n} hours"
    return "a minute" if minutes == 1 else f"{minutes} minutes"
