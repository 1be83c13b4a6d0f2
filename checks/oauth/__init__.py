"""The oauth.* checks: a learner's app logging users in with the lab's own OpenID Connect provider, played as a
browser would (login.py), with the negative runs an attacker would try (probes.py)."""
from . import login  # noqa: F401  (importing a module registers its check types)
