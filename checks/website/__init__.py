"""The website.* checks: what the site the Linux box serves does, seen from the host through the box's published
HTTP and HTTPS ports (nginx in front of the learner's app, its redirect, its certificate)."""
from . import logs, proxy, redirect, tls  # noqa: F401  (importing a module registers its check types)
