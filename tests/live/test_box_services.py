"""Live: the Linux box's service manager behaves like systemd for what labs teach (docs/box-services.md): option
classes and refusals, daemon-reload, Restart= and the start limit, User=/WorkingDirectory=/EnvironmentFile=/
ExecStartPre=, journalctl, failed units, Debian's own units, non-root use, and a reboot (a container restart)."""
from __future__ import annotations

import re
import time

import docker
import pytest

from labctl.core import naming
from tests.live.box import SERVICE, running_box

pytestmark = pytest.mark.live
DOC = "/usr/share/doc/labctl-box/services.txt"


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    with running_box(tmp_path_factory, "svc") as found:
        yield found


@pytest.fixture
def sh(box):
    """sh("...") -> combined output of a bash command line in the box (root unless user=); asserts exit 0 unless ok=False."""
    manager, name = box

    def run(command: str, user: str | None = None, ok: bool = True) -> str:
        result = manager.runtime.exec(name, SERVICE, ["bash", "-c", command], user=user or "root", timeout=60)
        if ok:
            assert result.exit_code == 0, f"{command!r} exited {result.exit_code}: {result.output}"
        return result.output
    return run


def unit(sh, name: str, text: str) -> None:
    sh(f"cat > /etc/systemd/system/{name}.service <<'EOF'\n{text}\nEOF")


def props(sh, name: str) -> dict[str, str]:
    out = sh(f"systemctl show -p MainPID,ActiveState,SubState,NRestarts,Result {name}")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def wait_for(sh, name: str, state: str, seconds: float = 10) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        now = props(sh, name)
        if now["ActiveState"] == state or time.monotonic() > deadline:
            return now
        time.sleep(0.1)


# ---- options: supported, accepted without effect, refused ----------------------------------------

def test_a_refused_option_is_named_with_its_line_everywhere(sh):
    unit(sh, "dyn", "[Unit]\nDescription=Dynamic\n\n[Service]\nExecStart=/bin/sleep 300\nPrivateTmp=yes\n"
                    "DynamicUser=yes\n[Install]\nWantedBy=multi-user.target")
    refusal = ("dyn.service uses DynamicUser= ([Service], line 7), which this lab box's service manager does not "
               f"support; see the list in {DOC}")
    out = sh("systemctl start dyn", ok=False)
    assert refusal in out and "bad unit file setting" in out
    assert refusal in sh("systemctl enable dyn", ok=False)
    assert sh("systemctl is-enabled dyn", ok=False).strip() == "disabled"
    assert refusal in sh("systemctl daemon-reload 2>&1")
    status = sh("systemctl status dyn", ok=False)
    assert "Loaded: bad-setting" in status and refusal in status
    sh("sed -i /DynamicUser/d /etc/systemd/system/dyn.service && systemctl start dyn")  # PrivateTmp= is accepted
    assert props(sh, "dyn")["ActiveState"] == "active"
    sh("systemctl stop dyn")
    listing = sh(f"cat {DOC}")
    assert "[Service] PrivateTmp=" in listing.split("Accepted, without effect")[1]
    assert "[Service] User=" in listing.split("Accepted, without effect")[0]


def test_timers_and_other_unit_kinds_are_refused_with_cron_named(sh):
    out = sh("systemctl start apt-daily.timer", ok=False)
    assert "apt-daily.timer is a timer unit" in out and "use cron" in out
    sh("printf '[Unit]\\nDescription=t\\n[Timer]\\nOnCalendar=daily\\n' > /etc/systemd/system/beat.service")
    out = sh("systemctl start beat", ok=False)
    assert "beat.service uses [Timer] ([Timer], line 3)" in out and "use cron" in out
    assert "only .service units run" in sh("systemctl enable ssh.socket", ok=False)


