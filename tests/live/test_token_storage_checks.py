"""Live tests of auth.token_not_stored: a tiny login app on loopback hands out refresh tokens and keeps them in
the test lab's real PostgreSQL, each test switching how; a digest passes, the token as given fails wherever it
is (a text column in any case, JSON, bytea), with the query that shows it."""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
from contextlib import closing

import pytest

from tests.servers import AppHandler, QuietServer, serving

pytestmark = pytest.mark.live


class LoginApp(AppHandler):
    """POST /login: answers {refresh_token} and stores it as the server's mode says."""

    def do_POST(self) -> None:
        server: AppServer = self.server  # type: ignore[assignment]
        token, mode = secrets.token_urlsafe(32), server.mode
        with server.lock:
            if mode == "sha256":
                server.db.execute("INSERT INTO refresh_tokens (token) VALUES (%s)", (hashlib.sha256(token.encode()).hexdigest(),))
            elif mode == "as-given":
                server.db.execute("INSERT INTO refresh_tokens (token) VALUES (%s)", (token,))
            elif mode == "upper":
                server.db.execute("INSERT INTO refresh_tokens (token) VALUES (%s)", (token.upper(),))
            elif mode == "in-json":
                server.db.execute("INSERT INTO sessions (data) VALUES (%s::jsonb)", (json.dumps({"refresh": token}),))
            elif mode == "bytea":
                server.db.execute("INSERT INTO raw_tokens (token) VALUES (%s)", (token.encode(),))
        self.answer(200, {"refresh_token": token})


class AppServer(QuietServer):
    mode = "sha256"
    db = None
    lock = threading.Lock()


@pytest.fixture(scope="module")
def app_server(shared_pg):
    """The login app, writing as the learner's role (as a learner's app does, with DATABASE_URL)."""
    with closing(shared_pg.new_learner_connection()) as db, serving(LoginApp, AppServer, db=db) as httpd:
        yield httpd


@pytest.fixture
def app(app_server, sql):
    sql("CREATE TABLE refresh_tokens (id serial PRIMARY KEY, token text NOT NULL)")
    sql("CREATE TABLE sessions (id serial PRIMARY KEY, data jsonb)")
    sql("CREATE TABLE raw_tokens (id serial PRIMARY KEY, token bytea)")
    url = f"http://127.0.0.1:{app_server.server_address[1]}"
    return app_server, {"type": "auth.token_not_stored", "url": url, "called": "refresh token",
                        "steps": [{"method": "POST", "path": "/login", "status": 200, "save": {"refresh": "refresh_token"}}],
                        "tokens": ["refresh"]}


def test_a_digest_of_the_token_passes(app, run_check):
    server, entry = app
    server.mode = "sha256"
    result = run_check(entry)
    assert result.status.value == "passed", result.message
    assert result.message.startswith("no table holds the refresh token as it was given (3 tables searched)")


@pytest.mark.parametrize("mode, where", [
    ("as-given", "refresh_tokens.token"),
    ("upper", "refresh_tokens.token"),
    ("in-json", "sessions.data.refresh"),
    ("bytea", "raw_tokens.token"),
])
def test_the_token_as_given_fails_wherever_it_is(app, run_check, mode, where):
    server, entry = app
    server.mode = mode
    result = run_check(entry)
    assert result.status.value == "failed"
    assert result.message.startswith(f"the refresh token your app gave is stored as it is, in {where}: whoever reads")
    assert "Store a digest of it instead (SHA-256, in hex)" in result.message
    assert 'psql "$DATABASE_URL" -c' in result.evidence and "curl -i -X POST" in result.evidence


@pytest.mark.parametrize("change, said", [
    ({"tokens": ["nope"]}, "tokens: no step saves 'nope'"),
    ({"url": None}, "give url or setting"),
])
def test_a_check_written_wrong_is_refused_when_the_lab_loads(app, change, said):
    from labctl.check_engine import registry

    _, entry = app
    params = {k: v for k, v in {**entry, **change}.items() if k != "type" and v is not None}
    with pytest.raises(ValueError, match=said):
        registry.get("auth.token_not_stored").model_validate(params)
