from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Tuple

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import import_edits, is_expression, replace_node
from ..semantic import SemanticModel
from ..semantic.queries import STATEMENT, QueryValues
from ..semantic.rows import ONE_ROW_PER_VALUE, RowAnalysis, RowSource
from .orm30x_shapes import (RowComprehension, first_row, is_one_off_module, quote, reportable, row_comprehension,
                            translator)
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
    tokens = ("query", "execute", "scalars")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        rows = model.get(RowAnalysis)
        yield from reportable(model, (self._call(model, rows, call) for call in model.tree.of_type(cst.Call)))

    def _call(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        qualified = model.scopes.qualified_name(call.func)
        if qualified == "builtins.len":
            return self._len(model, rows, call)
        if qualified in _AGGREGATES or qualified == "builtins.any":
            return self._aggregate(model, rows, call, qualified)
        return None

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
        if not rows.loaded_only_for(source, call, also_allowed=lambda read: _is_counted(rows, read)):
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
        return "to test whether any matches", f"`select(exists().where({', '.join(tested + where)}))`"
    column = arithmetic(element)
    if column is None:
        return None
    if column == "1" and builtin == "builtins.sum":
        return "to count the matching ones", _count(model, found.source, where)
    function = _AGGREGATES[builtin]
    condition_text = f".where({', '.join(where)})" if where else ""
    sql = f"`select(func.{function}({column})){condition_text}`" + _keeping_filters(found.source)
    return f"to compute their {function}", sql


def _is_counted(rows: RowAnalysis, read: cst.Name) -> bool:
    """`len(rows)`: every count of the same list is answered by one count query."""
    return rows.is_len_of(rows.model.tree.parent_of(read))


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
    if source.legacy:
        return "`.first() is not None` on the query"
    return "`.limit(1)` and `.first() is not None`, or `select(exists().where(...))`"


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
