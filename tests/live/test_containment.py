"""Untrusted code runs contained: the attacks of a submission against the grader, shown to work on the host
(--host, documented as not isolated) and to fail in the sandbox that `labctl grade` uses by default."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live

# A program that solves nothing: it finds the lab's folder through its parent labctl process (its
# interpreter's site-packages, or the checkout an editable install points at) and prints the expected output
# of whichever hidden input it was given.
CHEAT = textwrap.dedent('''
    import glob, os, sys
    data = sys.stdin.buffer.read()
    roots = set()
    pid = os.getppid()
    for _ in range(6):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            roots.add(os.readlink(f"/proc/{pid}/cwd"))
            exe = os.path.realpath(argv[0].decode()) if argv[0] else ""
            venv = os.path.dirname(os.path.dirname(argv[0].decode()))
            for site in glob.glob(venv + "/lib/python3*/site-packages"):
                roots.add(site + "/labctl/_bundled")
                for pth in glob.glob(site + "/*.pth"):
                    roots.update(line.strip() for line in open(pth) if line.startswith("/"))
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    for root in roots:
        lab = os.path.join(root, "labs", "programming-101")
        for name in glob.glob(lab + "/tests/*") + glob.glob(lab + "/workspace/*"):
            if os.path.isfile(name) and open(name, "rb").read() == data:
                expected = os.path.join(lab, "expected", os.path.splitext(os.path.basename(name))[0] + ".txt")
                if os.path.exists(expected):
                    sys.stdout.write(open(expected).read())
                sys.exit(0)
''')


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """No container, network or volume of a grade survives it (sandboxes and their networks included)."""
    from tests.live.test_grade import grade_leftovers

    before = set(grade_leftovers())
    yield
    assert set(grade_leftovers()) <= before


def labctl(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout, stdin=subprocess.DEVNULL)


def grade(folder: Path, tmp_path: Path, *extra: str) -> dict:
    results = tmp_path / f"results-{secrets.token_hex(3)}.json"
    done = labctl("grade", "programming-101", "--workspace", str(folder), "--set", "run=python3 main.py",
                  "--json", str(results), *extra)
    assert results.exists(), done.stdout + done.stderr
    return json.loads(results.read_text())


def test_a_program_that_reads_the_graders_files_scores_on_the_host_and_nothing_contained(tmp_path):
    folder = tmp_path / "cheat"
    folder.mkdir()
    (folder / "main.py").write_text(CHEAT)
    on_host = grade(folder, tmp_path, "--host")
    assert on_host["score"] >= 1, on_host  # the attack works where code is not contained
    assert on_host["runner"] is None
    contained = grade(folder, tmp_path)
    assert contained["score"] == 0, contained
    assert contained["runner"]["language"] == "python" and contained["runner"]["versions"].startswith("Python 3")


def test_what_a_submission_starts_with_setsid_does_not_outlive_the_grade(tmp_path):
    for mode in ("--host", None):
        marker = f"labctl-escape-{secrets.token_hex(4)}"
        folder = tmp_path / f"escape-{mode or 'contained'}"
        folder.mkdir()
        (folder / "main.py").write_text(textwrap.dedent(f'''
            import subprocess, sys
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "{marker}"],
                             start_new_session=True)
            sys.stdin.read()
        '''))
        grade(folder, tmp_path, *([mode] if mode else []))
        time.sleep(0.5)
        alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
        if mode == "--host":
            assert alive, "on the host a setsid child outlives the grade (what --host warns about)"
            subprocess.run(["pkill", "-f", marker])
        else:
            assert not alive, f"a contained child outlived the grade: {alive}"


@pytest.fixture
def contained(tmp_path):
    """A programming-101 instance whose code runs contained, with an install step; removed afterwards."""
    from labctl.core.contained import Containment

    manager = make_manager(tmp_path / "home")
    name = new_instance_name("contained")
    workspace = tmp_path / "ws"
    manager.start("programming-101", name=name, workspace=workspace, ephemeral=True)
    (workspace / "facts.py").write_text(FACTS)
    install = ("mkdir -p .deps && echo from-the-install > .deps/marker && ls /sys/class/net > .deps/install-net"
               " && grep -c 'BEGIN CERTIFICATE' \"$PIP_CERT\" > .deps/install-ca && env > .deps/install-env")
    code = manager.contain(name, Containment(install=install))
    code.open("python3 facts.py", publish=False)
    yield manager, name, code
    manager.destroy(name)


FACTS = textwrap.dedent('''
    import json, os, socket, sys
    def can_connect(host, port):
        try:
            socket.create_connection((host, port), timeout=2).close()
            return True
        except OSError:
            return False
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    print(json.dumps({
        "uid": os.getuid(),
        "cap_eff": status["CapEff"].strip(),
        "no_new_privs": status.get("NoNewPrivs", "").strip(),
        "cwd": os.getcwd(),
        "files": sorted(os.listdir(".")),
        "installed": open(".deps/marker").read().strip(),
        "install_net": open(".deps/install-net").read().split(),
        "install_ca": int(open(".deps/install-ca").read()),
        "install_env": [line.partition("=")[0] for line in open(".deps/install-env")],
        "run_trust_env": [k for k in ("SSL_CERT_FILE", "PIP_CERT", "NODE_EXTRA_CA_CERTS") if k in os.environ],
        "run_net": sorted(os.listdir("/sys/class/net")),
        "engine_socket": os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock"),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "labctl_home": any("labctl" in k or "LABCTL_HOME" == k for k in os.environ if k != "LABCTL_WORKSPACE"),
        "workspace_env": os.environ.get("LABCTL_WORKSPACE"),
        "labctl_python": os.environ.get("LABCTL_PYTHON"),
        "stdin": sys.stdin.read(),
    }))
''')


def test_inside_the_sandbox_there_is_only_the_submission(contained):
    _, _, code = contained
    run = code.run_program("python3 facts.py", b"hello", time_limit=20, env={})
    assert run.exit_code == 0, run.stderr
    facts = json.loads(run.stdout)
    assert facts["uid"] != 0 and facts["cap_eff"] == "0000000000000000" and facts["no_new_privs"] == "1"
    assert facts["cwd"] == "/work" and "facts.py" in facts["files"] and facts["workspace_env"] == "/work"
    assert facts["labctl_python"] == "python3"  # a reference's "$LABCTL_PYTHON" app.py runs on the runner's Python
    assert facts["installed"] == "from-the-install"
    assert "eth0" in facts["install_net"] and facts["run_net"] == ["lo"]  # the install had a network, the run none
    # The install trusts what the host trusts (a TLS-inspecting proxy's authority included); the run does not
    # need to, and gets none of it.
    from labctl.core.build_trust import host_certificates

    assert facts["install_ca"] == host_certificates().count(b"BEGIN CERTIFICATE") > 0
    assert {"SSL_CERT_FILE", "PIP_CERT", "NODE_EXTRA_CA_CERTS", "npm_config_cafile"} <= set(facts["install_env"])
    assert facts["run_trust_env"] == []
    assert not facts["engine_socket"] and not facts["labctl_home"]
    assert max(facts["processes"]) < 1000 and len(facts["processes"]) < 15  # its own processes only
    assert facts["stdin"] == "hello"


def test_a_run_is_stopped_at_its_time_limit_and_its_output_is_bounded(contained):
    _, _, code = contained
    started = time.monotonic()
    hung = code.run_program("sleep 60", b"", time_limit=1, env={})
    assert hung.exit_code is None and time.monotonic() - started < 15
    flood = code.run_program("yes labctl | head -c 3000000", b"", time_limit=20, env={})
    assert flood.exit_code == 0 and flood.stdout.endswith("[... output cut at 1 MiB ...]")
    assert len(flood.stdout) < 1100 * 1024


def test_a_contained_app_is_graded_through_a_port_on_loopback(tmp_path):
    from labctl.core import resources

    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "app.py").write_bytes((resources.labs_dir() / "framework-101" / "solution" / "app.py").read_bytes())
    results = tmp_path / "framework.json"
    done = labctl("grade", "framework-101", "--workspace", str(folder), "--app", "python3 app.py",
                  "--json", str(results))
    data = json.loads(results.read_text())
    assert done.returncode == 0 and data["score"] == data["max_score"], done.stdout + done.stderr
    assert data["runner"]["language"] == "python"
    (folder / "app.py").write_text("import sys\nprint('cannot find my settings', file=sys.stderr)\nsys.exit(2)\n")
    done = labctl("grade", "framework-101", "--workspace", str(folder), "--app", "python3 app.py",
                  "--json", str(results))
    data = json.loads(results.read_text())
    assert done.returncode == 1 and "exited with code 2 before answering (in its sandbox)" in data["message"]
    assert "cannot find my settings" in data["message"]


def test_check_contained_previews_the_grade(tmp_path):
    home = {"LABCTL_HOME": str(tmp_path / "home")}
    workspace = tmp_path / "ws"
    assert labctl("start", "programming-101", "--workspace", str(workspace), env=home).returncode == 0
    try:
        from labctl.core import resources

        solution = resources.labs_dir() / "programming-101" / "solution" / "04-top.py"
        (workspace / "main.py").write_bytes(solution.read_bytes())
        assert labctl("config", "set", "run", "python3 main.py", env=home).returncode == 0
        done = labctl("check", "--contained", "--json", env=home)
        data = json.loads(done.stdout)
        assert done.returncode == 0 and data["passed"] == data["total"] == 4, done.stderr
        assert "the python runner carries Python 3" in done.stderr
        refused = labctl("check", "--runner", "python", env=home)
        assert refused.returncode == 2 and "go with --contained" in refused.stderr
        import docker

        names = [n.name for n in docker.from_env().networks.list(filters={"label": "io.labctl.managed=true"})]
        assert "labctl-programming-101" not in names  # the sandbox's own network went with it
    finally:
        labctl("destroy", "--yes", env=home)
