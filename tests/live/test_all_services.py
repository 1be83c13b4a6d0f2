"""Live: a lab with every service starts with one `labctl start`; each answers at its printed URL; `labctl ssh` logs in."""
from __future__ import annotations

import json
import pika
import psycopg
import pytest
import redis
import requests

from tests.cli.test_cli import run_main
from tests.conftest import TEST_LABS, new_instance_name

pytestmark = pytest.mark.live


def _journey(lab: str, tmp_path, extra=None) -> None:
    env = {"LABCTL_LABS_DIR": str(TEST_LABS), "LABCTL_HOME": str(tmp_path / "home")}
    name = new_instance_name(lab[:4])
    try:
        started = run_main("start", lab, "--name", name, "--workspace", str(tmp_path / "ws"), env=env)
        assert started.returncode == 0, started.stderr
        status = json.loads(run_main("status", "--json", "--name", name, env=env).stdout)
        assert status["ready"] and {s["state"] for s in status["services"]} == {"running"}
        urls = {k: v for s in status["services"] for k, v in s["urls"].items()}
        for url in urls.values():
            if "://" in url and not url.startswith("ssh://"):
                assert "127.0.0.1" in url  # every printed URL is on loopback
        with psycopg.connect(urls["DATABASE_URL"], connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=5).ping()
        amqp = pika.BlockingConnection(pika.URLParameters(urls["AMQP_URL"] + "?connection_attempts=1&socket_timeout=5"))
        amqp.close()
        learner = pika.URLParameters(urls["AMQP_URL"]).credentials  # the learner's own user and password
        overview = requests.get(urls["RABBITMQ_MANAGEMENT_URL"] + "api/overview",
                                auth=(learner.username, learner.password), timeout=5)
        assert overview.status_code == 200
        logged_in = run_main("ssh", "--name", name, "--", "whoami", env=env)
        assert logged_in.returncode == 0, logged_in.stderr
        assert logged_in.stdout.strip() == "learner"
        if extra:
            extra(urls)
        assert run_main("check", "--name", name, env=env).returncode == 3
    finally:
        run_main("destroy", name, "--yes", env=env)


def test_four_services_start_together_and_answer(tmp_path):
    _journey("four-services", tmp_path)


def test_all_five_services(tmp_path):
    import pymongo

    def mongo_answers(urls):
        client = pymongo.MongoClient(urls["MONGODB_URL"], serverSelectionTimeoutMS=5000)
        assert client.admin.command("ping")["ok"] == 1

    _journey("five-services", tmp_path, mongo_answers)
