"""Live tests of the practice-http service: started through the lab manager (lab http-101), a few
endpoints, the trace log, the http driver's run files and reset."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from labctl.core.errors import LabctlError
from labctl.core.model import Step
from tests.conftest import make_manager, new_instance_name

pytestmark = pytest.mark.live

LABS = Path(__file__).resolve().parents[2] / "labs"


@pytest.fixture(scope="module")
def practice(engine, tmp_path_factory):
    """(manager, instance name, access) of a running http-101 instance for this module."""
    manager = make_manager(tmp_path_factory.mktemp("http-home"), lab_dirs=(LABS,))
    name = new_instance_name("http")
    manager.start("http-101", name=name, workspace=tmp_path_factory.mktemp("http-ws"), ephemeral=True)
    ctx = manager.context(manager.view(name))
    try:
        yield manager, name, ctx.service("practice-http")
    finally:
        ctx.close()
        manager.destroy(name)


@pytest.fixture
def api(practice):
    """A requests session on the service's base URL, with the service reset before each test."""
    from labctl.services.practice_http import PracticeHttpDriver as Driver, base_url

    _, _, access = practice
    Driver().restore(access, [])
    base = base_url(access)
    session = requests.Session()
    session.trust_env = False

    def call(method: str, path: str, **kwargs):
        kwargs.setdefault("timeout", 10)
        return session.request(method, base + path, **kwargs)

    yield call
    session.close()


def trace(api) -> list[dict]:
    response = api("GET", "/_lab/trace")
    assert response.status_code == 200
    return response.json()


def test_health_and_trace_excludes_lab_paths(api):
    assert api("GET", "/health").json() == {"status": "ok"}
    assert trace(api) == []


