"""`labctl grade oauth-101` with the app contained: the sandbox reaches the lab's provider at the issuer the host
uses (127.0.0.1:<published port>, through the provider's loopback forwarder), and the app is published on the
port it listens on, so its redirect_uri holds. A right app (the lab's variant, standard library only, so the
plain Python runner runs it) gets the full score; one that skips the nonce fails the id-token task; nothing
of either grade is left behind.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

VARIANT = Path(__file__).resolve().parents[2] / "labs" / "oauth-101" / "variant" / "app_alt.py"
NONCE_CHECK = '    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):'


def grade(folder: Path, results: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labctl", "grade", "oauth-101", "--workspace", str(folder),
                           "--app", "python3 app.py", "--json", str(results)], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600, stdin=subprocess.DEVNULL)


def forwarders() -> list[str]:
    import docker

    client = docker.from_env()
    return [c.name for c in client.containers.list(all=True, filters={"label": "io.labctl.service=sandbox-forward"})]


def test_a_contained_app_logs_in_through_the_provider(engine, tmp_path):
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.mkdir(), wrong.mkdir()
    source = VARIANT.read_text()
    assert NONCE_CHECK in source
    (right / "app.py").write_text(source)
    (wrong / "app.py").write_text(source.replace(NONCE_CHECK, "    if False:  # the nonce is never compared"))

    done = grade(right, tmp_path / "right.json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((tmp_path / "right.json").read_text())
    assert data["score"] == data["max_score"] == 13

    done = grade(wrong, tmp_path / "wrong.json")
    assert done.returncode == 3, done.stdout + done.stderr
    failed = {t["task_id"]: t for t in json.loads((tmp_path / "wrong.json").read_text())["tests"] if t["status"] != "pass"}
    assert set(failed) == {"id-token"}
    assert "whose nonce is not the one" in failed["id-token"]["message"]
    assert forwarders() == []
