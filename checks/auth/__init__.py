"""The auth.* checks: how the learner's own app handles authentication, judged from what it stored and how it
behaves, never from its source: password storage (password_storage.py), tokens kept only as digests
(token_storage.py)."""
from . import password_storage, token_storage  # noqa: F401  (importing a module registers its check types)
