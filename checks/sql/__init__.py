"""The sql.* checks: PostgreSQL schemas (tables, columns, constraints, indexes) and data (rows, query files)."""
from . import data, schema  # noqa: F401  (importing a module registers its check types)
