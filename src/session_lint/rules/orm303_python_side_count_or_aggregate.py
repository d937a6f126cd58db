from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Tuple

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import import_edits, is_expression, replace_node
from ..semantic import SemanticModel
from ..semantic.queries import STATEMENT, QueryValues
from ..semantic.rows import ONE_ROW_PER_VALUE, RowAnalysis, RowSource, is_page, names_in, row_target
from .orm30x_shapes import (CountingLoop, RowComprehension, conditions, counting_loop, first_row, is_one_off_module,
                            quote, reportable, row_comprehension, translator)
from .orm30x_sql import sort_key
from ..semantic.nodes import method_name
from .orm5xx_filter_operators import sql_function

HINT = "the database computes one value and sends it instead of every row"
# builtin -> the SQL aggregate that computes the same over a column.
_AGGREGATES = {"builtins.sum": "sum", "builtins.max": "max", "builtins.min": "min"}


class PythonSideCountOrAggregate(Rule):
    """Rows loaded from the database only to count them or reduce them to one value.

    Flags `len(q.all())`, `len(rows)` when the list serves nothing else, `len([...])` of a
    filtering comprehension, `sum(r.x for r in rows)`, `max(...)`/`min(...)` of columns
    (or of the rows with `key=` a column), and `any(<condition> for r in rows)`. Elements
    and conditions must be plain columns, arithmetic on them, or SQL-expressible tests.
    """

    code = "ORM303"
    name = "python-side-count-or-aggregate"
    summary = "query rows loaded in full only to count them or compute a sum, max, min or any"
    tokens = ("query", "execute", "scalars", "relation")  # `relation` finds relationship rows
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        rows = model.get(RowAnalysis)
        yield from reportable(model, (self._call(model, rows, call) for call in model.tree.of_type(cst.Call)))
        yield from reportable(model, (self._counting_loop(model, rows, loop) for loop in model.tree.of_type(cst.For)))

    # -- loops that count -------------------------------------------------------------------------
    def _counting_loop(self, model: SemanticModel, rows: RowAnalysis, loop: cst.For) -> Optional[Finding]:
        """`for r in rows: if r.status == "open": n += 1`, `total += r.amount`, and counts per
        key: `counts[r.kind] = counts.get(r.kind, 0) + 1` (or `if k not in counts: ...`)."""
        row = row_target(loop.target)
        source = rows.source(loop.iter) if row is not None and loop.asynchronous is None else None
        if row is None or source is None or source.is_small or source.grouped \
                or source.by_identity == ONE_ROW_PER_VALUE or _selects_aggregates(model, source):
            return None
        counted = counting_loop(model, loop, row)
        if counted is None or not _counter_starts_empty(model, rows, counted):
            return None
        if not rows.loaded_only_for(source, loop) or rows.locks_rows(source):
            return None
        expressions = translator(model, row, source, loop)
        skips = [skip for skip in counted.skips if not _tests_whole_row(skip, row)]
        where = expressions.where(counted.conditions, skips)
        if where is None:
            return None
        rows_text = quote(model, source.node)
        if counted.key is not None:
            group = _group_columns(model, expressions, counted, source)
            if group is None:
                return None
            what = f"to count them per {quote(model, counted.key)}"
            condition = f".where({', '.join(conditions(source, where))})" if conditions(source, where) else ""
            sql = (f"`select({group}, func.count()){condition}.group_by({group})`" if group != "?"
                   else "`.group_by(<the key's columns>)` with `func.count()`")
        elif counted.added is not None and not _is_one(counted.added):
            column = expressions.arithmetic(counted.added)
            if column is None:
                return None
            what = f"to add up {quote(model, counted.added)}"
            condition = f".where({', '.join(conditions(source, where))})" if conditions(source, where) else ""
            sql = f"`select(func.sum({column})){condition}`" + _keeping_filters(source)
        else:
            if not source.selects_rows and source.legacy is False and source.related is None:
                return None
            what = "to count the matching ones" if where else "to count them"
            sql = _count(model, source, where)
        return Finding(
            node=loop,
            message=f"every row of {rows_text} is fetched {what} in a loop: compute it in the database with {sql}",
            hint=HINT,
        )

    def _call(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        qualified = model.scopes.qualified_name(call.func)
        if qualified == "builtins.len":
            return self._len(model, rows, call)
        if qualified in _AGGREGATES or qualified == "builtins.any":
            return self._aggregate(model, rows, call, qualified)
        if isinstance(call.func, cst.Attribute):
            return self._presence(model, rows, call)
        return None

    # -- is there any? ----------------------------------------------------------------------------
    def _presence(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        """`if q.all():`, `bool(q.all())`, `found = q.all()` then only `if found:`."""
        source = rows.loaded_list(call)
        if source is None or not _worth_reducing(source) or not rows.tested_for_presence(call):
            return None
        return Finding(
            node=call,
            message=(f"every row of {quote(model, _loaded_query(call))} is fetched only to learn whether "
                     f"there is any: ask the database with {_exists(model, source)}"),
            hint="the database then sends one row at most",
        )

    # -- counting ---------------------------------------------------------------------------------
    def _len(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        argument = call.args[0].value
        comprehension = _comprehension_argument(rows, argument)
        if comprehension is not None:
            return self._count_matching(model, rows, call, comprehension)
        source = rows.loaded_list(argument)
        if source is None or not _worth_reducing(source):
            return None
        if not rows.loaded_only_for(source, call, also_allowed=lambda read: _is_counted(rows, read) or (
                _is_page(rows, read) and _every_count_is_a_total(rows, source))):
            return None
        if source.name is not None and any(
                _is_counted(rows, read) and rows.position(read) < rows.position(source.name)
                for read in rows.reads_of(source.name)):
            return None  # one finding per list: the first `len()` says it
        if rows.len_tests_emptiness(call):
            return Finding(
                node=call,
                message=(f"`len()` fetches every row of {quote(model, source.node)} to learn whether there "
                         f"is any: ask the database with {_exists(model, source)}"),
                hint=HINT,
            )
        return Finding(
            node=call,
            message=(f"`len()` fetches every row of {quote(model, source.node)} to count them: "
                     f"count in the database with {_count(model, source, [])}"),
            hint=HINT,
            fix=_count_fix(model, call, argument, source),
        )

    def _count_matching(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call,
                        found: RowComprehension) -> Optional[Finding]:
        """`len([u for u in users if u.active == True])`."""
        source = found.source
        expressions = translator(model, found.row, source, found.node)
        if not _worth_reducing(source) or not all(expressions.projection(e) for e in found.elements):
            return None
        parts = expressions.where(found.ifs)
        if parts is None or not rows.loaded_only_for(source, found.node):
            return None
        count = _count(model, source, parts)
        return Finding(
            node=call,
            message=(f"`len()` fetches every row of {quote(model, source.node)} to count the matching ones: "
                     f"count in the database with {count}"),
            hint=HINT,
        )

    # -- sum, max, min, any -----------------------------------------------------------------------
    def _aggregate(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call,
                   builtin: str) -> Optional[Finding]:
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if len(positional) != 1 or positional[0].star:
            return None
        allowed = {"default", "key"} if builtin in ("builtins.max", "builtins.min") else set()
        if set(keywords) - allowed:
            return None  # `sum(..., start)`-like extras change the meaning
        argument = positional[0].value
        if "key" in keywords:
            return self._extreme_row(model, rows, call, builtin, argument, keywords["key"])
        found = _comprehension_argument(rows, argument)
        if found is None or not _worth_reducing(found.source) or isinstance(found.node, cst.DictComp):
            return None
        expressions = translator(model, found.row, found.source, found.node)
        where = expressions.where(found.ifs)
        reduced = _reduced(model, found, builtin, where, expressions.condition, expressions.arithmetic)
        if reduced is None or not rows.loaded_only_for(found.source, found.node):
            return None
        what, sql = reduced
        return Finding(
            node=call,
            message=(f"every row of {quote(model, found.source.node)} is fetched {what}: "
                     f"compute it in the database with {sql}"),
            hint=HINT,
        )

    def _extreme_row(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call, builtin: str,
                     argument: cst.BaseExpression, key: cst.BaseExpression) -> Optional[Finding]:
        """`max(users, key=lambda u: u.created)`: the first row of an ordered query."""
        source = rows.source(argument)
        if source is None or not _worth_reducing(source):
            return None
        order = sort_key(model, key, source, descending=builtin == "builtins.max")
        if order is None or not rows.loaded_only_for(source, call):
            return None
        ordered = f"`.order_by({', '.join(order)})`"
        if source.related is not None:
            ordered = f"`select({source.entity}).where({source.related}).order_by({', '.join(order)})`"
        return Finding(
            node=call,
            message=(f"every row of {quote(model, source.node)} is fetched to pick the one with the "
                     f"{_AGGREGATES[builtin]} key: ask the database with {ordered}, {first_row(source)}"),
            hint="the database then sends one row instead of every row",
        )


def _reduced(model: SemanticModel, found: RowComprehension, builtin: str, where: Optional[List[str]],
             condition: Callable[[cst.BaseExpression], Optional[List[str]]],
             arithmetic: Callable[[cst.BaseExpression], Optional[str]]) -> Optional[Tuple[str, str]]:
    """(what the Python code computes, the SQL that computes it) for `builtin(<generator>)`."""
    element = found.elements[0]
    if where is None:
        return None
    if builtin == "builtins.any":
        tested = condition(element)
        if tested is None:
            return None
        return "to test whether any matches", \
            f"`select(exists().where({', '.join(conditions(found.source, tested + where))}))`"
    column = arithmetic(element)
    if column is None:
        return None
    if column == "1" and builtin == "builtins.sum":
        return "to count the matching ones", _count(model, found.source, where)
    function = _AGGREGATES[builtin]
    where = conditions(found.source, where)
    condition_text = f".where({', '.join(where)})" if where else ""
    sql = f"`select(func.{function}({column})){condition_text}`" + _keeping_filters(found.source)
    return f"to compute their {function}", sql


def _is_counted(rows: RowAnalysis, read: cst.Name) -> bool:
    """`len(rows)`: every count of the same list is answered by one count query."""
    return rows.is_len_of(rows.model.tree.parent_of(read))


def _is_page(rows: RowAnalysis, read: cst.Name) -> bool:
    """`rows[:10]`, `rows[0]`: a few rows a limited query fetches (ORM302 says how), so
    counting the list is then its only use that needs every row."""
    parent = rows.model.tree.parent_of(read)
    return isinstance(parent, cst.Subscript) and parent.value is read and is_page(parent)


def _selects_aggregates(model: SemanticModel, source: RowSource) -> bool:
    """The statement selects aggregates only (`select(func.count())`): one row, or one per group."""
    root = source.value.root
    selected = model.get(QueryValues).selected_columns(root) if root is not None else None
    if selected is None:
        return False
    columns, _ = selected
    queries = model.get(QueryValues)
    return bool(columns) and all(queries.aggregate_name(column) is not None for column in columns)


def _counter_starts_empty(model: SemanticModel, rows: RowAnalysis, counted: CountingLoop) -> bool:
    """The counter is a local set to 0 (a number) or to an empty dict (`{}`, `dict()`,
    `defaultdict(int)`, `Counter()`) right before the loop, and the loop's tests and locals
    do not read it."""
    binding = rows.binding_before(counted.counter.value, counted.loop)
    value = binding.value if binding is not None else None
    if value is None:
        return False
    read = set(counted.locals)
    for part in [*counted.skips, *counted.conditions, *counted.locals.values()]:
        read |= names_in(part)
    if counted.counter.value in read and counted.key is None:
        return False
    if counted.key is None:
        return isinstance(value, (cst.Integer, cst.Float)) and value.value in ("0", "0.0")
    if isinstance(value, cst.Dict):
        return not value.elements
    if isinstance(value, cst.Call):
        qualified = model.scopes.qualified_name(value.func)
        if qualified == "builtins.dict" and not value.args:
            return True
        if qualified == "collections.Counter" and not value.args:
            return True
        return (qualified == "collections.defaultdict" and len(value.args) == 1
                and model.scopes.qualified_name(value.args[0].value) == "builtins.int")
    return False


def _tests_whole_row(test: cst.BaseExpression, row: str) -> bool:
    """`not row`, `None in row`, `row is None` and `or` of them: tests of the row tuple
    itself (a NULL column), which a `.where(... .is_not(None))` on the key columns makes."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _tests_whole_row(test.left, row) and _tests_whole_row(test.right, row)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value == row
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, cst.In):
            return (isinstance(test.left, cst.Name) and test.left.value == "None"
                    and isinstance(target.comparator, cst.Name) and target.comparator.value == row)
    return False


def _group_columns(model: SemanticModel, expressions, counted: CountingLoop,  # type: ignore[no-untyped-def]
                   source: RowSource) -> Optional[str]:
    """The GROUP BY columns of a count per key: `Host.os` for `r.os`, the selected columns for
    the row itself or `".".join(row)`; "?" when they are the row's unknown columns; None when
    the key is not something SQL groups by."""
    key = counted.key
    for _ in range(3):
        if isinstance(key, cst.Name) and key.value in counted.locals:
            key = counted.locals[key.value]
    if isinstance(key, cst.Call) and isinstance(key.func, cst.Attribute) and key.func.attr.value == "join" \
            and isinstance(key.func.value, cst.SimpleString) and len(key.args) == 1:
        key = key.args[0].value  # `".".join(row)`: one string per combination of the columns
    if isinstance(key, cst.Name) and key.value == counted.row:
        if source.entity is not None:
            return None  # grouping whole entities counts duplicates, not groups
        return ", ".join(source.columns.values()) if source.columns else "?"
    elements = [e.value for e in key.elements] if isinstance(key, cst.Tuple) else [key]
    columns = [expressions.column(element) for element in elements]
    if not columns or any(c is None for c in columns):
        return None
    return ", ".join(c for c in columns if c is not None)


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"


def _every_count_is_a_total(rows: RowAnalysis, source: RowSource) -> bool:
    """Every `len()` of the list is kept as a number (`total = len(rows)`), none tested."""
    name = source.name
    return name is not None and all(rows.is_total(read) for read in rows.reads_of(name) if rows.is_counted(read))


def _comprehension_argument(rows: RowAnalysis, argument: cst.BaseExpression) -> Optional[RowComprehension]:
    if isinstance(argument, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        return row_comprehension(rows, argument)
    return None


def _worth_reducing(source: RowSource) -> bool:
    """Many rows of known columns: not already limited, not `select(func.count())`, and not
    bounded by a list of ids the code sends (counting those rows handles no more than it
    already holds)."""
    return not source.is_small and source.selects_rows and source.by_identity != ONE_ROW_PER_VALUE


def _count(model: SemanticModel, source: RowSource, where: List[str]) -> str:
    """The counting query to write instead."""
    if source.legacy:
        filters = "".join(f".filter({part})" for part in where)
        query = _query_loaded_by(source.node)
        if query is not None:
            return f"`{model.source_of(query)}{filters}.count()`"
        return f"`{filters}.count()` on the query" if filters else "`.count()` on the query"
    if source.entity is not None:
        where = conditions(source, where)
        condition = f".where({', '.join(where)})" if where else ""
        return f"`select(func.count()).select_from({source.entity}){condition}`" + _keeping_filters(source)
    return "`select(func.count()).select_from(<the statement>.subquery())`"


def _count_fix(model: SemanticModel, call: cst.Call, argument: cst.BaseExpression,
               source: RowSource) -> Optional[Fix]:
    """`len(q.all())` -> `q.count()`; `len(session.scalars(stmt).all())` ->
    `session.scalar(select(func.count()).select_from(stmt.subquery()))`. Only where the
    rows are loaded inside the `len()` itself (a list with a name may serve elsewhere).
    Unsafe: a legacy `Query` returns each entity once when joined eager loading repeats
    it, while COUNT counts the SQL rows; and the rows are no longer loaded (nor their
    attributes refreshed in the session)."""
    if source.node is not argument:
        return None
    needed: List[str] = []
    if source.legacy:
        query = _query_loaded_by(argument)
        if query is None:
            return None
        replacement = f"{_as_receiver(model, query)}.count()"
    else:
        run = _statement_run_by(model, argument)
        if run is None:
            return None
        session, statement = run
        spelled = []
        for name in ("select", "func"):
            spelling, missing = sql_function(model, name)
            spelled.append(spelling)
            if missing:
                needed.append(name)
        select_, func_ = spelled
        replacement = (f"{model.module.code_for_node(session)}.scalar({select_}({func_}.count())"
                       f".select_from({_as_receiver(model, statement)}.subquery()))")
    if "\n" in replacement:
        replacement = f"({replacement})"  # the lines were continued inside `len(...)`
    if not is_expression(replacement):
        return None
    shown = " ".join(replacement.split())
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return Fix.unsafe(f"Count in the database: `{shown}`", replace_node(model, call, replacement),
                      *import_edits(model, "sqlalchemy", needed))


def _statement_run_by(model: SemanticModel, loaded: cst.BaseExpression
                      ) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(session, statement) for `session.scalars(stmt).all()`, `session.execute(stmt).all()`
    and `session.execute(stmt).scalars().all()`."""
    if not (isinstance(loaded, cst.Call) and method_name(loaded) == "all" and not loaded.args):
        return None
    result = loaded.func.value  # type: ignore[attr-defined]
    if isinstance(result, cst.Call) and method_name(result) == "scalars" and not result.args:
        inner = result.func.value  # type: ignore[attr-defined]
        if isinstance(inner, cst.Call) and method_name(inner) == "execute":
            result = inner
    if not (isinstance(result, cst.Call) and method_name(result) in ("scalars", "execute")):
        return None
    if len(result.args) != 1 or result.args[0].keyword is not None or result.args[0].star:
        return None
    session = result.func.value  # type: ignore[attr-defined]
    statement = result.args[0].value
    if model.sessions.session_of(session) is None or model.get(QueryValues).kind_of(statement) != STATEMENT:
        return None
    return session, statement


def _as_receiver(model: SemanticModel, node: cst.BaseExpression) -> str:
    text = model.module.code_for_node(node)
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or node.lpar:
        return text
    return f"({text})"


def _exists(model: SemanticModel, source: RowSource) -> str:
    """The existence test to write instead: one row at most, or an EXISTS subquery."""
    query = _query_loaded_by(source.node) if source.legacy else None
    if query is not None:
        return f"`{model.source_of(query)}.first() is not None`"
    if source.related is not None:
        return f"`select(exists().where({source.related}))`"
    if source.legacy:
        return "`.first() is not None` on the query"
    return "`.limit(1)` and `.first() is not None`, or `select(exists().where(...))`"


def _loaded_query(node: cst.BaseExpression) -> cst.BaseExpression:
    """`q` in `q.all()` (what the message quotes), else `node` itself."""
    return _query_loaded_by(node) or node


def _query_loaded_by(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """`q` in `q.all()` or `list(q)`."""
    if not isinstance(node, cst.Call):
        return None
    if method_name(node) == "all" and not node.args:
        return node.func.value
    if isinstance(node.func, cst.Name) and node.func.value == "list" and len(node.args) == 1:
        return node.args[0].value
    return None


def _keeping_filters(source: RowSource) -> str:
    return " (keep the query's own `.where()`)" if source.value.is_filtered else ""
