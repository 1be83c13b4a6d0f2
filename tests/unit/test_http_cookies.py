"""Cookies as a browser keeps them for a loopback app (checks/http/cookies.py)."""
from __future__ import annotations

from labctl.check_families.http.cookies import BrowserJar, parse_set_cookie


class Answer:
    """A response with raw Set-Cookie headers, as requests gives them."""

    def __init__(self, *cookies: str):
        self.raw = type("Raw", (), {"headers": type("H", (), {"getlist": lambda _self, name: list(cookies)})()})()
        self.headers = {}


def test_attributes_are_read_case_insensitively():
    cookie = parse_set_cookie("sid=abc=def; path=/app; HTTPONLY; samesite=lax; Secure; Max-Age=60")
    assert (cookie.name, cookie.value, cookie.path) == ("sid", "abc=def", "/app")
    assert cookie.httponly and cookie.secure and cookie.samesite == "Lax" and cookie.lifetime() == 60


def test_what_a_browser_ignores():
    assert parse_set_cookie("no-equals-sign; Path=/") is None
    assert parse_set_cookie("=value") is None


def test_expiry_by_max_age_or_a_past_date_deletes():
    assert parse_set_cookie("sid=; Max-Age=0").deletes()
    assert parse_set_cookie("sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT").deletes()
    assert not parse_set_cookie("sid=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT").deletes()
    assert parse_set_cookie("sid=x").lifetime() is None  # a session cookie


def test_the_jar_sends_secure_cookies_by_path_and_forgets_expired_ones():
    jar = BrowserJar()
    jar.take(Answer("sid=1; Path=/; Secure; HttpOnly", "pref=dark; Path=/settings"))
    assert jar.header_for("/me") == "sid=1"
    assert jar.header_for("/settings/colour") == "pref=dark; sid=1"  # longer paths first
    assert jar.header_for("/settingsx") == "sid=1"  # a path prefix counts only up to a /
    jar.take(Answer("sid=; Path=/; Max-Age=0"))
    assert jar.header_for("/me") == "" and jar.names() == ["pref"]
    assert [c.name for c in jar.last_set] == ["sid", "pref", "sid"]
    jar.begin()
    assert jar.last_set == []


def test_an_answer_that_sets_no_cookie_is_told_what_it_should_set():
    from labctl.check_families.http.sequence import CookieRule, cookie_problem

    login = cookie_problem([], {"*": CookieRule(httponly=True)})
    assert login == "the answer sets no cookie (no Set-Cookie header); it should set the session cookie"
    logout = cookie_problem([], {"*": CookieRule(deleted=True)})
    assert logout == ("the answer sets no cookie (no Set-Cookie header); it should expire the session cookie: "
                      "set it again, empty, with Max-Age=0")
    assert cookie_problem([parse_set_cookie("sid=; Path=/; Max-Age=0")], {"*": CookieRule(deleted=True)}) is None
