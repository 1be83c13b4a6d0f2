"""The sql.* checks: PostgreSQL schemas (tables, columns, constraints, indexes), data (rows, query files) and
migrations (what a migration tool built)."""
from . import data, migrations, schema  # noqa: F401  (importing a module registers its check types)
