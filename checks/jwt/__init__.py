"""The jwt.* checks: the JSON Web Tokens a learner's app issues (jwt.issued) and how it verifies the ones it
receives (jwt.verified), judged with the lab's own secret."""
from . import issued, verified  # noqa: F401  (importing a module registers its check types)
