"""mysql.* checks on MariaDB's data: row counts, table contents, learners' query files, predicates."""
from __future__ import annotations

from labctl.check_engine.registry import register

from ..sql import flow, query_flow
from .common import TableCheck
from .dialect import MYSQL


@register("mysql.row_count", service_kind="mariadb")
class RowCount(TableCheck, flow.RowCount):
    pass


@register("mysql.rows_equal", service_kind="mariadb")
class RowsEqual(TableCheck, flow.RowsEqual):
    pass


@register("mysql.query_file", service_kind="mariadb")
class QueryFile(query_flow.QueryFile):
    dialect = MYSQL


@register("mysql.predicate", service_kind="mariadb")
class Predicate(flow.Predicate):
    dialect = MYSQL
