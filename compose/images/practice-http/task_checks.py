"""Whether the learner did each of http-101's tasks 1 to 6, read from the trace of the requests they sent,
and, when not, what was wrong in words they can act on."""
from __future__ import annotations

from practice_data import CATALOG_ETAG, CORS_ORIGIN


class UnknownTask(LookupError):
    """No check of that name."""


def refused_json(entry: dict) -> str | None:
    """Why a request meant to carry JSON was refused, said from what it sent (None if its answer was not
    about the body). A form body is named as a form: the code or the fields may be right."""
    ctype = (entry["headers"].get("content-type") or "").split(";")[0].strip().lower()
    if entry["status"] == 415:
        if ctype == "application/x-www-form-urlencoded":
            return ("its body was sent as a form (Content-Type: application/x-www-form-urlencoded, what curl -d "
                    "sends by default), not as JSON: add -H 'Content-Type: application/json'")
        return (f"its body was sent as {ctype or 'no content type'}, not as JSON: "
                "add -H 'Content-Type: application/json'")
    if entry["status"] == 400 and ctype == "application/json":
        return "its body was labelled JSON but is not a JSON object: check the quotes and braces"
    return None


def preflight_problem(entry: dict) -> str:
    """What keeps an OPTIONS /items from being the preflight a browser sends for a POST from CORS_ORIGIN."""
    origin = entry["headers"].get("origin")
    method = (entry["headers"].get("access-control-request-method") or "").strip()
    if not origin:
        return f"your OPTIONS /items had no Origin header: a browser sends the page's origin, {CORS_ORIGIN}"
    if origin != CORS_ORIGIN:
        return f"your OPTIONS /items came from Origin {origin}; the page is at {CORS_ORIGIN}"
    if not method:
        return ("your OPTIONS /items had no Access-Control-Request-Method header: without it, it is not a "
                "preflight (a browser always says which method it wants to use)")
    if method.upper() != "POST":
        return f"your preflight asked for Access-Control-Request-Method: {method}; the page wants to POST"
    return f"your preflight was answered {entry['status']}, not 204"


def check_task(task: str, trace: list[dict]) -> str | None:
    """None when the trace shows the task done, else why not (short: it is shown in check messages).
    Raises UnknownTask for a task it does not know."""

    def hits(method, path, status=None):
        return [e for e in trace if e["method"] == method and e["path"] == path
                and (status is None or e["status"] == status)]

    def followed(*paths):
        """Whether GETs of these paths came in this order (curl -L, or one curl per Location)."""
        wanted = iter(paths)
        step = next(wanted)
        for e in trace:
            if e["method"] == "GET" and e["path"] == step:
                step = next(wanted, None)
                if step is None:
                    return True
        return False

    if task == "read-status":
        if not hits("GET", "/items/42"):
            return "no GET /items/42 received yet"
        answers = [e["query"].get("status") for e in hits("GET", "/answer")]
        if not answers:
            return "no answer received yet: send GET /answer?status=<the code you saw>"
        if answers[-1] != "404":
            return f"your last answer was status={answers[-1]}; that is not the status of GET /items/42"
        return None
    if task == "create-item":
        posts = hits("POST", "/items")
        if not posts:
            return "no POST /items received yet"
        if not [e for e in posts if e["status"] == 201]:
            why = refused_json(posts[-1])
            return (f"no POST /items was answered 201 yet (last answer: {posts[-1]['status']})"
                    + (f": {why}" if why else ""))
        if not [e for e in posts if e["status"] == 201 and e["headers"].get("x-student", "").strip()]:
            return "an item was created, but no POST /items carried the X-Student header"
        return None
    if task == "login":
        if not hits("POST", "/login", 200):
            return "no successful POST /login yet (user learner, password http-is-fun)"
        mes = hits("GET", "/me")
        if not mes:
            return "logged in, but no GET /me received yet"
        if not hits("GET", "/me", 200):
            return "GET /me was answered 401: send the session cookie you got from /login"
        return None
    if task == "redirects":
        if not hits("GET", "/treasure", 200):
            return "/treasure was never reached: follow the redirects from /old-path (curl -L)"
        if not followed("/old-path", "/new-path", "/treasure"):
            return ("/treasure was reached, but not by following the redirects from /old-path: "
                    "curl -L \"${PRACTICE_URL}old-path\" goes through /new-path to it")
        subs = hits("POST", "/submit")
        if not subs:
            return "no POST /submit received yet"
        if not hits("POST", "/submit", 200):
            why = refused_json(subs[-1])
            if why:
                return f"your last POST /submit was answered {subs[-1]['status']}: {why}"
            return "the code sent to POST /submit is wrong: copy it from the /treasure page"
        return None
    if task == "conditional-get":
        gets = hits("GET", "/catalog")
        if not gets:
            return "no GET /catalog received yet"
        if not hits("GET", "/catalog", 304):
            if [e for e in gets if e["headers"].get("if-none-match")]:
                return "GET /catalog with If-None-Match was answered 200, not 304: send the exact ETag"
            return "no GET /catalog was answered 304 yet: send If-None-Match with the ETag"
        if not [e for e in hits("GET", "/catalog", 304)
                if CATALOG_ETAG in [t.strip() for t in e["headers"].get("if-none-match", "").split(",")]]:
            return ("GET /catalog was answered 304, but its If-None-Match did not hold the catalog's ETag "
                    "(* matches any version): copy the ETag from the answer to curl -i")
        return None
    if task == "cors-preflight":
        pre = [e for e in trace if e["method"] == "OPTIONS" and e["path"] == "/items"]
        if not pre:
            return "no OPTIONS /items (preflight) received yet"
        if not [e for e in pre if e["status"] == 204 and e["headers"].get("origin") == CORS_ORIGIN
                and (e["headers"].get("access-control-request-method") or "").strip().upper() == "POST"]:
            return f"no preflight for a POST from {CORS_ORIGIN} was allowed yet: " + preflight_problem(pre[-1])
        return None
    raise UnknownTask(task)