def test_debian_units_of_the_box_packages_start(sh):
    # nginx.service from Debian (Type=forking, PIDFile=, KillMode=mixed, ExecStop=) once labctl's copy is moved aside.
    sh("mv /etc/labctl/services/nginx.service /root/labctl-nginx.service && systemctl daemon-reload")
    try:
        assert "/lib/systemd/system/nginx.service" in sh("systemctl cat nginx")
        sh("systemctl start nginx")
        now = props(sh, "nginx")
        assert now["ActiveState"] == "active" and now["MainPID"] == sh("cat /run/nginx.pid").strip()
        assert sh("curl -s -o /dev/null -w '%{http_code}' http://localhost/") == "200"
        sh("systemctl reload nginx && systemctl stop nginx")
        assert sh("pgrep nginx", ok=False) == ""
    finally:
        sh("mv /root/labctl-nginx.service /etc/labctl/services/nginx.service && systemctl daemon-reload")
    # Debian's ssh.service (Type=notify, Alias=, RestartPreventExitStatus=) on another port.
    sh("sed 's/-D \\$SSHD_OPTS/-D -p 2200/; s/^Alias=.*/Alias=sshd2.service/' /lib/systemd/system/ssh.service "
       "> /etc/systemd/system/ssh2.service")
    out = sh("systemctl enable --now ssh2 2>&1")
    assert "Created symlink /etc/systemd/system/sshd2.service → /etc/systemd/system/ssh2.service." in out
    assert sh("systemctl is-active sshd2").strip() == "active"
    assert sh("systemctl is-enabled sshd2 ssh2").split() == ["alias", "enabled"]
    assert ":2200 " in sh("ss -Hltn")
    sh("systemctl disable --now ssh2 && rm /etc/systemd/system/ssh2.service")
    assert "cron.service" in sh("systemctl list-unit-files")
    assert sh("systemctl is-enabled sshd").strip() == "alias" and "● ssh.service" in sh("systemctl status sshd")
    for name in ("cron", "ssh", "nginx"):  # Debian's own files load with no refused option
        sh(f"cp /lib/systemd/system/{name}.service /etc/systemd/system/deb-{name}.service")
        assert sh(f"systemctl show -p LoadState --value deb-{name}").strip() == "loaded", name
        sh(f"rm /etc/systemd/system/deb-{name}.service")


# ---- daemon-reload --------------------------------------------------------------------------------

def test_a_changed_unit_is_not_read_again_until_daemon_reload(sh):
    unit(sh, "ver", "[Service]\nExecStart=/bin/sh -c 'echo version one; exec sleep 300'")
    sh("systemctl start ver && sed -i 's/version one/version two/' /etc/systemd/system/ver.service")
    out = sh("systemctl restart ver 2>&1")
    assert ("Warning: The unit file, source configuration file or drop-ins of ver.service changed on disk. "
            "Run 'systemctl daemon-reload' to reload units.") in out
    assert "changed on disk" in sh("systemctl status ver 2>&1")
    assert sh("systemctl show ver -p NeedDaemonReload --value").strip() == "yes"
    assert "version two" not in sh("journalctl -u ver -o cat")
    sh("systemctl daemon-reload && systemctl restart ver")
    assert "version two" in sh("journalctl -u ver -o cat")
    sh("mkdir -p /etc/systemd/system/ver.service.d && printf '[Service]\\nEnvironment=V=three\\nExecStart=\\n"
       "ExecStart=/bin/sh -c \"echo version $V; exec sleep 300\"\\n' > /etc/systemd/system/ver.service.d/override.conf")
    sh("systemctl daemon-reload && systemctl restart ver")
    assert "version three" in sh("journalctl -u ver -n 3 -o cat")
    assert "Drop-In: /etc/systemd/system/ver.service.d/override.conf" in sh("systemctl status ver")
    sh("systemctl stop ver")
    unit(sh, "fresh", "[Service]\nExecStart=/bin/sleep 300")
    sh("systemctl start fresh && systemctl stop fresh")  # a new unit file is found without a reload


# ---- Restart= --------------------------------------------------------------------------------------