def test_items_status_codes(api):
    assert api("GET", "/items/42").status_code == 404
    created = api("POST", "/items", json={"name": "pen", "price": 1.5}, headers={"X-Student": "ada"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/items/{created.json()['id']}"
    assert api("POST", "/items", data='{"name": "pen"}').status_code == 415
    bad = api("POST", "/items", data="{name", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "error" in bad.json()
    wrong = api("DELETE", "/items")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    assert api("DELETE", created.headers["Location"]).status_code == 204
    entries = trace(api)
    assert [(e["method"], e["path"], e["status"]) for e in entries][:2] == [("GET", "/items/42", 404), ("POST", "/items", 201)]
    assert entries[1]["headers"]["x-student"] == "ada"
    assert entries[1]["body"].startswith("{")


def test_login_cookie_redirects_and_etag(api):
    assert api("GET", "/me").status_code == 401
    assert api("POST", "/login", data={"user": "learner", "password": "http-is-fun"}).status_code == 200
    assert api("GET", "/me").json() == {"user": "learner"}
    assert trace(api)[-1]["cookies"].get("session")
    first = api("GET", "/old-path", allow_redirects=False)
    assert first.status_code == 301 and first.headers["Location"] == "/new-path"
    followed = api("GET", "/old-path")
    assert followed.status_code == 200 and "GOLD-4217" in followed.text
    catalog = api("GET", "/catalog")
    assert "max-age" in catalog.headers["Cache-Control"]
    assert api("GET", "/catalog", headers={"If-None-Match": catalog.headers["ETag"]}).status_code == 304


def test_cors_preflight(api):
    allowed = api("OPTIONS", "/items", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "X-Student" in allowed.headers["Access-Control-Allow-Headers"]
    other = api("OPTIONS", "/items", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_driver_run_file_check_endpoint_and_reset(practice, api, tmp_path):
    from labctl.services.practice_http import PracticeHttpDriver as Driver

    _, _, access = practice
    assert api("GET", "/_lab/check/login").json()["done"] is False
    run = tmp_path / "login.yaml"
    run.write_text("requests:\n"
                   "  - {method: POST, path: /login, form: {user: learner, password: http-is-fun}, expect: 200}\n"
                   "  - {method: GET, path: /me, expect: 200}\n")
    Driver().apply(access, Step("run", run, "practice-http"))
    assert api("GET", "/_lab/check/login").json() == {"done": True, "result": "done"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("requests:\n  - {method: GET, path: /me, cookies: false, expect: 200}\n")
    with pytest.raises(LabctlError, match="answered 401; expected 200"):
        Driver().apply(access, Step("run", bad, "practice-http"))
    Driver().restore(access, [])
    assert trace(api) == []


def test_stop_and_start_keep_the_learners_trace_and_items(practice, api):
    """labctl stop says "your data is kept": the trace and the items live on the data volume."""
    import time

    manager, name, _ = practice
    created = api("POST", "/items", json={"name": "pen"}).json()
    api("GET", "/items/42")
    started = time.monotonic()
    manager.stop(name)
    assert time.monotonic() - started < 5, "the service must stop on SIGTERM, not after the engine's timeout"
    manager.start("http-101", name=name)
    access = manager.context(manager.view(name)).service("practice-http")
    from labctl.services.practice_http import base_url

    base = base_url(access)
    session = requests.Session()
    session.trust_env = False
    assert session.get(base + f"/items/{created['id']}", timeout=10).json()["name"] == "pen"
    paths = [entry["path"] for entry in session.get(base + "/_lab/trace", timeout=10).json()]
    assert paths[:2] == ["/items", "/items/42"]


def check(api, task: str) -> dict:
    return api("GET", f"/_lab/check/{task}").json()


def test_check_cors_preflight_needs_a_request_method_for_post(api):
    api("OPTIONS", "/items", headers={"Origin": "http://localhost:3000"})
    assert check(api, "cors-preflight")["result"].endswith(
        "your OPTIONS /items had no Access-Control-Request-Method header: without it, it is not a preflight "
        "(a browser always says which method it wants to use)")
    api("OPTIONS", "/items", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"})
    assert "asked for Access-Control-Request-Method: GET; the page wants to POST" in check(api, "cors-preflight")["result"]
    api("OPTIONS", "/items", headers={"origin": "http://localhost:3000", "access-control-request-method": "POST"})
    assert check(api, "cors-preflight") == {"done": True, "result": "done"}


def test_check_submit_names_a_form_body_not_a_wrong_code(api):
    api("GET", "/old-path")  # requests follows the redirects, as curl -L
    api("POST", "/submit", data={"code": "GOLD-4217"})
    result = check(api, "redirects")["result"]
    assert result.startswith("your last POST /submit was answered 415: its body was sent as a form")
    assert "is wrong" not in result
    api("POST", "/submit", json={"code": "SILVER-1"})
    assert check(api, "redirects")["result"] == "the code sent to POST /submit is wrong: copy it from the /treasure page"
    api("POST", "/submit", json={"code": "GOLD-4217"})
    assert check(api, "redirects") == {"done": True, "result": "done"}


def test_check_redirects_must_be_followed_from_old_path(api):
    api("GET", "/treasure")
    api("POST", "/submit", json={"code": "GOLD-4217"})
    assert "not by following the redirects from /old-path" in check(api, "redirects")["result"]
    api("GET", "/old-path", allow_redirects=False)
    api("GET", "/new-path", allow_redirects=False)
    api("GET", "/treasure")
    assert check(api, "redirects")["done"] is True


def test_check_conditional_get_needs_the_etag_not_a_star(api):
    etag = api("GET", "/catalog").headers["ETag"]
    assert api("GET", "/catalog", headers={"If-None-Match": "*"}).status_code == 304
    assert "did not hold the catalog's ETag" in check(api, "conditional-get")["result"]
    api("GET", "/catalog", headers={"If-None-Match": f'"other", {etag}'})
    assert check(api, "conditional-get") == {"done": True, "result": "done"}


def test_check_create_item_says_why_a_post_was_refused(api):
    api("POST", "/items", data='{"name": "pen"}', headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert check(api, "create-item")["result"].startswith(
        "no POST /items was answered 201 yet (last answer: 415): its body was sent as a form")
    api("POST", "/items", data="{name", headers={"Content-Type": "application/json"})
    assert "its body was labelled JSON but is not a JSON object" in check(api, "create-item")["result"]
