"""The http.* checks: requests to the learner's app or a lab service: status, headers, JSON, bodies, timing, sequences."""
from . import body, html, request, sequence  # noqa: F401  (importing a module registers its check types)