def test_kill_9_of_the_main_process_restarts_it(sh):
    unit(sh, "app", "[Service]\nExecStart=/usr/bin/python3 -u -c 'import time; print(\"listening on 8000\"); "
                    "time.sleep(300)'\nRestart=on-failure\nRestartSec=200ms")
    sh("systemctl start app")
    before = sh("systemctl show app --property=MainPID --value").strip()
    assert before != "0"
    sh(f"kill -9 {before}")
    time.sleep(0.8)
    now = props(sh, "app")
    assert now["ActiveState"] == "active" and now["MainPID"] not in ("0", before) and now["NRestarts"] == "1"
    log = sh("journalctl -u app --no-pager")
    assert "app.service: Main process exited, code=killed, status=9/KILL" in log
    assert "app.service: Scheduled restart job, restart counter is at 1." in log
    assert re.search(r"^\w{3} \d\d \d\d:\d\d:\d\d \S+ python3\[\d+\]: listening on 8000$", log, re.M), log
    sh("systemctl stop app")
    assert props(sh, "app")["ActiveState"] == "inactive"


def test_a_clean_exit_does_not_restart_and_a_crash_loop_hits_the_start_limit(sh):
    unit(sh, "once", "[Service]\nExecStart=/bin/true\nRestart=on-failure")
    sh("systemctl start once")
    assert wait_for(sh, "once", "inactive")["NRestarts"] == "0"
    unit(sh, "crash", "[Service]\nExecStart=/bin/sh -c 'echo crashing; exit 3'\nRestart=on-failure")
    out = sh("systemctl start crash", ok=False)
    assert "Job for crash.service failed" in out
    now = wait_for(sh, "crash", "failed")
    assert now["Result"] == "start-limit-hit" and now["NRestarts"] == "5"
    assert "crash.service: Start request repeated too quickly." in sh("journalctl -u crash")
    out = sh("systemctl start crash", ok=False)
    assert 'To force a start use "systemctl reset-failed crash.service"' in out
    sh("systemctl reset-failed crash")
    assert sh("systemctl is-failed crash", ok=False).strip() == "inactive"


# ---- User=, WorkingDirectory=, EnvironmentFile=, ExecStartPre= -----------------------------------

def test_user_groups_directory_and_environment(sh):
    sh("getent group appdata >/dev/null || groupadd appdata; id svcuser >/dev/null 2>&1 || useradd --system "
       "--groups appdata svcuser; mkdir -p /srv/app && printf 'PORT=8123\\nSECRET=\"s3\"\\n' > /srv/app/env")
    unit(sh, "who", "[Service]\nUser=svcuser\nWorkingDirectory=/srv/app\nEnvironmentFile=/srv/app/env\n"
                    "Environment=MODE=prod\nExecStartPre=/bin/echo pre ran\nExecStart=/bin/sh -c 'echo $(id -un) "
                    "$(id -Gn) $(pwd) $PORT $SECRET $MODE; exec sleep 300'\nExecReload=/bin/kill -HUP $MAINPID")
    sh("systemctl start who")
    log = sh("journalctl -u who -o cat")
    assert "pre ran" in log and "svcuser svcuser appdata /srv/app 8123 s3 prod" in log
    pid = sh("systemctl show -p MainPID --value who").strip()
    assert sh(f"ps -o user= -p {pid}").strip() == "svcuser"
    sh("systemctl reload who")  # $MAINPID reached sleep: it dies of SIGHUP, a clean signal
    assert wait_for(sh, "who", "inactive")["Result"] == "success"
    unit(sh, "tofile", "[Service]\nStandardOutput=append:/var/log/tofile.log\nStandardError=journal\n"
                       "ExecStart=/bin/sh -c 'echo to the file; echo to the journal >&2; exec sleep 300'")
    sh("systemctl start tofile && sleep 0.3 && systemctl stop tofile")
    assert sh("cat /var/log/tofile.log") == "to the file\n"
    log = sh("journalctl -u tofile -o cat")
    assert "to the journal" in log and "to the file" not in log
    assert "sshd[" in sh("journalctl -u sshd -n 20")  # an alias's log is its unit's


