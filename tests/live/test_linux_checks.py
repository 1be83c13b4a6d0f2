"""Live tests of the Linux box: linux.* and ssh.* checks, its systemctl, run steps, `labctl ssh`, and its isolation."""
from __future__ import annotations

import os
import shlex
import shutil
import stat
import time

import pytest
from click.testing import CliRunner

from tests.conftest import TEST_LABS
from tests.live.box import LAB, SERVICE, box_context, check_runner, no, ok, running_box, shell

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    """(manager, instance name) of a running linuxbox-only instance for the whole module."""
    started = time.monotonic()
    with running_box(tmp_path_factory, "linux") as (manager, name):
        print(f"linuxbox start-to-ready (with build if needed): {time.monotonic() - started:.1f}s")
        yield manager, name


@pytest.fixture
def ctx(box):
    with box_context(box) as context:
        yield context


@pytest.fixture
def sh(ctx):
    """Run a bash command line in the box, from root's home (as root unless told): sh("...") -> output."""
    run = shell(ctx)
    return lambda command, user=None, ok=True: run(f"cd ~ && {command}", user, ok)


@pytest.fixture
def run_check(ctx, box):
    return check_runner(ctx)


# ---- keys, seed, run steps ----------------------------------------------------------------------

def test_keys_are_private_and_reused(box):
    from labctl.core.catalog import load_service
    from labctl.services.linuxbox import LinuxboxDriver

    manager, name = box
    folder = manager.settings.home / "keys" / name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "id_ed25519").stat().st_mode) == 0o600
    public = (folder / "id_ed25519.pub").read_text().strip()
    assert public.startswith("ssh-ed25519 ")
    again = LinuxboxDriver().prepare(name, load_service("linuxbox"), manager.settings.home)
    assert again["LABCTL_SSH_PUBLIC_KEY"] == public


def test_seed_script_ran_as_root_and_authorized_keys_is_strict(sh):
    assert sh("cat /etc/labctl-seed.txt").strip() == "seeded by labctl"
    assert sh("stat -c '%a %U' /home/learner/.ssh/authorized_keys").strip() == "600 learner"


def test_failing_run_step_reports_the_output_tail(box, tmp_path):
    from labctl.core.errors import LabctlError
    from labctl.core.model import Step

    manager, name = box
    script = tmp_path / "broken.sh"
    script.write_text("echo preparing\necho 'disk is on fire' >&2\nexit 4\n")
    with pytest.raises(LabctlError) as caught:
        manager.apply_steps(manager.view(name), (Step("run", script, SERVICE),))
    assert "broken.sh failed in linuxbox with exit code 4" in str(caught.value)
    assert "disk is on fire" in str(caught.value)


def test_reset_runs_the_seed_scripts_again(box, sh):
    manager, name = box
    sh("echo changed by the learner > /etc/labctl-seed.txt")
    manager.reset(name)
    assert sh("cat /etc/labctl-seed.txt").strip() == "seeded by labctl"


# ---- linux.file and linux.directory -------------------------------------------------------------

def test_file_passes_on_mode_owner_and_content(run_check):
    ok(run_check({"type": "linux.file", "path": "/etc/labctl-seed.txt", "mode": "0640", "owner": "root",
                  "group": "root", "contains": "seeded", "matches": "^seeded by", "equals": "seeded by labctl"}))


def test_file_fails_on_mode_with_the_fix(run_check):
    no(run_check({"type": "linux.file", "path": "/etc/labctl-seed.txt", "mode": "644"}),
       "/etc/labctl-seed.txt has mode 0640; expected 0644 (`sudo chmod 0644 /etc/labctl-seed.txt`)")


def test_file_follows_links_and_fails_on_owner(sh, run_check):
    sh("mkdir -p /etc/nginx/sites-available && echo 'server {}' > /etc/nginx/sites-available/app && chmod 600 "
       "/etc/nginx/sites-available/app && ln -sf /etc/nginx/sites-available/app /etc/nginx/sites-enabled/app")
    no(run_check({"type": "linux.file", "path": "/etc/nginx/sites-enabled/app", "mode": "0644"}),
       "/etc/nginx/sites-enabled/app has mode 0600; expected 0644")
    no(run_check({"type": "linux.file", "path": "/etc/nginx/sites-enabled/app", "owner": "www-data"}),
       "/etc/nginx/sites-enabled/app is owned by root; expected www-data")
    sh("rm /etc/nginx/sites-enabled/app /etc/nginx/sites-available/app")


