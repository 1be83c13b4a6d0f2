"""mysql.* checks on MariaDB's catalog: a table (or view) exists, its columns are as asked."""
from __future__ import annotations

from pydantic import Field

from labctl.check_engine.registry import register

from ..sql import flow
from .common import TableCheck


@register("mysql.table_exists", service_kind="mariadb")
class TableExists(TableCheck, flow.TableExists):
    pass


class MySqlColumnSpec(flow.ColumnRule):
    type: str | list[str] | None = Field(
        None, description="Accepted type(s) as MariaDB names them, e.g. int or [varchar(100), text]; "
                          "display widths do not count (int(11) is int), boolean is tinyint(1).")
    default: str | list[str] | None = Field(
        None, description="Text the column default must contain, e.g. current_timestamp(); a list accepts any of them.")
    auto_increment: bool | None = Field(None, description="AUTO_INCREMENT (SERIAL has it too).")


@register("mysql.columns", service_kind="mariadb")
class Columns(TableCheck, flow.Columns):
    columns: list[MySqlColumnSpec] = Field(min_length=1)