def test_missing_directory_environment_file_and_a_failing_start_pre_fail_the_unit(sh):
    unit(sh, "nodir", "[Service]\nWorkingDirectory=/srv/nowhere\nExecStart=/bin/sleep 300")
    sh("systemctl start nodir", ok=False)
    status = sh("systemctl status nodir", ok=False)
    assert "Active: failed (Result: exit-code)" in status and "status=200/CHDIR" in status
    assert "Changing to the requested working directory failed: No such file or directory" in status
    unit(sh, "noenv", "[Service]\nEnvironmentFile=/etc/noenv.env\nExecStart=/bin/sleep 300")
    sh("systemctl start noenv", ok=False)
    status = sh("systemctl status noenv", ok=False)
    assert "Active: failed (Result: resources)" in status and "Failed to load environment files" in status
    unit(sh, "optenv", "[Service]\nEnvironmentFile=-/etc/noenv.env\nExecStart=/bin/sleep 300")
    sh("systemctl start optenv && systemctl stop optenv")
    unit(sh, "pre", "[Unit]\nDescription=Pre fails\n[Service]\nExecStartPre=/bin/sh -c 'echo config broken; exit 1'\n"
                    "ExecStart=/bin/sh -c 'echo MAIN RAN; exec sleep 300'")
    out = sh("systemctl start pre; echo rc=$?")
    assert "Job for pre.service failed because the control process exited with error code." in out and "rc=1" in out
    status = sh("systemctl status pre", ok=False)
    assert status.startswith("× pre.service - Pre fails")
    assert "Active: failed (Result: exit-code)" in status
    assert re.search(r"Process: \d+ ExecStartPre=/bin/sh -c echo config broken; exit 1 \(code=exited, "
                     r"status=1/FAILURE\)", status), status
    assert "config broken" in status and "MAIN RAN" not in sh("journalctl -u pre")
    assert sh("systemctl is-failed pre").strip() == "failed"
    assert "pre.service" in sh("systemctl --failed") and "nodir.service" in sh("systemctl list-units --state=failed")
    unit(sh, "post", "[Service]\nExecStart=/bin/sleep 301\nExecStartPost=/bin/false")
    sh("systemctl start post", ok=False)
    assert props(sh, "post")["ActiveState"] == "failed" and sh("pgrep -f '^/bin/sleep 301'", ok=False) == ""
    unit(sh, "noexec", "[Service]\nExecStart=/opt/nothing/here --port 1")
    sh("systemctl start noexec", ok=False)
    assert "status=203/EXEC" in sh("systemctl status noexec", ok=False)
    unit(sh, "nouser", "[Service]\nUser=nobody-here\nExecStart=/bin/sleep 300")
    sh("systemctl start nouser", ok=False)
    status = sh("systemctl status nouser", ok=False)
    assert "status=217/USER" in status and "useradd --system nobody-here" in status
    sh("systemctl reset-failed")
    assert "pre.service" not in sh("systemctl --failed")


def test_oneshot_and_forking(sh):
    unit(sh, "setup", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/echo step one\n"
                      "ExecStart=/bin/echo step two")
    sh("systemctl start setup")
    assert props(sh, "setup")["SubState"] == "exited"
    assert sh("journalctl -u setup -o cat").count("step ") == 2
    unit(sh, "daemon", "[Service]\nType=forking\nPIDFile=/run/daemon.pid\n"
                       "ExecStart=/bin/sh -c 'sleep 300 & echo $! > /run/daemon.pid'")
    sh("systemctl start daemon")
    now = props(sh, "daemon")
    assert now["ActiveState"] == "active" and now["MainPID"] == sh("cat /run/daemon.pid").strip()
    sh(f"kill -9 {now['MainPID']}")
    assert wait_for(sh, "daemon", "failed")["Result"] == "signal"


# ---- journalctl -----------------------------------------------------------------------------------

