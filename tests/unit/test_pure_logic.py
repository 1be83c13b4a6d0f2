"""Pure logic: row comparison, type names, endpoint order, readiness, settings."""
from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pytest

from labctl.check_engine import rows
from labctl.core.errors import LabctlError, ServiceNotReadyError
from labctl.core.readiness import wait_ready
from labctl.core.settings import Settings
from labctl.runtime.base import ServiceState, ServiceStatus
from labctl.runtime.docker.endpoint import candidates


def test_rows_compare_values_not_representations():
    found = [(1, decimal.Decimal("19.90"), dt.date(2024, 1, 2))]
    assert rows.compare(found, [[1, 19.9, "2024-01-02"]]).same


def test_rows_compare_reports_extra_and_missing():
    diff = rows.compare([(1,), (2,), (2,)], [[1], [2], [3]])
    assert diff.unexpected == [(2,)] and diff.missing == [(3,)]
    text = rows.explain(diff, 3, 3)
    assert "should not be there, e.g. (2)" in text and "missing, e.g. (3)" in text


def test_rows_order_only_when_asked():
    assert rows.compare([(2,), (1,)], [[1], [2]]).same
    diff = rows.compare([(2,), (1,)], [[1], [2]], ordered=True)
    assert diff.order_differs and "wrong order" in rows.explain(diff, 2, 2)


@pytest.mark.parametrize("given, normal", [
    ("VARCHAR(100)", "character varying(100)"), ("decimal(10, 2)", "numeric(10,2)"), ("serial", "integer"),
    ("timestamptz", "timestamp with time zone"), ("int8", "bigint"), ("text", "text"), ("int[]", "integer[]"),
])
def test_normalize_type(given, normal):
    from labctl.check_families.sql.common import normalize_type

    assert normalize_type(given) == normal


def test_endpoint_explicit_settings_win(tmp_path):
    env = {"LABCTL_DOCKER_HOST": "tcp://127.0.0.1:1", "DOCKER_HOST": "unix:///x"}
    assert [c.url for c in candidates(env, tmp_path, "Linux")] == ["tcp://127.0.0.1:1"]
    assert candidates({"DOCKER_HOST": "unix:///x"}, tmp_path, "Linux")[0].how == "DOCKER_HOST"


def test_endpoint_reads_current_context(tmp_path):
    import hashlib

    config = tmp_path / ".docker"
    meta = config / "contexts" / "meta" / hashlib.sha256(b"colima").hexdigest()
    meta.mkdir(parents=True)
    (config / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    (meta / "meta.json").write_text(json.dumps({"Endpoints": {"docker": {"Host": "unix:///colima.sock"}}}))
    found = candidates({}, tmp_path, "Darwin")
    assert found[0].url == "unix:///colima.sock" and "colima" in found[0].how


def test_endpoint_finds_existing_sockets_only(tmp_path):
    sock = tmp_path / ".orbstack" / "run" / "docker.sock"
    sock.parent.mkdir(parents=True)
    sock.touch()
    urls = [c.url for c in candidates({"XDG_RUNTIME_DIR": str(tmp_path / "run")}, tmp_path, "Darwin")]
    assert f"unix://{sock}" in urls
    assert all(Path(u[len("unix://"):]).exists() for u in urls)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _status(state):
    return ServiceStatus("i", "lab", "db", "postgres", state, detail="exited with code 1")


def test_wait_ready_returns_when_probe_answers():
    clock = FakeClock()
    calls = []

    def probe():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("refused")

    waited = wait_ready("db", probe, lambda: _status(ServiceState.RUNNING), lambda n: [], timeout=10,
                        interval=0.2, clock=clock, sleep=clock.sleep)
    assert len(calls) == 3 and waited == pytest.approx(0.4)


def test_wait_ready_asks_the_engine_only_every_state_every_seconds():
    clock = FakeClock()
    asked = []

    def state():
        asked.append(clock.now)
        return _status(ServiceState.RUNNING)

    with pytest.raises(ServiceNotReadyError):
        wait_ready("db", lambda: (_ for _ in ()).throw(ConnectionError("refused")), state, lambda n: [],
                   timeout=2, interval=0.05, state_every=0.5, clock=clock, sleep=clock.sleep)
    assert len(asked) == 4  # at 0, 0.5, 1.0, 1.5 s: not at every one of the 40 probes


def test_wait_ready_fails_fast_when_container_exits():
    clock = FakeClock()
    with pytest.raises(ServiceNotReadyError) as info:
        wait_ready("db", lambda: (_ for _ in ()).throw(ConnectionError("refused")), lambda: _status(ServiceState.FAILED),
                   lambda n: ["FATAL: bad config"], timeout=60, clock=clock, sleep=clock.sleep)
    assert clock.now == 0 and "exited with code 1" in info.value.message and "FATAL: bad config" in info.value.hint


def test_wait_ready_times_out_with_last_error():
    clock = FakeClock()
    with pytest.raises(ServiceNotReadyError) as info:
        wait_ready("db", lambda: (_ for _ in ()).throw(ConnectionError("refused")), lambda: _status(ServiceState.RUNNING),
                   lambda n: [], timeout=5, clock=clock, sleep=clock.sleep)
    assert "within 5s" in info.value.message and "refused" in info.value.message
    assert info.value.exit_code == 5


def test_settings_reject_bad_values(tmp_path):
    with pytest.raises(LabctlError):
        Settings.from_environ({"LABCTL_HOME": str(tmp_path), "LABCTL_IMAGE_SOURCE": "magic"})
    with pytest.raises(LabctlError):
        Settings.from_environ({"LABCTL_HOME": str(tmp_path), "LABCTL_READY_TIMEOUT": "-3"})
    assert Settings.from_environ({"LABCTL_HOME": str(tmp_path)}).image_source == "auto"
