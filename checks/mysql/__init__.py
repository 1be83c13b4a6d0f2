"""The mysql.* checks: MariaDB (the MySQL protocol) tables, columns, rows, query files and predicates.
Their flow is the sql.* family's (checks/sql/flow.py); MariaDB's part is dialect.py."""
from . import data, schema  # noqa: F401  (importing a module registers its check types)