def test_file_fails_on_content_and_existence(run_check):
    no(run_check({"type": "linux.file", "path": "/etc/labctl-seed.txt", "contains": "hello"}),
       "/etc/labctl-seed.txt does not contain 'hello'")
    no(run_check({"type": "linux.file", "path": "/etc/labctl-seed.txt", "matches": r"^hello\b"}),
       "no line of /etc/labctl-seed.txt matches /^hello\\b/")
    no(run_check({"type": "linux.file", "path": "/etc/nope.conf"}), "/etc/nope.conf does not exist; expected a file there")
    no(run_check({"type": "linux.file", "path": "/etc/labctl-seed.txt", "exists": False}),
       "/etc/labctl-seed.txt exists; expected it to be gone")
    ok(run_check({"type": "linux.file", "path": "/etc/nope.conf", "exists": False}))
    no(run_check({"type": "linux.file", "path": "/etc"}), "/etc is a directory; expected a regular file")


def test_directory_passes_and_fails(run_check):
    ok(run_check({"type": "linux.directory", "path": "/home/learner/.ssh", "mode": "0700", "owner": "learner"}))
    no(run_check({"type": "linux.directory", "path": "/home/learner/.ssh", "mode": "0755"}),
       "/home/learner/.ssh has mode 0700; expected 0755")
    no(run_check({"type": "linux.directory", "path": "/srv/app"}), "/srv/app does not exist; expected a folder there")
    no(run_check({"type": "linux.directory", "path": "/etc/labctl-seed.txt"}),
       "/etc/labctl-seed.txt is a regular file; expected a directory")


# ---- linux.user ---------------------------------------------------------------------------------

def test_user_passes_and_fails(run_check):
    ok(run_check({"type": "linux.user", "name": "learner", "groups": ["sudo"], "shell": "/bin/bash", "home": "/home/learner"}))
    no(run_check({"type": "linux.user", "name": "learner", "groups": ["sudo", "www-data"]}),
       "learner is not in group www-data (its groups: learner, sudo); add it with `sudo usermod -aG www-data learner`")
    no(run_check({"type": "linux.user", "name": "deploy"}), "user deploy does not exist; create it with `sudo useradd -m deploy`")
    no(run_check({"type": "linux.user", "name": "learner", "shell": "/bin/zsh"}),
       "learner's login shell is /bin/bash; expected /bin/zsh")


# ---- linux.process, linux.port_listening --------------------------------------------------------

def test_process_passes_and_fails(run_check):
    ok(run_check({"type": "linux.process", "name": "sshd", "user": "root"}))
    ok(run_check({"type": "linux.process", "command": r"sshd -D"}))
    no(run_check({"type": "linux.process", "name": "sshd", "user": "learner"}),
       "the process named sshd runs as root; expected it to run as learner")
    no(run_check({"type": "linux.process", "name": "gunicorn"}),
       "no process named gunicorn is running; start it with `sudo systemctl start gunicorn`")
    no(run_check({"type": "linux.process", "name": "sshd", "running": False}), "a process named sshd is still running")


def test_port_listening_passes_and_fails(run_check):
    ok(run_check({"type": "linux.port_listening", "port": 22, "process": "sshd"}))
    no(run_check({"type": "linux.port_listening", "port": 8099}), "nothing listens on TCP port 8099 (listening: ")
    no(run_check({"type": "linux.port_listening", "port": 22, "process": "nginx"}),
       "TCP port 22 is held by sshd; expected nginx")
    no(run_check({"type": "linux.port_listening", "port": 22, "listening": False}), "something listens on TCP port 22 (sshd)")


# ---- linux.command ------------------------------------------------------------------------------

def test_command_passes_and_fails(run_check):
    ok(run_check({"type": "linux.command", "run": "whoami && pwd", "stdout_matches": r"^learner\n/home/learner$"}))
    ok(run_check({"type": "linux.command", "argv": ["id", "-un"], "user": "root", "stdout_contains": "root"}))
    no(run_check({"type": "linux.command", "run": "echo halfway; echo 'no such table' >&2; exit 3"}),
       "`echo halfway; echo 'no such table' >&2; exit 3` exited with code 3; expected 0: no such table")
    no(run_check({"type": "linux.command", "argv": ["git", "--version"], "stdout_contains": "mercurial"}),
       "the output of `git --version` does not contain 'mercurial'")
    no(run_check({"type": "linux.command", "argv": ["echo", "$(id)"], "stdout_matches": "uid="}),
       "does not match /uid=/")  # argv words are never re-read by a shell


