"""The rest.* checks: the learner's own REST API (any language, any framework) judged by its behaviour."""
from . import openapi, pagination, resource  # noqa: F401  (importing a module registers its check types)
