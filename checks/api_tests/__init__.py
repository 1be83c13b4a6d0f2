"""The api_tests.* checks: the learner's own API tests, run against the lab's correct API and its mutants."""
from . import catch  # noqa: F401  (importing a module registers its check types)