# ---- linux.service, linux.http (nginx starts disabled) ------------------------------------------

def test_nginx_starts_disabled_and_stopped(run_check):
    no(run_check({"type": "linux.service", "name": "nginx"}),
       "nginx is not running (inactive); start it with `sudo systemctl start nginx`")
    no(run_check({"type": "linux.http", "url": "http://localhost/"}),
       "http://localhost/ did not answer: (7) Failed to connect to localhost port 80")
    no(run_check({"type": "linux.service", "name": "nosuch"}),
       "there is no service called nosuch; write its unit file to /etc/systemd/system/nosuch.service")


def test_systemctl_needs_sudo_for_changes(sh):
    out = sh("systemctl start nginx", user="learner", ok=False)
    assert "Interactive authentication required" in out and "sudo systemctl start nginx" in out


def test_nginx_running_but_not_enabled_then_solution(box, sh, run_check):
    sh("systemctl start nginx")
    ok(run_check({"type": "linux.service", "name": "nginx"}))
    no(run_check({"type": "linux.service", "name": "nginx", "enabled": True}),
       "nginx is not enabled, so it will not start when the box restarts; enable it with `sudo systemctl enable nginx`")
    no(run_check({"type": "linux.service", "name": "nginx", "active": False}), "nginx is running; expected it stopped")
    manager, name = box
    view = manager.view(name)
    manager.apply_steps(view, view.lab.task("enable-nginx").solution)
    ok(run_check({"type": "linux.service", "name": "nginx", "enabled": True}))
    ok(run_check({"type": "linux.http", "url": "http://localhost/", "status": 200, "body_contains": "Welcome to nginx",
                  "header": {"content-type": "text/html"}}))
    no(run_check({"type": "linux.http", "url": "http://localhost/missing"}), "GET http://localhost/missing answered 404; expected 200")
    no(run_check({"type": "linux.http", "url": "http://localhost/", "body_contains": "Hello, learner"}),
       "the page at http://localhost/ does not contain 'Hello, learner'")


def test_failed_unit_is_reported_with_where_to_look(sh, run_check):
    sh("printf '[Service]\\nExecStart=/bin/false\\n' > /etc/systemd/system/broken.service")
    out = sh("systemctl start broken; echo rc=$?", ok=False)
    assert "Job for broken.service failed" in out and "rc=1" in out
    no(run_check({"type": "linux.service", "name": "broken"}),
       "broken is not running (failed), it failed: see `systemctl status broken` and `journalctl -u broken`")


# ---- ssh.* --------------------------------------------------------------------------------------

def test_key_login_passes_and_fails_on_loose_permissions(sh, run_check):
    ok(run_check({"type": "ssh.key_login"}))
    sh("chmod 666 /home/learner/.ssh/authorized_keys")
    try:
        no(run_check({"type": "ssh.key_login"}), "the server refused the lab's key for learner")
    finally:
        sh("chmod 600 /home/learner/.ssh/authorized_keys")
    ok(run_check({"type": "ssh.key_login"}))


def test_key_login_finds_the_key_from_labctl_home_alone(box, run_check, monkeypatch, tmp_path):
    """As in a later `labctl check` process: nothing prepared in memory, only LABCTL_HOME."""
    from labctl.services import linuxbox

    manager, name = box
    monkeypatch.setenv("LABCTL_HOME", str(manager.settings.home))
    ok(run_check({"type": "ssh.key_login"}))
    ok(run_check({"type": "ssh.key_login", "key_file": f"keys/{name}/id_ed25519"}))
    linuxbox.ensure_keys(manager.settings.home / "keys" / "stranger", "stranger")
    no(run_check({"type": "ssh.key_login", "key_file": "keys/stranger/id_ed25519"}), "the server refused the lab's key")
    shutil.rmtree(manager.settings.home / "keys" / "stranger")


