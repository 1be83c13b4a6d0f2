"""The mongo.* checks: collections, documents, aggregations, indexes and validators."""
from . import documents, schema  # noqa: F401  (importing a module registers its check types)
