"""Live: faults a learner's machine meets (issue 6): labctl killed mid-start, a killed or hung container,
two starts at once, usual ports taken. Every test runs the CLI as a learner would, on its own instance."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker
import pytest

from labctl.core import events, naming
from tests.conftest import TEST_LABS, make_manager, new_instance_name

pytestmark = pytest.mark.live

REPO = Path(__file__).resolve().parents[2]
WAITED = "another labctl is working on {}; waiting for it to finish"
MOVED = re.compile(r"(?P<service>[\w-]+): port (?P<wanted>\d+) is in use on 127\.0\.0\.1; "
                   r"(?P=service) gets (?P<host>\d+) instead")


# -- helpers


def cli_env(labs_dirs=(TEST_LABS,), **extra: str) -> dict[str, str]:
    """The environment a learner's shell would have: the test's LABCTL_HOME, the test labs."""
    env = dict(os.environ, LABCTL_LABS_DIR=os.pathsep.join(str(d) for d in labs_dirs))
    env.update(extra)
    return env


def labctl(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labctl", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "labctl", *args], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def said(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def status_json(name: str, env: dict[str, str]) -> tuple[int, dict]:
    result = labctl("status", "--name", name, "--json", env=env, timeout=60)
    assert result.stdout.strip(), said(result)
    return result.returncode, json.loads(result.stdout)


def query(url: str, sql: str):
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def database_url(name: str, env: dict[str, str]) -> str:
    code, data = status_json(name, env)
    assert code == 0, data
    return next(s["urls"]["DATABASE_URL"] for s in data["services"] if s["service"] == "postgres")


def container_of(client, name: str, service: str):
    found = client.containers.list(all=True, filters={"label": [f"io.labctl.instance={name}",
                                                                f"io.labctl.service={service}"]})
    assert len(found) == 1, [c.name for c in found]
    return found[0]


def assert_one_set(client, name: str, lab_id: str, home: Path, labs_dirs=(TEST_LABS,)) -> None:
    """Exactly one container per service, one network, one volume per declared volume: no orphans."""
    lab = make_manager(home, lab_dirs=labs_dirs).loader.load(lab_id)
    selector = {"label": f"io.labctl.instance={name}"}
    containers = client.containers.list(all=True, filters=selector)
    by_service: dict[str, list[str]] = {}
    for container in containers:
        by_service.setdefault(container.labels.get("io.labctl.service", "?"), []).append(container.name)
    assert by_service == {s: [f"labctl-{name}-{s}"] for s in lab.services}, by_service
    assert all(c.status == "running" for c in containers), [(c.name, c.status) for c in containers]
    networks = client.networks.list(filters=selector)
    assert [n.name for n in networks] == [f"labctl-{name}"]
    # Docker allows two networks of one name: count by name too, labelled or not.
    assert len([n for n in client.networks.list(names=[f"labctl-{name}"]) if n.name == f"labctl-{name}"]) == 1
    volumes = sorted(v.name for v in client.volumes.list(filters=selector))
    declared = sorted(naming.volume(name, s, m.name) for s, spec in lab.services.items() for m in spec.volumes)
    assert volumes == declared


def destroy(home: Path, name: str, labs_dirs=(TEST_LABS,)) -> None:
    make_manager(home, lab_dirs=labs_dirs).runtime.down(name, remove=True, emit=events.discard)


def kill_hard(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process always ends
        pass


@pytest.fixture
def home() -> Path:
    return Path(os.environ["LABCTL_HOME"])


@pytest.fixture
def client():
    return docker.from_env(timeout=60)


@pytest.fixture
def slow_seed_labs(tmp_path) -> Path:
    """A copy of pg-seeded whose seed takes 4 s, so that labctl can be killed while it seeds."""
    labs = tmp_path / "labs"
    shutil.copytree(TEST_LABS / "pg-seeded", labs / "pg-slow-seed")
    lab_yaml = labs / "pg-slow-seed" / "lab.yaml"
    lab_yaml.write_text(lab_yaml.read_text().replace("id: pg-seeded", "id: pg-slow-seed"))
    seed = labs / "pg-slow-seed" / "seed.sql"
    seed.write_text(seed.read_text() + "\nSELECT pg_sleep(4);\n")
    return labs


# -- 1. labctl killed in the middle of start


@pytest.mark.parametrize("kill_when", ["created", "running"])
def test_sigkill_mid_start_then_start_heals(home, client, kill_when):
    """created: as soon as the container exists (usually not started yet); running: while labctl waits
    for PostgreSQL to answer."""
    name = new_instance_name(f"kill-{kill_when}")
    env = cli_env()
    proc = spawn("start", "pg-seeded", "--name", name, env=env)
    try:
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = client.api.containers(all=True, filters={"label": f"io.labctl.instance={name}"})
            if found and (kill_when == "created" or found[0]["State"] == "running"):
                state = found[0]["State"]
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        out, err = proc.communicate(timeout=15)
        print(f"labctl killed with its container {state}")
        assert state is not None and proc.returncode == -signal.SIGKILL, \
            f"labctl was not killed mid-start (exit {proc.returncode}, container state {state})\n{err}"

        again = labctl("start", "pg-seeded", "--name", name, env=env)
        assert again.returncode == 0, said(again)
        assert "Loaded the lab's starting data." in again.stdout, "the killed start never seeded: this one must"
        code, data = status_json(name, env)
        assert code == 0 and data["ready"] and [s["state"] for s in data["services"]] == ["running"], data
        assert query(data["services"][0]["urls"]["DATABASE_URL"], "SELECT count(*) FROM marker") == [(1,)]
        checked = labctl("check", "--name", name, env=env, timeout=60)
        assert checked.returncode == 3, said(checked)
        assert "marker has 1 rows; expected 2" in checked.stdout
        assert_one_set(client, name, "pg-seeded", home)
    finally:
        kill_hard(proc)
        destroy(home, name)


def test_sigkill_while_seeding_then_start_seeds_once(home, client, slow_seed_labs):
    name = new_instance_name("kill-seed")
    labs_dirs = (TEST_LABS, slow_seed_labs)
    env = cli_env(labs_dirs)
    proc = spawn("start", "pg-slow-seed", "--name", name, env=env)
    seeding = threading.Event()
    lines: list[str] = []

    def read_stderr() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "loading the lab's starting data" in line:
                seeding.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert seeding.wait(timeout=120), "".join(lines)
        time.sleep(0.5)  # inside the 4 s seed transaction
        assert proc.poll() is None, "labctl finished before it could be killed while seeding"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)
        reader.join(timeout=15)

        again = labctl("start", "pg-slow-seed", "--name", name, env=env)
        assert again.returncode == 0, said(again)
        assert "Loaded the lab's starting data." in again.stdout
        code, data = status_json(name, env)
        assert code == 0 and data["ready"], data
        url = data["services"][0]["urls"]["DATABASE_URL"]
        assert query(url, "SELECT count(*) FROM marker") == [(1,)], "the seed ran twice, or not at all"
        checked = labctl("check", "--name", name, env=env, timeout=60)
        assert checked.returncode == 3, said(checked)
        assert "marker has 1 rows; expected 2" in checked.stdout
        assert_one_set(client, name, "pg-slow-seed", home, labs_dirs)

        # A third start finds the finished seed and keeps the learner's work.
        query(url, "INSERT INTO marker VALUES (2)")
        third = labctl("start", "pg-slow-seed", "--name", name, env=env)
        assert third.returncode == 0 and "Loaded the lab's starting data." not in third.stdout, said(third)
        assert query(url, "SELECT count(*) FROM marker") == [(2,)]
    finally:
        kill_hard(proc)
        destroy(home, name, labs_dirs)


# -- 2. a lab's container killed under it


def test_killed_container_is_reported_and_start_heals_it_keeping_data(home, client):
    name = new_instance_name("kill-ctr")
    env = cli_env()
    try:
        started = labctl("start", "pg-seeded", "--name", name, env=env)
        assert started.returncode == 0, said(started)
        url = database_url(name, env)
        query(url, "CREATE TABLE mine (x int); INSERT INTO mine VALUES (42)")

        container_of(client, name, "postgres").kill()

        code, data = status_json(name, env)
        assert code == 5, data
        assert not data["ready"]
        assert [(s["service"], s["state"] != "running") for s in data["services"]] == [("postgres", True)], data
        text = labctl("status", "--name", name, env=env, timeout=60)
        assert text.returncode == 5, said(text)
        assert re.search(r"^postgres\s+(stopped|failed)", text.stdout, re.M), said(text)
        assert f"labctl start pg-seeded --name {name}" in text.stdout

        healed = labctl("start", "pg-seeded", "--name", name, env=env)
        assert healed.returncode == 0, said(healed)
        assert "Loaded the lab's starting data." not in healed.stdout, "a restart must not re-seed"
        code, data = status_json(name, env)
        assert code == 0 and data["ready"], data
        assert query(data["services"][0]["urls"]["DATABASE_URL"], "SELECT x FROM mine") == [(42,)]
        assert_one_set(client, name, "pg-seeded", home)
    finally:
        destroy(home, name)


# -- 3. two starts of one instance at once


def test_two_starts_at_once_one_waits_and_one_set_of_containers(home, client):
    name = new_instance_name("twice")
    env = cli_env()
    procs = [spawn("start", "pg-seeded", "--name", name, env=env) for _ in range(2)]
    try:
        outputs = [p.communicate(timeout=240) for p in procs]
        for proc, (out, err) in zip(procs, outputs):
            assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
        waited = [err for _, err in outputs if WAITED.format(name) in err]
        assert len(waited) == 1, [err for _, err in outputs]
        assert sum("Loaded the lab's starting data." in out for out, _ in outputs) == 1, "seeded twice (or never)"
        code, data = status_json(name, env)
        assert code == 0 and data["ready"], data
        assert query(data["services"][0]["urls"]["DATABASE_URL"], "SELECT count(*) FROM marker") == [(1,)]
        assert_one_set(client, name, "pg-seeded", home)
    finally:
        for proc in procs:
            kill_hard(proc)
        destroy(home, name)


# -- 4. a service that hangs


@pytest.fixture
def many_checks_labs(tmp_path) -> Path:
    """pg-seeded with four PostgreSQL checks in three tasks: a hung service must not cost 4 x the wait."""
    labs = tmp_path / "labs"
    shutil.copytree(TEST_LABS / "pg-seeded", labs / "pg-many-checks")
    lab_yaml = labs / "pg-many-checks" / "lab.yaml"
    text = lab_yaml.read_text().replace("id: pg-seeded", "id: pg-many-checks")
    text += (
        "  - id: two-tables\n"
        "    title: Two tables\n"
        "    instructions: tasks/add-row.md\n"
        "    hints: [\"CREATE TABLE a (x int)\"]\n"
        "    checks:\n"
        "      - {type: sql.table_exists, table: a}\n"
        "      - {type: sql.table_exists, table: b}\n"
        "    solution:\n"
        "      - sql: tasks/add-row.sql\n"
        "  - id: marker-again\n"
        "    title: Marker again\n"
        "    instructions: tasks/add-row.md\n"
        "    hints: [\"INSERT INTO marker VALUES (2)\"]\n"
        "    checks:\n"
        "      - {type: sql.row_count, table: marker, equals: 2}\n"
        "    solution:\n"
        "      - sql: tasks/add-row.sql\n"
    )
    lab_yaml.write_text(text)
    return labs


NOT_ANSWERING = re.compile(r"postgres service (is paused|did not answer within 3s)|did not accept a connection")


def test_paused_service_check_ends_quickly_and_status_says_paused(home, client, many_checks_labs):
    name = new_instance_name("paused")
    labs_dirs = (TEST_LABS, many_checks_labs)
    env = cli_env(labs_dirs, LABCTL_CHECK_TIMEOUT="3")
    container = None
    try:
        started = labctl("start", "pg-many-checks", "--name", name, env=env)
        assert started.returncode == 0, said(started)
        container = container_of(client, name, "postgres")
        container.pause()

        began = time.monotonic()
        checked = labctl("check", "--name", name, "--json", env=env, timeout=90)
        took = time.monotonic() - began
        print(f"labctl check on a paused service: {took:.1f}s")
        assert took < 20, f"check took {took:.1f}s\n{said(checked)}"
        assert checked.returncode == 5, said(checked)
        report = json.loads(checked.stdout)
        messages = [c["message"] for t in report["tasks"] for c in t["checks"]]
        assert len(messages) == 4 and all(NOT_ANSWERING.search(m) for m in messages), messages
        assert {c["status"] for t in report["tasks"] for c in t["checks"]} == {"error"}

        text = labctl("check", "--name", name, env=env, timeout=90)
        assert text.returncode == 5, said(text)
        assert "postgres service is paused" in text.stdout, said(text)
        assert "Some checks could not run" in text.stdout

        code, data = status_json(name, env)
        assert code == 5 and [(s["service"], s["state"]) for s in data["services"]] == [("postgres", "paused")], data
        plain = labctl("status", "--name", name, env=env, timeout=60)
        assert plain.returncode == 5 and re.search(r"^postgres\s+paused", plain.stdout, re.M), said(plain)

        container.unpause()
        after = labctl("check", "--name", name, env=env, timeout=90)
        assert after.returncode == 3, said(after)  # answers again: the checks run and fail on their merits
    finally:
        if container is not None:
            _unpause(container)
        destroy(home, name, labs_dirs)


def test_service_that_hangs_after_status_was_read_is_bounded_by_the_check_timeout(
        home, client, many_checks_labs, monkeypatch):
    """The container is paused between reading its state (running) and the checks: the first check gives
    up at its timeout, and the others do not wait again for a service that did not answer."""
    from labctl.check_engine.runner import run_tasks

    name = new_instance_name("hung")
    labs_dirs = (TEST_LABS, many_checks_labs)
    monkeypatch.setenv("LABCTL_CHECK_TIMEOUT", "3")
    manager = make_manager(home, lab_dirs=labs_dirs)
    container = None
    try:
        manager.start("pg-many-checks", name=name, workspace=home / "ws")
        view = manager.view(name)
        assert view.ready
        container = container_of(client, name, "postgres")
        container.pause()
        ctx = manager.context(view)
        began = time.monotonic()
        try:
            results = run_tasks(view.lab, ctx)
        finally:
            ctx.close()
        took = time.monotonic() - began
        checks = [c for r in results for c in r.checks]
        print(*(c.message for c in checks), sep="\n")
        print(f"checks against a hung service: {took:.1f}s; " + "; ".join(f"{c.duration:.1f}s" for c in checks))
        assert len(checks) == 4
        assert all(c.status.value == "error" and NOT_ANSWERING.search(c.message) for c in checks), \
            [c.message for c in checks]
        assert checks[0].duration < 3 + 1.5 + 1, checks[0].duration
        assert all(c.duration < 0.1 for c in checks[1:]), [c.duration for c in checks]
        assert took < 3 + 1.5 + 2, f"{took:.1f}s: one timeout per run, not one per check"
    finally:
        if container is not None:
            _unpause(container)
        destroy(home, name, labs_dirs)


def _unpause(container) -> None:
    try:
        container.reload()
        if container.status == "paused":
            container.unpause()
    except docker.errors.NotFound:
        pass


# -- 5. every usual port taken


def _hold(port: int) -> socket.socket | None:
    """A listening socket on 127.0.0.1:port, or None when someone else has the port already."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        sock.close()
        return None
    return sock