def test_key_login_without_the_key_is_an_error(box, tmp_path):
    """Another LABCTL_HOME (another user, a wiped data folder): the key is not there to find."""
    from labctl.check_engine import registry
    from labctl.check_engine.runner import run_check as run_one
    from labctl.core.model import CheckSpec, Task
    from tests.conftest import make_manager

    manager, name = box
    elsewhere = make_manager(tmp_path / "other-home")
    ctx = elsewhere.context(manager.view(name))  # the box as its owner sees it, the keys of another home
    check = registry.get("ssh.key_login").model_validate({"service": SERVICE})
    missing = run_one(Task("t", "t", TEST_LABS / LAB, ("h",), (), (), ()), CheckSpec("ssh.key_login", check, 0), ctx)
    assert missing.status.value == "error" and "cannot find this box's SSH key" in missing.message


def reload_ssh(sh, box) -> None:
    """Reload sshd and wait for its banner: it re-executes itself on SIGHUP and is briefly away."""
    from labctl.services.linuxbox import banner

    manager, name = box
    sh("systemctl reload ssh")
    port = next(sv.status.ports[22] for sv in manager.view(name).services)
    for _ in range(40):
        try:
            banner("127.0.0.1", port, timeout=1)
            return
        except (OSError, ValueError):
            time.sleep(0.1)


def test_password_login_refused_and_then_allowed(box, sh, run_check):
    ok(run_check({"type": "ssh.password_refused", "password": "learner"}))
    conf = "/etc/ssh/sshd_config.d/labctl.conf"
    sh(f"cp {conf} /tmp/labctl.conf && sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' {conf} "
       "&& echo learner:learner | chpasswd")
    reload_ssh(sh, box)
    try:
        no(run_check({"type": "ssh.password_refused"}),
           "the SSH server still offers password logins to learner (methods: publickey, password)")
        no(run_check({"type": "ssh.password_refused", "password": "learner"}), "logged in as learner with a password")
    finally:
        sh(f"cp /tmp/labctl.conf {conf} && usermod -p '*' learner")
        reload_ssh(sh, box)
    ok(run_check({"type": "ssh.password_refused"}))


def test_labctl_ssh_runs_commands_with_the_instance_key(box, sh):
    from labctl.cli.app import App
    from labctl.cli.commands.ssh import ssh
    from labctl.core.settings import Settings

    manager, name = box
    settings = Settings.from_environ({"LABCTL_HOME": str(manager.settings.home), "LABCTL_LABS_DIR": str(TEST_LABS)})
    runner = CliRunner()
    done = runner.invoke(ssh, ["--name", name, "--", "touch", "/home/learner/from-labctl-ssh"], obj=App(settings=settings))
    assert done.exit_code == 0, done.output
    assert sh("stat -c %U /home/learner/from-labctl-ssh").strip() == "learner"
    code = runner.invoke(ssh, [SERVICE, "--name", name, "--", "exit", "7"], obj=App(settings=settings))
    assert code.exit_code == 7
    known = (manager.settings.home / "keys" / name / "known_hosts").read_text().splitlines()
    # The pinned host key matched: ssh had nothing to add ("Permanently added ...").
    assert len(known) == 1 and " ssh-ed25519 " in known[0], known
    wrong = runner.invoke(ssh, ["postgres", "--name", name], obj=App(settings=settings))
    # Run outside the root group, App.abort's LabctlError is what the group would render.
    assert "has no service 'postgres'" in str(wrong.exception)


# ---- a learner's own unit, and what survives stop/start -----------------------------------------

