"""Live tests of linux.cron_job against a real box: the installed crontabs, read as cron reads them, and the
job run now as cron would run it (its user, cron's PATH, its % input)."""
from __future__ import annotations

import time

import pytest

from tests.live.box import box_context, check_runner, ok, running_box, shell

pytestmark = pytest.mark.live
LOG = "/home/cronny/heartbeat.log"


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    with running_box(tmp_path_factory, "cron") as found:
        yield found


@pytest.fixture
def ctx(box):
    with box_context(box) as context:
        yield context


@pytest.fixture
def sh(ctx):
    return shell(ctx)


@pytest.fixture
def fresh(sh):
    """A user cronny with ~/bin/heartbeat (on their login PATH, not on cron's), no crontab anywhere, cron running."""
    sh("id cronny >/dev/null 2>&1 || useradd -m -s /bin/bash cronny; crontab -u cronny -r 2>/dev/null; "
       "rm -f /etc/cron.d/hb /etc/cron.d/hb.cron " + LOG + "; "
       "install -d -o cronny -g cronny /home/cronny/bin; "
       "printf '#!/bin/sh\\ndate -Is >> \"$HOME/heartbeat.log\"\\n' > /home/cronny/bin/heartbeat; "
       "chmod 755 /home/cronny/bin/heartbeat; chown cronny: /home/cronny/bin/heartbeat; "
       "systemctl enable cron >/dev/null 2>&1; systemctl start cron; true")
    yield sh
    sh("crontab -u cronny -r 2>/dev/null; rm -f /etc/cron.d/hb /etc/cron.d/hb.cron; "
       "systemctl enable cron >/dev/null 2>&1; systemctl start cron; true")


def install(sh, line: str) -> None:
    sh(f"printf '%s\\n' {_q(line)} | crontab -u cronny -")


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture
def check(ctx):
    run = check_runner(ctx, type="linux.cron_job", user="cronny", writes=LOG)
    return lambda **params: run(params)


def no(result, *words: str) -> None:
    assert result.status.value == "failed", result.message
    for word in words:
        assert word in result.message, result.message


def test_every_minute_job_with_full_path_passes_and_writes_now(fresh, check):
    install(fresh, "* * * * * /home/cronny/bin/heartbeat")
    started = time.time()
    ok(check())
    stamp = fresh(f"tail -n1 {LOG}").strip()
    assert stamp.startswith(time.strftime("%Y-%m-%d", time.gmtime(started))), stamp
    assert fresh(f"stat -c %U {LOG}").strip() == "cronny"  # run as the job's user, not root


def test_job_relying_on_the_login_path_fails(fresh, check):
    install(fresh, "* * * * * heartbeat")
    no(check(), "did not change", "PATH is only /usr/bin:/bin")


def test_path_set_in_the_crontab_passes(fresh, check):
    install(fresh, "PATH=/home/cronny/bin:/usr/bin:/bin\n* * * * * heartbeat")
    ok(check())


def test_unescaped_percent_fails_and_escaped_passes(fresh, check):
    install(fresh, "* * * * * date +%s >> " + LOG)
    no(check(), "did not change", "write \\% for a %")
    install(fresh, "* * * * * date +\\%s >> " + LOG)
    ok(check())


def test_schedules(fresh, check):
    install(fresh, "* * 31 2 * /home/cronny/bin/heartbeat")
    no(check(), "never runs")
    install(fresh, "*/5 * * * * /home/cronny/bin/heartbeat")
    no(check(), "waits up to 5 minutes between runs")
    ok(check(every_minutes=5))
    install(fresh, "@reboot /home/cronny/bin/heartbeat")
    no(check(every_minutes=None), "runs only when the box starts")
    install(fresh, "@hourly /home/cronny/bin/heartbeat")
    ok(check(every_minutes=None))


def test_no_timestamp_fails_unless_not_asked(fresh, check):
    install(fresh, "* * * * * echo alive >> " + LOG)
    no(check(), "does not hold the current date and time")
    ok(check(timestamp=False))


def test_crontab_never_installed_and_wrong_user(fresh, check):
    fresh("echo '* * * * * /home/cronny/bin/heartbeat' > /home/cronny/crontab.txt")
    no(check(), "cronny has no cron job that cron reads")
    fresh("echo '* * * * * /home/cronny/bin/heartbeat' | crontab -")   # root's crontab
    try:
        no(check(), "root has one")
    finally:
        fresh("crontab -r")


def test_cron_d_files(fresh, check):
    fresh("echo '* * * * * cronny /home/cronny/bin/heartbeat' > /etc/cron.d/hb.cron")
    no(check(), "cron ignores /etc/cron.d/hb.cron", "no dot")
    fresh("mv /etc/cron.d/hb.cron /etc/cron.d/hb")
    ok(check())
    fresh("chmod 666 /etc/cron.d/hb")
    no(check(), "must be owned by root and writable by root only")


def test_hand_copied_spool_file_is_ignored(fresh, check):
    fresh("echo '* * * * * /home/cronny/bin/heartbeat' > /var/spool/cron/crontabs/cronny")  # root's, 644
    no(check(), "must be owned by cronny with mode 600")


def test_cron_stopped_or_disabled_fails(fresh, check):
    install(fresh, "* * * * * /home/cronny/bin/heartbeat")
    fresh("systemctl disable cron")
    no(check(), "not enabled")
    fresh("systemctl enable cron && systemctl stop cron")
    no(check(), "the cron daemon is not running")


def test_job_runs_with_crons_environment_and_input(fresh, check):
    out = "/home/cronny/env.txt"
    install(fresh, 'MYVAR = "set above"\n* * * * * echo "$HOME $LOGNAME $SHELL $PATH $(pwd) $MYVAR $APP_ENV $FROMPAM" > '
            + out + '; cat >> ' + out + ' %first line%second')
    fresh("echo 'export APP_ENV=from-login' >> /home/cronny/.profile")
    # Debian's cron adds /etc/environment through PAM, under its own PATH and HOME (seen with the real daemon).
    fresh("cp /etc/environment /tmp/environment.saved; printf 'FROMPAM=yes\\nPATH=/nope\\nHOME=/nope\\n' >> /etc/environment")
    try:
        ok(check(writes=out, timestamp=False))
    finally:
        fresh("cp /tmp/environment.saved /etc/environment")
    assert fresh(f"cat {out}") == ("/home/cronny cronny /bin/sh /usr/bin:/bin /home/cronny set above  yes\n"
                                   "first line\nsecond\n")


def test_a_process_named_cron_is_not_cron(fresh, check):
    install(fresh, "* * * * * /home/cronny/bin/heartbeat")
    fresh("systemctl stop cron; cp /bin/sleep /usr/local/bin/cron; (setsid /usr/local/bin/cron 60 >/dev/null 2>&1 &)")
    try:
        no(check(), "the cron daemon is not running")
    finally:
        fresh("pkill -x cron; rm -f /usr/local/bin/cron")