def test_every_usual_port_taken_every_service_moves_and_says_so(home, client):
    name = new_instance_name("ports")
    env = cli_env()
    lab = make_manager(home).loader.load("four-services")
    wanted = {(svc, spec.host_ports.get(p, p)): p for svc, spec in lab.services.items() for p in spec.ports}
    assert {w for _, w in wanted} == {5432, 6379, 5672, 15672, 2222, 8080, 8443}  # the box: SSH, HTTP, HTTPS
    held = {key: _hold(key[1]) for key in wanted}
    try:
        started = labctl("start", "four-services", "--name", name, env=env, timeout=400)
    finally:
        for sock in held.values():
            if sock is not None:
                sock.close()
    try:
        assert started.returncode == 0, said(started)
        moves = {(m["service"], int(m["wanted"])): int(m["host"]) for m in MOVED.finditer(started.stderr)}
        code, data = status_json(name, env)
        assert code == 0 and data["ready"], data
        published = {s["service"]: {int(c): h for c, h in s["ports"].items()} for s in data["services"]}
        for (service, usual), container_port in wanted.items():
            host = published[service][container_port]
            assert host != usual, f"{service} got its usual port {usual}, which was taken"
            if held[(service, usual)] is not None:  # ours for sure: labctl must have said so
                assert moves.get((service, usual)) == host, (service, usual, host, started.stderr)
            elif (service, usual) in moves:
                assert moves[(service, usual)] == host
        urls = {k: v for s in data["services"] for k, v in s["urls"].items()}
        assert query(urls["DATABASE_URL"], "SELECT 1") == [(1,)]
        import redis

        assert redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=10).ping()
        with socket.create_connection(("127.0.0.1", published["linuxbox"][22]), timeout=10) as ssh:
            ssh.settimeout(10)
            assert ssh.recv(64).startswith(b"SSH-")
        for port in published["rabbitmq"].values():
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
        assert_one_set(client, name, "four-services", home)
    finally:
        destroy(home, name)
