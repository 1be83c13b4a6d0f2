"""The rest.* checks: the learner's own REST API (any language, any framework) judged by its behaviour."""
from . import resource  # noqa: F401  (importing a module registers its check types)
