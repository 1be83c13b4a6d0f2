"""The provider's two pages a person sees: the login form and the consent page (plain HTML, no script).

Both forms post back to the provider; the authorize request's query string rides along unchanged, so a
browser (or curl) that follows them ends where the app asked to go.
"""
from html import escape

STYLE = "body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}"


def login_page(query: str, error: str = "") -> str:
    """The login form: email and password, posted to /login with the authorize request's query string."""
    problem = f'<p role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lab identity provider: log in</title><style>{STYLE}</style></head>
<body><h1>Log in to the lab's identity provider</h1>{problem}
<form method="post" action="/login">
<input type="hidden" name="query" value="{escape(query)}">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form></body></html>
"""


def consent_page(query: str, client_id: str, scope: str, user_email: str) -> str:
    """Allow or Deny: posted to /authorize with the same query string as the request being approved."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lab identity provider: consent</title><style>{STYLE}</style></head>
<body><h1>Allow {escape(client_id)}?</h1>
<p>Logged in as {escape(user_email)}. The app asks for: {escape(scope)}.</p>
<form method="post" action="/authorize?{escape(query)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>
"""


def error_page(title: str, description: str) -> str:
    """An authorize request the provider cannot send back to the app (bad client or redirect_uri)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lab identity provider: error</title></head>
<body><h1>{escape(title)}</h1><p>{escape(description)}</p></body></html>
"""