def test_learner_unit_enabled_survives_stop_and_start(box, sh, run_check):
    unit = ("[Unit]\nDescription=Hello site\n[Service]\nUser=learner\nWorkingDirectory=/home/learner/site\n"
            "ExecStart=/usr/bin/python3 -m http.server 8000\nRestart=always\n[Install]\nWantedBy=multi-user.target\n")
    sh("mkdir -p site && echo hello from learner > site/index.html && echo kept > notes.txt", user="learner")
    sh(f"printf %s {shlex.quote(unit)} | sudo tee /etc/systemd/system/hello.service >/dev/null", user="learner")
    out = sh("sudo systemctl daemon-reload && sudo systemctl enable --now hello", user="learner")
    assert "Created symlink /etc/systemd/system/multi-user.target.wants/hello.service" in out
    ok(run_check({"type": "linux.service", "name": "hello", "enabled": True}))
    ok(run_check({"type": "linux.process", "command": "http.server 8000", "user": "learner"}))

    manager, name = box
    manager.stop(name)
    started = time.monotonic()
    manager.start(LAB, name=name, ephemeral=True)
    print(f"linuxbox restart-to-ready: {time.monotonic() - started:.1f}s")
    for _ in range(20):  # enabled units start with the box, just after sshd
        if run_check({"type": "linux.port_listening", "port": 8000}).status.value == "passed":
            break
        time.sleep(0.25)
    ok(run_check({"type": "linux.service", "name": "hello", "enabled": True}))
    ok(run_check({"type": "linux.service", "name": "nginx", "enabled": True}))
    ok(run_check({"type": "linux.http", "url": "http://localhost:8000/", "body_contains": "hello from learner"}))
    ok(run_check({"type": "linux.file", "path": "/home/learner/notes.txt", "owner": "learner", "equals": "kept"}))
    ok(run_check({"type": "ssh.key_login"}))
    before = sh("pgrep -u learner -f 'http.server 8000'").split()
    sh(f"kill {before[0]}")  # Restart=always brings it back after RestartSec (1s)
    time.sleep(2.5)
    ok(run_check({"type": "linux.port_listening", "port": 8000}))
    assert sh("pgrep -u learner -f 'http.server 8000'").split() != before


# ---- isolation ----------------------------------------------------------------------------------

def test_container_is_not_privileged_and_sees_no_engine(box):
    import docker

    manager, name = box
    client = docker.from_env(timeout=30)
    container = client.containers.get(f"labctl-{name}-{SERVICE}")
    host = container.attrs["HostConfig"]
    assert host["Privileged"] is False
    assert host["NetworkMode"] != "host"
    assert not host.get("CapAdd")
    assert all(b["HostIp"] == "127.0.0.1" for bindings in host["PortBindings"].values() for b in bindings)
    assert set(host["PortBindings"]) == {"22/tcp", "80/tcp", "443/tcp"}  # SSH, and a deployed site's HTTP and HTTPS
    sources = [m.get("Source", "") + m.get("Name", "") for m in container.attrs["Mounts"]]
    assert not any("docker.sock" in s for s in sources)
    assert all(m["Type"] == "volume" for m in container.attrs["Mounts"])
    assert not os.path.exists("/var/run/docker.sock") or "docker.sock" not in str(host.get("Binds"))


def test_the_observer_has_its_own_files_few_capabilities_and_leaves_nothing(box, sh):
    import docker

    manager, name = box
    sh("echo planted > /tmp/planted && cp /usr/bin/true /usr/local/bin/only-in-box")
    result = manager.runtime.observe(name, SERVICE, ["sh", "-c", "grep CapEff /proc/self/status; ls /tmp; "
                                                                 "command -v only-in-box || echo none; ps -eo comm="],
                                     timeout=20)
    assert result.exit_code == 0, result.output
    effective = int(result.output.split("CapEff:")[1].split()[0], 16)
    assert effective == (1 << 5) | (1 << 19) | (1 << 2), hex(effective)  # KILL, SYS_PTRACE, DAC_READ_SEARCH
    assert "planted" not in result.output and "none" in result.output  # the recipe's file system, not the box's
    assert "svcd.py" in result.output or "python3" in result.output  # but the box's processes
    client = docker.from_env(timeout=30)
    left = client.containers.list(all=True, filters={"label": f"io.labctl.instance={name}"})
    assert [c.name for c in left] == [f"labctl-{name}-{SERVICE}"]
    sh("rm -f /tmp/planted /usr/local/bin/only-in-box")


def test_exec_in_the_box_is_bounded_by_a_timeout(box):
    import time

    manager, name = box
    started = time.monotonic()
    result = manager.runtime.exec(name, SERVICE, ["sleep", "30"], timeout=1)
    assert result.exit_code == 124
    assert time.monotonic() - started < 8


def test_command_message_replaces_the_generic_text_and_long_scripts_are_not_pasted(run_check):
    result = run_check({"type": "linux.command", "run": "echo 'main has no tag v1.0 yet' >&2\nexit 1",
                        "message": "the release is not tagged"})
    assert result.status.value == "failed"
    assert result.message == "the release is not tagged: main has no tag v1.0 yet"
    long_script = run_check({"type": "linux.command", "run": "true\n" * 5 + "exit 3"})
    assert long_script.message == "`true…` exited with code 3; expected 0"


