"""MariaDB's type names in one spelling, so a lab's `INTEGER`, `varchar( 100 )` or `boolean` matches the
COLUMN_TYPE information_schema prints (int(11), varchar(100), tinyint(1))."""
from __future__ import annotations

import re

_ALIASES = {
    "integer": "int", "int4": "int", "int8": "bigint", "int2": "smallint", "int1": "tinyint",
    "int3": "mediumint", "middleint": "mediumint",
    "dec": "decimal", "numeric": "decimal", "fixed": "decimal",
    "double precision": "double", "real": "double", "float8": "double", "float4": "float",
    "character varying": "varchar", "char varying": "varchar", "nvarchar": "varchar", "national varchar": "varchar",
    "character": "char", "nchar": "char", "national char": "char", "national character": "char",
}
# Written as another type entirely (size included).
_WHOLE = {
    "bool": "tinyint(1)", "boolean": "tinyint(1)",
    "serial": "bigint unsigned",  # SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
    "json": "longtext",  # MariaDB's JSON is LONGTEXT with a JSON_VALID check
}
# A display width is no part of the type: int(11) and int hold the same numbers.
_WIDTH_ONLY = {"tinyint", "smallint", "mediumint", "int", "bigint", "year"}
# A size of 0 is the default fractional-seconds precision, which COLUMN_TYPE leaves out.
_FSP = {"time", "datetime", "timestamp"}
_DEFAULT_SIZE = {"decimal": "(10,0)", "char": "(1)", "binary": "(1)", "bit": "(1)"}

_SHAPE = re.compile(r"([a-z][a-z0-9 ]*?)(\(\d+(?:,\d+)?\))?((?: (?:signed|unsigned|zerofill))*)")


def normalize_type(text: str) -> str:
    """'INTEGER' -> 'int', 'int(11) unsigned' -> 'int unsigned', 'DECIMAL(10, 2)' -> 'decimal(10,2)',
    'boolean' -> 'tinyint(1)', "ENUM('a', 'b')" -> "enum('a','b')"."""
    stripped = text.strip()
    listed = re.fullmatch(r"(enum|set)\s*\((.*)\)", stripped, re.IGNORECASE | re.DOTALL)
    if listed:  # the values keep their case; only the spaces between them go
        values = re.sub(r"'\s*,\s*'", "','", listed.group(2).strip())
        return f"{listed.group(1).lower()}({values})"
    t = re.sub(r"\s+", " ", stripped.lower())
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*,\s*", ",", t)
    t = re.sub(r"\s*\)", ")", t)
    m = _SHAPE.fullmatch(t)
    if not m:
        return t
    base, size, attributes = m.group(1).strip(), m.group(2) or "", m.group(3).split()
    if base in _WHOLE:
        return _WHOLE[base]
    base = _ALIASES.get(base, base)
    if base == "decimal" and re.fullmatch(r"\(\d+\)", size):
        size = size[:-1] + ",0)"
    size = size or _DEFAULT_SIZE.get(base, "")
    if base in _WIDTH_ONLY and not (base == "tinyint" and size == "(1)"):  # tinyint(1) is how BOOLEAN reads
        size = ""
    if base in _FSP and size == "(0)":
        size = ""
    flags = ""
    if "unsigned" in attributes or "zerofill" in attributes:  # ZEROFILL makes a column UNSIGNED
        flags = " unsigned" + (" zerofill" if "zerofill" in attributes else "")
    return f"{base}{size}{flags}"
