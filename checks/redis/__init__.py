"""The redis.* checks: keys, values, expiry, hashes, lists, sets, sorted sets, configuration."""
from . import keys, structures  # noqa: F401  (importing a module registers its check types)