def test_a_checker_that_explains_is_quoted_alone(run_check):
    result = run_check({"type": "linux.command", "run": "echo 'main has no tag v1.0 yet: git push origin v1.0' >&2\nexit 1",
                        "explains": True})
    assert result.status.value == "failed"
    assert result.message == "main has no tag v1.0 yet: git push origin v1.0"
    silent = run_check({"type": "linux.command", "run": "exit 1", "explains": True})
    assert silent.message == "`exit 1` exited with code 1; expected 0"


def test_a_long_explanation_is_shortened_at_a_line_or_sentence_and_says_so(run_check):
    # 40 progress lines, then the reason: the reason is kept whole, and the message says lines were left out.
    chatty = run_check({"type": "linux.command", "explains": True,
                        "run": "for i in $(seq 40); do echo \"step $i of the checker went fine\"; done\n"
                               "echo 'tag v1.0 is missing: git push origin v1.0'; exit 1"})
    assert chatty.status.value == "failed"
    assert chatty.message.startswith("(shortened: ")
    assert chatty.message.endswith("\ntag v1.0 is missing: git push origin v1.0")
    assert "\nstep 40 of the checker went fine\n" in chatty.message
    assert len(chatty.message) <= 560
    # One sentence too long to keep: its start (the claim) stays, cut at a word, and marked as shortened.
    long_line = run_check({"type": "linux.command", "explains": True,
                           "run": "printf 'prices.txt is not the agreed result; it is: '; printf 'tea %.0s' $(seq 300); exit 1"})
    assert long_line.message.startswith("prices.txt is not the agreed result; it is: tea tea")
    assert long_line.message.endswith("tea … (shortened)")
    assert len(long_line.message) <= 520


# ---- seen from outside: a learner who is root in the box cannot make the checks lie ---------------

LIARS = {
    # Each replaced command tells a check's old question what it wanted to hear.
    "/usr/bin/ps": "#!/bin/sh\necho '  1 0 root ghostd ghostd --serve'\n",
    "/usr/bin/stat": "#!/bin/sh\necho 'regular file|600|root|root|0|x'\n",
    "/usr/bin/ss": "#!/bin/sh\necho 'LISTEN 0 128 127.0.0.1:9999 0.0.0.0:* users:((\"ghost\",pid=1,fd=3))'\n",
    "/usr/bin/getent": "#!/bin/sh\necho 'ghost:x:4242:4242::/home/ghost:/bin/bash'\n",
    "/usr/bin/id": "#!/bin/sh\necho 'ghost wheel'\n",
}


def test_replaced_commands_in_the_box_do_not_change_what_the_checks_see(sh, run_check):
    sh("for f in ps stat ss getent id; do cp -a /usr/bin/$f /usr/bin/$f.real; done")
    try:
        for path, text in LIARS.items():
            sh(f"printf %s {shlex.quote(text)} > {path}")
        assert "ghost" in sh("ss -Hltnp")  # the box's own commands lie now
        no(run_check({"type": "linux.process", "name": "ghostd"}), "no process named ghostd is running")
        no(run_check({"type": "linux.file", "path": "/etc/passwd", "mode": "0600"}), "/etc/passwd has mode 0644")
        no(run_check({"type": "linux.port_listening", "port": 9999}), "nothing listens on TCP port 9999")
        no(run_check({"type": "linux.user", "name": "ghost"}), "user ghost does not exist")
        ok(run_check({"type": "linux.port_listening", "port": 22, "process": "sshd", "user": "root"}))
    finally:
        sh("for f in ps stat ss getent id; do mv -f /usr/bin/$f.real /usr/bin/$f; done")


