"""The ssh.* checks: logging in to the Linux box with a key works, and with a password does not."""
from . import login  # noqa: F401  (importing a module registers its check types)
