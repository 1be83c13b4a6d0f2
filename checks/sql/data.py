"""SQL checks on PostgreSQL, the data half: row counts, table contents, learners' query files, predicates.
Their flow is shared with other engines (flow.py); PostgreSQL's part is the dialect (postgres.py)."""
from __future__ import annotations

from labctl.check_engine.registry import register

from . import flow, query_flow
from .common import POSTGRES, TableCheck


@register("sql.row_count", service_kind="postgres")
class RowCount(TableCheck, flow.RowCount):
    pass


@register("sql.rows_equal", service_kind="postgres")
class RowsEqual(TableCheck, flow.RowsEqual):
    pass


@register("sql.query_file", service_kind="postgres")
class QueryFile(query_flow.QueryFile):
    dialect = POSTGRES


@register("sql.predicate", service_kind="postgres")
class Predicate(flow.Predicate):
    dialect = POSTGRES
