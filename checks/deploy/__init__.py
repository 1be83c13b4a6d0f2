"""The deploy.* checks: push-to-deploy on the Linux box (releases, a tests gate, rollback, zero downtime)."""
from . import pipeline  # noqa: F401  (importing a module registers its check types)

__all__ = ["pipeline"]
