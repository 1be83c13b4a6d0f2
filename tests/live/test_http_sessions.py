"""http.sequence with cookies as a browser keeps them (checks/http/cookies.py), against a real login app on
127.0.0.1: the attributes of a session cookie, a Secure cookie sent back over http://127.0.0.1, the session id
changing at login, and an old cookie replayed after logout. No container: these run wherever pytest runs."""
from __future__ import annotations

import re
import secrets
import time

import pytest

from labctl.check_engine import registry
from tests.servers import AppHandler, base_url, serving
from tests.check_runs import run_entry

GOOD = "HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"
# mode -> (attributes of the login cookie, logout ends the session on the server, a new id at login)
MODES = {
    "good": (GOOD, True, True),
    "strict-no-expiry": ("HttpOnly; SameSite=Strict; Path=/", True, True),
    "no-httponly": ("SameSite=Lax; Path=/", True, True),
    "samesite-none": ("HttpOnly; SameSite=None; Secure; Path=/", True, True),
    "no-samesite": ("HttpOnly; Path=/", True, True),
    "month": ("HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000", True, True),
    "logout-on-client-only": (GOOD, False, True),
    "same-id-at-login": (GOOD, True, False),
}


class LoginApp(AppHandler):
    sessions: dict[str, str] = {}  # session id -> user (None before login)

    def _send(self, status: int, body: dict, cookie: str | None = None) -> None:
        self.answer(status, body, headers=[("Set-Cookie", cookie)] if cookie else ())

    def _sid(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "sid":
                return value
        return None

    def _route(self) -> tuple[str, str]:
        parts = self.path.strip("/").split("/")
        return parts[1], "/".join(parts[2:])

    def do_GET(self) -> None:
        mode, route = self._route()
        attributes = MODES[mode][0]
        if route == "":
            sid = self._sid() or "anon-" + secrets.token_hex(8)
            self.sessions.setdefault(sid, "")
            return self._send(200, {"page": "home"}, f"sid={sid}; {attributes}")
        if route == "me":
            user = self.sessions.get(self._sid() or "")
            return self._send(200, {"user": user}) if user else self._send(401, {"error": "log in first"})
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        mode, route = self._route()
        attributes, server_logout, new_id = MODES[mode]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if route == "login":
            sid = self._sid() if (not new_id and self._sid()) else "s-" + secrets.token_hex(8)
            self.sessions[sid] = "ann"
            return self._send(200, {"ok": True}, f"sid={sid}; {attributes}")
        if route == "logout":
            if server_logout:
                self.sessions.pop(self._sid() or "", None)
            return self._send(200, {"ok": True}, "sid=; Path=/; Max-Age=0")
        self._send(404, {"error": "not found"})


@pytest.fixture(scope="module")
def app():
    with serving(LoginApp) as server:
        yield base_url(server)


def run(entry: dict, tmp_path):
    return run_entry(entry, tmp_path)


def session_scenario(app: str, mode: str) -> dict:
    """auth-101's shape: a visit, login (cookie rules), /me, logout, the old cookie replayed."""
    base = f"{app}/m/{mode}"
    return {"type": "http.sequence", "url": base, "distinct": ["before", "after"], "steps": [
        {"path": "/", "status": 200, "save_cookies": "before"},
        {"method": "POST", "path": "/login", "json": {"user": "ann", "password": "pw"}, "status": 200,
         "set_cookies": {"*": {"httponly": True, "samesite": ["Lax", "Strict"], "max_age_at_most": 86400}},
         "save_cookies": "after"},
        {"path": "/me", "status": 200, "equals": {"user": "ann"}},
        {"method": "POST", "path": "/logout", "status": 200},
        {"path": "/me", "headers": {"Cookie": "${after}"}, "status": 401, "what": "the cookie from before logout"},
    ]}


@pytest.mark.parametrize("mode", ["good", "strict-no-expiry"])
def test_a_right_session_passes_secure_cookie_included(app, mode, tmp_path):
    result = run(session_scenario(app, mode), tmp_path)
    assert result.status.value == "passed", result.message


@pytest.mark.parametrize("mode, said", [
    ("no-httponly", "is not HttpOnly: add HttpOnly, so that no script in a page can read it"),
    ("samesite-none", "has SameSite=None; expected SameSite=Lax or Strict"),
    ("no-samesite", "has no SameSite attribute; expected SameSite=Lax or Strict"),
    ("month", "lasts 30 days; it should last at most 1 day"),
    ("logout-on-client-only", "step 5 (GET {app}/m/logout-on-client-only/me, the cookie from before logout): "
                              "it answered 200; expected 401"),
])
def test_each_session_mistake_fails_with_its_reason(app, mode, said, tmp_path):
    result = run(session_scenario(app, mode), tmp_path)
    assert result.status.value == "failed"
    assert said.format(app=app) in result.message, result.message


def test_a_session_id_kept_across_login_fails(app, tmp_path):
    result = run(session_scenario(app, "same-id-at-login"), tmp_path)
    assert result.status.value == "failed"
    assert result.message.startswith("the cookies of step 2 repeats the one of step 1"), result.message


def test_a_secure_cookie_goes_back_to_loopback_as_a_browser_sends_it(app, tmp_path):
    """Python's own cookie jar would not send it over http: /me would say 401."""
    result = run({"type": "http.sequence", "url": f"{app}/m/samesite-none", "steps": [
        {"method": "POST", "path": "/login", "status": 200}, {"path": "/me", "status": 200}]}, tmp_path)
    assert result.status.value == "passed", result.message


def test_clear_cookies_is_a_new_browser(app, tmp_path):
    result = run({"type": "http.sequence", "url": f"{app}/m/good", "steps": [
        {"method": "POST", "path": "/login", "status": 200},
        {"path": "/me", "clear_cookies": True, "status": 401}]}, tmp_path)
    assert result.status.value == "passed", result.message


def test_a_rule_for_a_named_cookie_the_answer_does_not_set(app, tmp_path):
    result = run({"type": "http.sequence", "url": f"{app}/m/good", "steps": [
        {"method": "POST", "path": "/login", "status": 200, "set_cookies": {"session": {"httponly": True}}}]}, tmp_path)
    assert result.status.value == "failed"
    assert "the answer does not set the cookie session (cookies it sets: sid)" in result.message


# ---- lab secrets in a sequence: the admin account an app makes from ADMIN_PASSWORD ----------------

ADMIN_PASSWORD = "adm-" + secrets.token_urlsafe(12)


class AdminApp(AppHandler):
    """POST /login {email, password}: the admin's password is ADMIN_PASSWORD; GET /admin: 200 for the admin."""

    admins: set[str] = set()

    def _send(self, status: int, cookie: str | None = None) -> None:
        self.answer(status, headers=[("Set-Cookie", cookie)] if cookie else ())

    def do_POST(self) -> None:
        body = self.json_body() or {}
        if body.get("email") == "admin@example.com" and body.get("password") == ADMIN_PASSWORD:
            sid = secrets.token_hex(8)
            self.admins.add(sid)
            return self._send(200, f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")
        self._send(401)

    def do_GET(self) -> None:
        sid = (self.headers.get("Cookie") or "").partition("sid=")[2]
        self._send(200 if sid in self.admins else 401)


@pytest.fixture(scope="module")
def admin_app():
    with serving(AdminApp) as server:
        yield base_url(server)


ADMIN_LOGIN = {"type": "http.sequence",
               "let": {"email": "admin@example.com", "admin_password": "${secret:ADMIN_PASSWORD}"},
               "steps": [{"method": "POST", "path": "/login", "status": 200,
                          "json": {"email": "${email}", "password": "${admin_password}"}},
                         {"path": "/admin", "status": 200}]}


def run_with_env(entry: dict, env: dict[str, str], tmp_path):
    return run_entry(entry, tmp_path, env=env)


def test_a_step_sends_the_lab_secret_the_app_made_its_admin_with(admin_app, tmp_path):
    result = run_with_env({**ADMIN_LOGIN, "url": admin_app}, {"ADMIN_PASSWORD": ADMIN_PASSWORD}, tmp_path)
    assert result.status.value == "passed", result.message


def test_an_app_that_ignores_the_secret_fails(admin_app, tmp_path):
    """The app made its admin with another password than the lab's secret: the admin's login is refused."""
    result = run_with_env({**ADMIN_LOGIN, "url": admin_app}, {"ADMIN_PASSWORD": "not-" + ADMIN_PASSWORD}, tmp_path)
    assert result.status.value == "failed"
    assert result.message.startswith(f"step 1 (POST {admin_app}/login): it answered 401; expected 200")


def test_a_secret_the_lab_does_not_declare_is_the_labs_error(admin_app, tmp_path):
    result = run_with_env({**ADMIN_LOGIN, "url": admin_app}, {}, tmp_path)
    assert result.status.value == "error"
    assert "the lab has no secret ADMIN_PASSWORD: declare it under secrets: in lab.yaml" in result.message


@pytest.mark.parametrize("change, said", [
    ({"let": {"email": "a@b", "admin_password": "${secret:admin_password}"}}, "a lab secret's name is in capitals"),
    ({"let": {"email": "a@b"}}, "${admin_password} is not defined before it is used"),
])
def test_secret_names_are_checked_when_the_lab_loads(change, said):
    cls = registry.get("http.sequence")
    params = {k: v for k, v in {**ADMIN_LOGIN, "url": "http://127.0.0.1:9", **change}.items() if k != "type"}
    with pytest.raises(ValueError, match=re.escape(said)):
        cls.model_validate(params)


def test_the_curl_line_of_a_failing_step_carries_the_cookies_sent(app, tmp_path):
    result = run({"type": "http.sequence", "url": f"{app}/m/good", "steps": [
        {"method": "POST", "path": "/login", "status": 200},
        {"path": "/me", "status": 401}]}, tmp_path)  # the app rightly answers 200: this step's expectation fails
    assert result.status.value == "failed"
    assert "-H 'Cookie: sid=s-" in result.message.split("Try it: ")[1], result.message


class LockApp(AppHandler):
    """POST /lock?seconds=N locks the door for N seconds; GET /door answers 429 while it is locked."""

    locked_until = 0.0

    def do_POST(self) -> None:
        type(self).locked_until = time.monotonic() + float(self.path.partition("seconds=")[2])
        self.answer(200)

    def do_GET(self) -> None:
        self.answer(429 if time.monotonic() < self.locked_until else 200)


@pytest.fixture(scope="module")
def lock_app():
    with serving(LockApp) as server:
        yield base_url(server)


def run_with_settings(entry: dict, settings: dict[str, str], tmp_path):
    return run_entry(entry, tmp_path, settings=settings)


def cool_down(app: str, lock_seconds: int) -> dict:
    """The app locks for lock_seconds; the lab says the cool-down is the cool_down setting."""
    return {"type": "http.sequence", "url": app, "steps": [
        {"method": "POST", "path": f"/lock?seconds={lock_seconds}", "status": 200},
        {"path": "/door", "status": 429, "what": "while locked"},
        {"path": "/door", "wait": "cool_down", "status": 200, "what": "once the cool-down is over"},
    ]}


def test_a_step_waits_out_the_labs_cool_down_and_the_lock_has_ended(lock_app, tmp_path):
    result = run_with_settings(cool_down(lock_app, 1), {"cool_down": "1"}, tmp_path)
    assert result.status.value == "passed", result.message
    assert "sleep 2" in result.evidence


def test_a_lock_longer_than_the_labs_cool_down_fails(lock_app, tmp_path):
    result = run_with_settings(cool_down(lock_app, 6), {"cool_down": "1"}, tmp_path)
    assert result.status.value == "failed"
    assert result.message.startswith(f"step 3 (GET {lock_app}/door, once the cool-down is over): it answered 429; "
                                     "expected 200")


def test_a_cool_down_too_long_for_a_check_says_how_to_shorten_it(lock_app, tmp_path):
    result = run_with_settings(cool_down(lock_app, 1), {"cool_down": "900"}, tmp_path)
    assert result.status.value == "error"
    assert "cool_down is 900 s, and a check waits 30 s at most" in result.message
    assert "labctl config unset cool_down" in result.message
