"""Reading crontabs as cron does: schedules and how often they fire, environment lines, the user field, %."""
from __future__ import annotations

import pytest

from labctl.check_families.linux.crontab import ScheduleError, longest_gap, parse_crontab, split_percent, when
from labctl.check_families.linux.cron import timestamps_in


@pytest.mark.parametrize("schedule, gap", [
    ("* * * * *", 1), ("*/1 * * * *", 1), ("0-59 * * * *", 1), ("*/5 * * * *", 5), ("0,30 * * * *", 30),
    ("0 * * * *", 60), ("@hourly", 60), ("@daily", 1440), ("15 3 * * *", 1440), ("0 0 * * 0", 10080),
    ("0 0 * * 7", 10080), ("0 0 * * sun", 10080), ("* * * * 1-5", 2881),
    # day of month and day of week both restricted: either one is enough (cron's rule)
    ("* * 1 * 1", 8641),
])
def test_longest_gap(schedule, gap):
    assert longest_gap(schedule) == gap


@pytest.mark.parametrize("schedule", ["* * 31 2 *", "* * 30 2 *", "0 0 31 4,6,9,11 *", "@reboot"])
def test_schedules_that_never_repeat(schedule):
    assert longest_gap(schedule) is None


def test_february_29_fires_in_leap_years_only():
    assert longest_gap("0 0 29 2 *") == 4 * 365 * 1440 + 1440


@pytest.mark.parametrize("schedule, words", [
    ("60 * * * *", "minute field allows 0-59"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"),
    ("* * * 13 *", "month"), ("* * * * 8", "day of week"), ("*/0 * * * *", "bad step"),
    ("* * * *", "has 4"), ("@often", "not a schedule cron knows"), ("5-1 * * * *", "out of range"),
])
def test_schedules_cron_refuses(schedule, words):
    with pytest.raises(ScheduleError, match=words):
        when(schedule)


def test_user_crontab_lines_and_environment():
    table = parse_crontab('SHELL=/bin/bash\nPATH = "/a:/b"\n# a comment\n\n* * * * * echo one\n'
                          'HOME=/tmp\n@hourly echo two\nnot a line\n', "x's crontab", user="x")
    first, second = table.jobs
    assert (first.schedule, first.command, first.user) == ("* * * * *", "echo one", "x")
    assert first.env == {"SHELL": "/bin/bash", "PATH": "/a:/b"}
    assert second.env == {"SHELL": "/bin/bash", "PATH": "/a:/b", "HOME": "/tmp"}
    assert second.schedule == "@hourly"
    assert table.problems == ["x's crontab, line 8: cron cannot read 'not a line'"]


def test_system_crontab_has_a_user_field_and_a_last_line_needs_its_line_end():
    table = parse_crontab("* * * * * deploy date >> /tmp/x\n*/2 * * * * root true", "/etc/cron.d/hb")
    assert [(j.user, j.command) for j in table.jobs] == [("deploy", "date >> /tmp/x")]
    assert "no line end" in table.problems[0]


def test_percent_ends_the_command_and_feeds_its_input():
    assert split_percent("date +%s >> f") == ("date +", "s >> f\n")
    assert split_percent(r"date +\%s >> f") == ("date +%s >> f", None)
    assert split_percent("mail -s hi x%line one%line two") == ("mail -s hi x", "line one\nline two\n")
    assert split_percent("echo plain") == ("echo plain", None)


def test_timestamps_in_a_line():
    now = 1796025600.0  # 2026-11-30 08:00:00 UTC
    for line in ["2026-11-30T08:00:00+00:00", "2026-11-30T09:00:00+01:00", "2026-11-30 08:00:00",
                 "2026-11-30T08:00:00Z alive", "Mon Nov 30 08:00:00 UTC 2026", "Mon Nov 30 08:00:00 2026",
                 "Mon, 30 Nov 2026 08:00:00 +0000", "beat 1796025600", "2026-11-30T08:00:00.123456789+00:00"]:
        assert now in timestamps_in(line), line
    assert timestamps_in("alive") == []
    assert timestamps_in("2026-11-30") == []