def test_journalctl_options(sh):
    unit(sh, "talk", "[Service]\nExecStart=/bin/sh -c 'sleep 0.5; for i in 1 2 3 4 5; do echo line $$i; done; "
                     "exec sleep 300'")
    sh("systemctl start talk && sleep 0.5")
    assert sh("journalctl -u talk -n 2 -o cat --no-pager").split("\n")[:2] == ["line 4", "line 5"]
    assert "line 5" in sh("journalctl -xeu talk") and "line 5" in sh("journalctl -b -u talk -u ssh --since today")
    assert "line 5" in sh("journalctl -u talk --since -10min") and "-- No entries --" in sh("journalctl -u talk --since now")
    assert "sshd[" in sh("journalctl -u talk -u ssh")
    out = sh("journalctl --grep x -u talk", ok=False)
    assert "option --grep is not available in this lab box" in out
    out = sh("timeout 3 journalctl -n 0 -fu talk & sleep 1; systemctl restart talk; wait", ok=False)
    assert out.count("line 1") == 1 and "Stopping talk.service" in out.split("line 1")[0]
    sh("systemctl stop talk")


# ---- as learner -----------------------------------------------------------------------------------

def test_learner_reads_but_needs_sudo_to_change(sh):
    learner = {"user": "learner"}
    assert "Active: active (running)" in sh("systemctl status ssh", **learner)
    assert sh("systemctl is-active cron && systemctl is-enabled cron", **learner).split() == ["active", "enabled"]
    assert sh("systemctl show -p ActiveState --value ssh", **learner).strip() == "active"
    assert "ssh.service" in sh("systemctl list-units", **learner)
    out = sh("systemctl restart cron", ok=False, **learner)
    assert "sudo systemctl restart cron" in out
    assert "not available in this lab box" in sh("systemctl --user status", ok=False, **learner)
    sh("sudo systemctl restart cron", **learner)
    unit(sh, "private", "[Service]\nEnvironment=TOKEN=s3cret\nExecStart=/bin/sleep 300")
    sh("chmod 600 /etc/systemd/system/private.service")
    assert "Permission denied" in sh("systemctl cat private", ok=False, **learner)
    assert "TOKEN=s3cret" in sh("systemctl cat private")


# ---- reboot ---------------------------------------------------------------------------------------

def test_reboot_starts_the_enabled_units_in_order_and_nothing_else(box, sh):
    unit(sh, "first", "[Service]\nExecStart=/bin/sh -c 'date +%s.%N > /run/first; exec sleep 300'\n"
                      "[Install]\nWantedBy=multi-user.target")
    unit(sh, "second", "[Unit]\nAfter=first.service\n[Service]\nExecStart=/bin/sh -c 'test -e /run/first && echo "
                       "after first; exec sleep 300'\n[Install]\nWantedBy=multi-user.target")
    unit(sh, "byhand", "[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=multi-user.target")
    unit(sh, "broke", "[Service]\nExecStart=/bin/false")
    sh("rm -f /run/first; systemctl enable second first; systemctl start byhand; systemctl start broke", ok=False)
    assert props(sh, "broke")["ActiveState"] == "failed"
    boot_before = sh("cat /run/labctl/boot-id").split()[0]
    manager, name = box
    docker.from_env().containers.get(naming.container(name, SERVICE)).restart(timeout=5)
    # Booted when /run/labctl/booted names this boot: its id starts with PID 1's start time (the file system is kept).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = sh("echo $(awk '{print $22}' /proc/1/stat) $(cat /run/labctl/booted 2>/dev/null)", ok=False).split()
        if len(now) == 3 and now[1].startswith(now[0] + "-"):
            break
        time.sleep(0.2)
    assert now[1] != boot_before and sh("cat /run/labctl/booted") == sh("cat /run/labctl/boot-id"), now
    assert props(sh, "first")["ActiveState"] == "active" and props(sh, "second")["ActiveState"] == "active"
    assert "after first" in sh("journalctl -b -u second -o cat")
    assert props(sh, "byhand")["ActiveState"] == "inactive"
    assert props(sh, "broke")["ActiveState"] == "inactive"
    assert props(sh, "ssh")["ActiveState"] == "active" and props(sh, "nginx")["ActiveState"] == "inactive"
    sh("systemctl disable --now first second")
