"""Mutants of SQL: each a plausible beginner's mistake made in one place of a reference solution (an ORDER
BY dropped, a comparison's boundary moved, a WHERE condition or a constraint left out, a join changed).
Statements are read and written back with sqlglot; a statement it cannot read is only ever dropped whole."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from labctl.core.mutants.text_mutants import TextMutant

_DIALECTS = {"postgres": "postgres", "mariadb": "mysql", "mysql": "mysql"}

_FLIPPED = {"GT": "GTE", "GTE": "GT", "LT": "LTE", "LTE": "LT", "EQ": "NEQ", "NEQ": "EQ"}
_RANKS = {"Rank": "RowNumber", "DenseRank": "Rank", "RowNumber": "Rank"}


@dataclass(frozen=True)
class _Site:
    """One place a mutation operator applies: the node's index in the statement's walk order."""

    operator: str
    index: int
    apply: Callable  # (copy of the node) -> None, changes the copied tree


def sqlglot_module():
    """sqlglot, or a clear error naming the extra that brings it (only `labctl lab mutate` needs it)."""
    try:
        import sqlglot
    except ImportError:
        from labctl.core.errors import LabctlError

        raise LabctlError("`labctl lab mutate` needs sqlglot to read SQL",
                          "Install it: pip install 'labctl[author]'") from None
    return sqlglot


def round_trip(statement: str, engine: str) -> str | None:
    """The statement as sqlglot writes it back with no change, or None when it cannot read it."""
    tree = _parse(statement, engine)
    return None if tree is None else tree.sql(dialect=_DIALECTS.get(engine, engine))


def sql_mutants(statements: list[str], engine: str, fixed: tuple[str, ...] = ()) -> Iterator[TextMutant]:
    """Every mutant of a SQL file's statements: each is the whole file's text with one change. A statement
    matching a glob of `fixed` (a lab's plumbing: a migration tool's bookkeeping) is only ever dropped whole."""
    from fnmatch import fnmatchcase

    dialect = _DIALECTS.get(engine, engine)
    written = []
    trees = []
    for statement in statements:
        tree = _parse(statement, engine)
        trees.append(tree)
        written.append(statement if tree is None else tree.sql(dialect=dialect))

    def whole(index: int, replacement: str | None) -> str:
        parts = [s for i, s in enumerate(written) if i != index] if replacement is None else [
            replacement if i == index else s for i, s in enumerate(written)]
        return ";\n".join(parts) + (";\n" if parts else "")

    for index, (statement, tree) in enumerate(zip(statements, trees)):
        where = f"statement {index + 1}" if len(statements) > 1 else "the statement"
        if len(statements) > 1:
            yield TextMutant(f"drop-statement-{index + 1}", f"{where} left out", whole(index, None))
        if any(fnmatchcase(" ".join(statement.split()).lower(), glob.lower()) for glob in fixed):
            continue
        for operator, description, text in _text_mutants(written[index]):
            yield TextMutant(_name(operator, index, len(statements)), f"{description} in {where}", whole(index, text))
        if tree is None:
            continue
        counters: dict[str, int] = {}
        for site in _sites(tree):
            counters[site.operator] = counters.get(site.operator, 0) + 1
            copy = tree.copy()
            node = list(copy.walk())[site.index]
            try:
                site.apply(node)
                text = copy.sql(dialect=dialect)
            except Exception:  # noqa: BLE001 - a change sqlglot cannot write back is not a mutant
                continue
            if text == written[index]:
                continue
            number = counters[site.operator]
            yield TextMutant(_name(f"{site.operator}-{number}", index, len(statements)),
                             f"{_DESCRIPTIONS[site.operator]} (#{number}) in {where}", whole(index, text))


def _name(operator: str, index: int, count: int) -> str:
    return f"s{index + 1}-{operator}" if count > 1 else operator


def _parse(statement: str, engine: str):
    import logging

    sqlglot = sqlglot_module()
    # sqlglot warns on stderr about syntax it keeps as text ("Unsupported ALTER COLUMN syntax"): such a
    # statement is still written back unchanged, or only dropped whole, so the warning says nothing to act on.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        tree = sqlglot.parse_one(statement, read=_DIALECTS.get(engine, engine))
    except Exception:  # noqa: BLE001 - sqlglot raises several kinds; any means it cannot read it
        return None
    from sqlglot import exp

    return None if isinstance(tree, exp.Command) else tree  # Command: sqlglot kept it as opaque text


_DESCRIPTIONS = {
    "drop-order-by": "ORDER BY left out",
    "drop-sort-key": "a sort key left out",
    "reverse-sort-key": "a sort direction reversed",
    "flip-comparison": "a comparison's boundary or sense changed",
    "drop-where": "the WHERE clause left out",
    "drop-condition": "one AND condition left out",
    "drop-having": "the HAVING clause left out",
    "join-type": "the join's type changed",
    "join-on-true": "the join's ON condition left out",
    "drop-distinct": "DISTINCT left out",
    "drop-limit": "LIMIT/FETCH left out",
    "number-plus-one": "a number made one bigger",
    "number-minus-one": "a number made one smaller",
    "change-string": "a string changed",
    "drop-in-item": "one item of an IN list left out",
    "count-star": "count(column) made count(*)",
    "rank-function": "the ranking function changed",
    "drop-coalesce": "coalesce(a, b) made a",
    "drop-not": "a NOT left out",
    "drop-constraint": "a constraint left out",
    "drop-values-row": "one row of VALUES left out",
    "drop-set": "one SET assignment left out",
}


def _sites(tree) -> Iterator[_Site]:
    from sqlglot import exp

    for index, node in enumerate(tree.walk()):
        name = type(node).__name__
        if isinstance(node, exp.Order) and isinstance(node.parent, (exp.Select, exp.Union)):
            yield _Site("drop-order-by", index, lambda n: n.pop())
            keys = node.expressions
            if len(keys) > 1:
                for k in range(1, len(keys)):
                    yield _Site("drop-sort-key", index, lambda n, k=k: n.expressions[k].pop())
            for k in range(len(keys)):
                yield _Site("reverse-sort-key", index, lambda n, k=k: n.expressions[k].set("desc", not n.expressions[k].args.get("desc")))
        elif name in _FLIPPED and not isinstance(node.parent, exp.Update):  # SET a = b is no comparison
            yield _Site("flip-comparison", index, lambda n: n.replace(getattr(exp, _FLIPPED[type(n).__name__])(this=n.this, expression=n.expression)))
        elif isinstance(node, exp.Where):
            yield _Site("drop-where", index, lambda n: n.pop())
            if isinstance(node.this, exp.And):
                for k, _ in enumerate(node.this.flatten()):
                    yield _Site("drop-condition", index, lambda n, k=k: _drop_conjunct(n, k))
        elif isinstance(node, exp.Having):
            yield _Site("drop-having", index, lambda n: n.pop())
        elif isinstance(node, exp.Join):
            yield from _join_sites(node, index)
        elif isinstance(node, exp.Distinct) and isinstance(node.parent, exp.Select):
            yield _Site("drop-distinct", index, lambda n: n.pop())
        elif isinstance(node, (exp.Limit, exp.Fetch)):
            yield _Site("drop-limit", index, lambda n: n.pop())
        elif isinstance(node, exp.Literal) and not node.is_string and _is_number(node.this):
            yield _Site("number-plus-one", index, lambda n: n.replace(exp.Literal.number(_shift(n.this, 1))))
            yield _Site("number-minus-one", index, lambda n: n.replace(exp.Literal.number(_shift(n.this, -1))))
        elif isinstance(node, exp.Literal) and node.is_string and not _in_ddl_default(node):
            yield _Site("change-string", index, lambda n: n.replace(exp.Literal.string(_changed(n.this))))
        elif isinstance(node, exp.In) and len(node.expressions) > 1:
            for k in range(len(node.expressions)):
                yield _Site("drop-in-item", index, lambda n, k=k: n.expressions[k].pop())
        elif isinstance(node, exp.Count) and isinstance(node.this, exp.Column):
            yield _Site("count-star", index, lambda n: n.set("this", exp.Star()))
        elif name in _RANKS:
            yield _Site("rank-function", index, lambda n: n.replace(getattr(exp, _RANKS[type(n).__name__])()))
        elif isinstance(node, exp.Coalesce) and node.expressions:
            yield _Site("drop-coalesce", index, lambda n: n.replace(n.this))
        elif isinstance(node, exp.Not):
            yield _Site("drop-not", index, lambda n: n.replace(n.this))
        elif _is_constraint(node):
            yield _Site("drop-constraint", index, lambda n: n.pop())
        elif isinstance(node, exp.Tuple) and isinstance(node.parent, exp.Values) and len(node.parent.expressions) > 1:
            yield _Site("drop-values-row", index, lambda n: n.pop())
        elif isinstance(node, exp.Update) and len(node.expressions) > 1:
            for k in range(len(node.expressions)):
                yield _Site("drop-set", index, lambda n, k=k: n.expressions[k].pop())


def _join_sites(node, index: int) -> Iterator[_Site]:
    side = (node.args.get("side") or "").upper()
    if side == "LEFT" or side == "RIGHT":
        yield _Site("join-type", index, lambda n: n.set("side", None))
    elif side == "FULL":
        yield _Site("join-type", index, lambda n: n.set("side", "LEFT"))
    elif node.args.get("on") is not None:
        yield _Site("join-type", index, lambda n: n.set("side", "LEFT"))
    if node.args.get("on") is not None:
        from sqlglot import exp

        yield _Site("join-on-true", index, lambda n: n.set("on", exp.true()))


def _drop_conjunct(where, k: int) -> None:
    from sqlglot import exp

    terms = list(where.this.flatten())
    kept = [t for i, t in enumerate(terms) if i != k]
    where.set("this", exp.and_(*[t.copy() for t in kept]) if len(kept) > 1 else kept[0].copy())


def _is_constraint(node) -> bool:
    from sqlglot import exp

    if isinstance(node, exp.ColumnConstraint):
        return True
    # Table constraints: CONSTRAINT name ..., PRIMARY KEY (...), UNIQUE (...), FOREIGN KEY, CHECK in a schema.
    return isinstance(node, (exp.Constraint, exp.PrimaryKey, exp.ForeignKey, exp.UniqueColumnConstraint,
                             exp.CheckColumnConstraint)) and isinstance(node.parent, exp.Schema)


def _in_ddl_default(node) -> bool:
    """A string inside a column's DEFAULT or CHECK: changing it is covered by dropping the constraint."""
    from sqlglot import exp

    return node.find_ancestor(exp.ColumnConstraint) is not None


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def _shift(text: str, by: int) -> str:
    if "." in text:
        whole, decimals = text.split(".")
        return f"{int(whole) + by}.{decimals}"
    return str(int(text) + by)


def _changed(text: str) -> str:
    return text + "x" if text else "x"


def _text_mutants(statement: str) -> Iterator[tuple[str, str, str]]:
    """Mutants sqlglot does not make: a view made a table or a materialized view; an index made partial or
    hash. (operator, description, statement)."""
    view = re.match(r"(?is)\s*create\s+(or\s+replace\s+)?view\s+(\S+)\s+as\s+(.*)", statement)
    if view:
        name, body = view.group(2), view.group(3)
        yield "view-as-table", "the view made a table", f"CREATE TABLE {name} AS {body}"
        yield "view-as-materialized-view", "the view made a materialized view", f"CREATE MATERIALIZED VIEW {name} AS {body}"
    index = re.match(r"(?is)(\s*create\s+(?:unique\s+)?index\s+(?:\S+\s+)?on\s+\S+)\s*(using\s+\w+\s*)?\((\s*\w+)(.*)\)\s*$",
                     statement)
    if index:
        head, column = index.group(1), index.group(3).strip()
        rest = index.group(4)
        yield "partial-index", "the index made partial", f"{head} ({column}{rest}) WHERE {column} = 42"
        yield "hash-index", "the index made a hash index", f"{head} USING hash ({column})"