def test_port_listening_tells_loopback_from_every_address_and_names_the_user(sh, run_check):
    sh("useradd --system --no-create-home appuser 2>/dev/null || true")
    sh("nohup setpriv --reuid appuser --regid appuser --clear-groups python3 -m http.server 8101 --bind 127.0.0.1 "
       ">/dev/null 2>&1 & nohup python3 -m http.server 8102 >/dev/null 2>&1 &")
    try:
        for _ in range(40):
            if run_check({"type": "linux.port_listening", "port": 8102}).status.value == "passed" and \
                    run_check({"type": "linux.port_listening", "port": 8101}).status.value == "passed":
                break
            time.sleep(0.25)
        ok(run_check({"type": "linux.port_listening", "port": 8101, "loopback_only": True, "user": "appuser"}))
        no(run_check({"type": "linux.port_listening", "port": 8102, "loopback_only": True}),
           "TCP port 8102 is open on 0.0.0.0, not only on 127.0.0.1")
        no(run_check({"type": "linux.port_listening", "port": 8102, "user": "appuser"}),
           "the program listening on TCP port 8102 runs as root; expected appuser")
        no(run_check({"type": "linux.port_listening", "port": 8101, "loopback_only": False}), "listens on 127.0.0.1 only")
        ok(run_check({"type": "linux.process", "command": "http.server 8101", "user": "appuser"}))
    finally:
        sh("pkill -f 'http.server 810[12]' || true", ok=False)


def test_a_file_read_from_outside_has_its_setgid_bit_group_and_content(sh, run_check):
    sh("groupadd -f webteam && install -d -m 2775 -g webteam /srv/shared-test && printf 'token=1\\n' > /srv/shared-test/s "
       "&& chmod 600 /srv/shared-test/s && chown learner /srv/shared-test/s")
    ok(run_check({"type": "linux.directory", "path": "/srv/shared-test", "mode": "2775", "group": "webteam"}))
    no(run_check({"type": "linux.directory", "path": "/srv/shared-test", "mode": "0775"}), "has mode 2775; expected 0775")
    ok(run_check({"type": "linux.file", "path": "/srv/shared-test/s", "mode": "600", "owner": "learner",
                  "equals": "token=1"}))
    no(run_check({"type": "linux.file", "path": "/srv/shared-test/s", "owner": "root"}), "is owned by learner")


# ---- a reboot ------------------------------------------------------------------------------------

def test_reboot_brings_back_what_is_enabled_and_not_what_was_started_by_hand(box, sh, run_check):
    for name, port in (("kept-site", 8201), ("by-hand", 8202)):
        unit = (f"[Unit]\nDescription={name}\n[Service]\nUser=learner\nExecStart=/usr/bin/python3 -m http.server {port} "
                f"--bind 127.0.0.1\n[Install]\nWantedBy=multi-user.target\n")
        sh(f"printf %s {shlex.quote(unit)} > /etc/systemd/system/{name}.service")
    sh("systemctl enable --now kept-site && systemctl start by-hand && echo survived > /etc/reboot-marker")
    for _ in range(40):
        if run_check({"type": "linux.port_listening", "port": 8202}).status.value == "passed":
            break
        time.sleep(0.25)
    ok(run_check({"type": "linux.port_listening", "port": 8202}))
    manager, name = box
    ports_before = {s.service: s.ports for s in manager.runtime.status(name)}

    rebooted = run_check({"type": "linux.reboot"})
    ok(rebooted)
    print(f"linuxbox reboot: {rebooted.message}")
    assert {s.service: s.ports for s in manager.runtime.status(name)} == ports_before
    ok(run_check({"type": "linux.file", "path": "/etc/reboot-marker", "equals": "survived"}))
    ok(run_check({"type": "ssh.key_login"}))
    for _ in range(40):  # enabled units have started when linux.reboot passes; a slow program may still bind
        if run_check({"type": "linux.port_listening", "port": 8201}).status.value == "passed":
            break
        time.sleep(0.25)
    ok(run_check({"type": "linux.port_listening", "port": 8201, "user": "learner", "loopback_only": True}))
    no(run_check({"type": "linux.port_listening", "port": 8202}), "nothing listens on TCP port 8202")
    no(run_check({"type": "linux.service", "name": "by-hand"}), "by-hand is not running")
    sh("systemctl disable --now kept-site; rm -f /etc/systemd/system/kept-site.service /etc/systemd/system/by-hand.service "
       "/etc/reboot-marker")


def test_a_reboot_of_a_stopped_box_is_an_error_not_a_failure(box, run_check):
    from labctl.check_engine import registry

    manager, name = box
    context = manager.context(manager.view(name))
    try:
        context.restart = None  # a runtime that cannot restart a service
        check = registry.get("linux.reboot").model_validate({"service": SERVICE})
        with pytest.raises(Exception, match="the container runtime cannot"):
            check.run(context)
    finally:
        context.close()
