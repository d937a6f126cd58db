from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Iterator, List, Optional, Sequence

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic import SemanticModel
from ..semantic.nodes import simple_statements
from ..semantic.rows import RowAnalysis, RowSource, names_in, row_target
from .orm30x_shapes import (AGGREGATES, RowComprehension, consumer, first_row, is_one_off_module, quote,
                            reportable, row_comprehensions, translator, where_text)

# Collections a filtering loop keeps rows in, and the method that keeps one.
_EMPTY_COLLECTIONS = {"builtins.list": "append", "builtins.set": "add"}


@dataclass(frozen=True)
class KeptRows:
    """What a filtering loop keeps: rows passing `conditions` and failing every `skips`."""

    conditions: Sequence[cst.BaseExpression]
    skips: Sequence[cst.BaseExpression]
    first_only: bool


class PythonSideFilter(Rule):
    """Rows loaded from the database only to keep those whose columns pass a condition.

    Flags a `for` loop over query rows whose body only keeps the matching rows (append,
    add to a set, yield, return or break on the first match), a comprehension with an `if`
    on the row's columns, `filter(lambda r: ..., rows)` and `next(r for r in rows if ...)`,
    when the condition is one SQL evaluates alike (see `orm30x_sql`) and nothing else
    needs the full list.
    """

    code = "ORM301"
    name = "python-side-filter"
    summary = "query rows loaded in full and then filtered in Python on their columns"
    tokens = ("query", "execute", "scalars", "relation")  # `relation` finds relationship rows
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        rows = model.get(RowAnalysis)
        yield from reportable(model, chain(
            (self._loop(model, rows, loop) for loop in model.tree.of_type(cst.For)),
            (self._comprehension(model, rows, found) for found in row_comprehensions(model)),
            (self._filter_call(model, rows, call) for call in model.tree.of_type(cst.Call)),
        ))

    def _loop(self, model: SemanticModel, rows: RowAnalysis, loop: cst.For) -> Optional[Finding]:
        row = row_target(loop.target)
        source = rows.source(loop.iter) if row is not None and loop.asynchronous is None else None
        if row is None or source is None or source.is_small:
            return None
        kept = _kept_rows(model, loop.body, row)
        if kept is None or not rows.loaded_only_for(source, loop):
            return None
        return self._finding(model, source, row, kept, loop.iter, loop)

    def _comprehension(self, model: SemanticModel, rows: RowAnalysis,
                       found: RowComprehension) -> Optional[Finding]:
        node, source = found.node, found.source
        if not found.ifs or source.is_small:
            return None
        expressions = translator(model, found.row, source, node)
        if not all(expressions.projection(element) for element in found.elements):
            return None  # the element does per-row work of its own
        consumed_by = consumer(model, node)
        if consumed_by in AGGREGATES:
            return None  # counting or aggregating: ORM303 says it with the filter included
        if not rows.loaded_only_for(source, node):
            return None
        kept = KeptRows(found.ifs, (), first_only=consumed_by == "builtins.next")
        return self._finding(model, source, found.row, kept, node, node)

    def _filter_call(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        """`filter(lambda u: u.active == True, users)`."""
        if len(call.args) != 2 or model.scopes.qualified_name(call.func) != "builtins.filter":
            return None
        predicate, iterable = call.args[0].value, call.args[1].value
        if not isinstance(predicate, cst.Lambda) or len(predicate.params.params) != 1:
            return None
        source = rows.source(iterable)
        if source is None or source.is_small or not rows.loaded_only_for(source, call):
            return None
        row = predicate.params.params[0].name.value
        kept = KeptRows([predicate.body], (), first_only=False)
        return self._finding(model, source, row, kept, call, call)

    def _finding(self, model: SemanticModel, source: RowSource, row: str, kept: KeptRows,
                 node: cst.CSTNode, where: cst.CSTNode) -> Optional[Finding]:
        if model.get(RowAnalysis).locks_rows(source):
            return None  # a filter moved into a `FOR UPDATE` read changes which rows it locks
        if source.related is not None and not kept.first_only:
            # A relationship's rows are often loaded with their parent (`selectinload()` in
            # the caller's query) to build a whole object: only a search for one row is sure
            # to be better done by the database.
            return None
        expressions = translator(model, row, source, where)
        parts = expressions.where(kept.conditions, kept.skips)
        if parts is None:
            return None
        python = " and ".join([quote(model, c) for c in kept.conditions]
                              + [f"`if {model.source_of(c)}: continue`" for c in kept.skips])
        suggestion = where_text(source, parts)
        rows_text = quote(model, source.node)
        if kept.first_only:
            message = (f"every row of {rows_text} is fetched to find the first one where {python}: "
                       f"filter in the query with {suggestion} and fetch one row with {first_row(source)}")
        else:
            message = (f"every row of {rows_text} is fetched and filtered in Python on {python}: "
                       f"filter in the query with {suggestion}")
        return Finding(node=node, message=message,
                       hint="the database then returns only the matching rows")


def _kept_rows(model: SemanticModel, body: cst.BaseSuite, row: str) -> Optional[KeptRows]:
    """The loop body only keeps `row` when it passes a test (after `if ...: continue` skips)."""
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements = list(body.body)
    skips: List[cst.BaseExpression] = []
    for statement in statements[:-1]:
        if not (_is_bare_if(statement) and _only_continue(simple_statements(statement.body))):
            return None
        skips.append(statement.test)
    last = statements[-1]
    if _is_bare_if(last):
        first = _keeps(model, simple_statements(last.body), row)
        conditions: List[cst.BaseExpression] = [last.test]
    elif skips:
        first = _keeps(model, list(last.body) if isinstance(last, cst.SimpleStatementLine) else None, row)
        conditions = []
    else:
        return None
    if first is None:
        return None
    return KeptRows(conditions, skips, first_only=first)


def _is_bare_if(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.If) and statement.orelse is None




def _only_continue(statements: Optional[List[cst.BaseSmallStatement]]) -> bool:
    return statements is not None and len(statements) == 1 and isinstance(statements[0], cst.Continue)


def _keeps(model: SemanticModel, statements: Optional[List[cst.BaseSmallStatement]],
           row: str) -> Optional[bool]:
    """Whether `statements` keep the row and nothing else: True for the first match only,
    False for every match, None when they do anything else."""
    if not statements:
        return None
    *head, last = statements
    if isinstance(last, cst.Return):
        # Whatever is built from the first match is built once: the loop is a search.
        found = not head and last.value is not None and row in names_in(last.value)
        return True if found else None
    if isinstance(last, cst.Break):
        if len(head) != 1:
            return None
        kept = head[0]
        if isinstance(kept, cst.Assign) and len(kept.targets) == 1 and isinstance(kept.targets[0].target, cst.Name):
            return True if _is_name(kept.value, row) else None
        return True if _collects(model, kept, row) else None
    if head:
        return None
    if isinstance(last, cst.Expr) and isinstance(last.value, cst.Yield):
        return False if _is_name(last.value.value, row) else None
    return False if _collects(model, last, row) else None


def _collects(model: SemanticModel, statement: cst.BaseSmallStatement, row: str) -> bool:
    """`found.append(u)` / `seen.add(u)` on a list or set this function made empty."""
    if not isinstance(statement, cst.Expr) or not isinstance(statement.value, cst.Call):
        return False
    call = statement.value
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
            and len(call.args) == 1 and _is_name(call.args[0].value, row)):
        return False
    _, bindings = model.scopes.bindings_of(func.value)
    if not bindings:
        return False
    for binding in bindings:
        if binding.kind not in ("assign", "annassign") or _empty_collection(model, binding.value) != func.attr.value:
            return False
    return True


def _empty_collection(model: SemanticModel, value: Optional[cst.BaseExpression]) -> Optional[str]:
    """The keeping method of `[]`, `list()` or `set()`."""
    if isinstance(value, cst.List) and not value.elements:
        return "append"
    if isinstance(value, cst.Call) and not value.args:
        return _EMPTY_COLLECTIONS.get(model.scopes.qualified_name(value.func) or "")
    return None


def _is_name(node: Optional[cst.BaseExpression], name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name
