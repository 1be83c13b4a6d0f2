"""The git.* checks: commits, merges and files of a Git repository inside the lab's Linux box."""
from . import repo  # noqa: F401  (importing a module registers its check types)
