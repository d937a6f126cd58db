"""Shapes of Python code that works over database rows, shared by ORM301-ORM304.

A comprehension over a row source, the variables of enclosing loops, the builtins that
consume an iterable, and how the messages quote code and suggest SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable, Iterator, List, Optional, Union

import libcst as cst

from ..rule import Finding, RuleContext
from ..semantic import SemanticModel
from ..semantic.rows import RowAnalysis, RowSource, loop_targets, row_target
from ..semantic.migrations import is_migration_code
from ..semantic.testcode import in_test_code, is_test_file
from .orm30x_sql import RowExpressions

Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# Builtins that consume an iterable into one number or flag: ORM303's business.
AGGREGATES = frozenset({"builtins.len", "builtins.sum", "builtins.max", "builtins.min",
                        "builtins.any", "builtins.all"})


@dataclass(frozen=True)
class RowComprehension:
    """`[<elements> for <row> in <source> if <ifs>]` with one `for` over database rows."""

    node: Comprehension
    row: str
    source: RowSource
    ifs: List[cst.BaseExpression]
    elements: List[cst.BaseExpression]


def row_comprehensions(model: SemanticModel) -> Iterator[RowComprehension]:
    rows = model.get(RowAnalysis)
    for node_type in COMPREHENSIONS:
        for node in model.tree.of_type(node_type):
            found = row_comprehension(rows, node)
            if found is not None:
                yield found


def row_comprehension(rows: RowAnalysis, node: Comprehension) -> Optional[RowComprehension]:
    for_in = node.for_in
    # A second `for` or an `async for` is a join or a stream: not one query's rows.
    if for_in.inner_for_in is not None or for_in.asynchronous is not None:
        return None
    row = row_target(for_in.target)
    source = rows.source(for_in.iter) if row is not None else None
    if row is None or source is None:
        return None
    elements = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
    return RowComprehension(node, row, source, [c.test for c in for_in.ifs], elements)


def outer_loop_names(model: SemanticModel, node: cst.CSTNode) -> FrozenSet[str]:
    """Variables of the loops around `node` in its function: they change on every turn."""
    names: FrozenSet[str] = frozenset()
    for ancestor in model.tree.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            break
        if isinstance(ancestor, cst.For):
            names |= loop_targets(ancestor)
        elif isinstance(ancestor, COMPREHENSIONS):
            compfor: Optional[cst.CompFor] = ancestor.for_in
            while compfor is not None:
                names |= loop_targets(compfor)
                compfor = compfor.inner_for_in
    return names


def reportable(model: SemanticModel, candidates: Iterable[Optional[Finding]]) -> Iterator[Finding]:
    """The findings worth reporting: none in fallback code (see `in_fallback`), none in a
    test function or class (`def test_...`, `class Test...`, see `is_test_module` for files)."""
    for finding in candidates:
        if finding is not None and not in_fallback(model, finding.node) and not in_test_code(model, finding.node):
            yield finding


def is_one_off_module(context: RuleContext) -> bool:
    """Test code runs its queries on a handful of fixture rows, and often loads everything on
    purpose (`assert len(q.all()) == 3`, `q.all()[0]` to exercise a loader); migration code
    runs once per database. Either way the cost these rules are about does not arise, so they
    skip test files (see `testcode.is_test_file`) and migration code (`migrations`)."""
    root = context.settings.root
    return (is_test_file(context.filename, root)
            or is_migration_code(context.model.tree.module, context.filename, root))


def in_fallback(model: SemanticModel, node: cst.CSTNode) -> bool:
    """`node` runs in an `except` block of its function: a fallback after a query failed
    (too many IN parameters, a batch that hit a constraint), written this way on purpose."""
    for ancestor in model.tree.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(ancestor, (cst.ExceptHandler, cst.ExceptStarHandler)):
            return True
    return False


def translator(model: SemanticModel, row: str, source: RowSource, where: cst.CSTNode) -> RowExpressions:
    """SQL translation for `row`, treating the variables of loops around `where` as changing."""
    return RowExpressions(model, row, source, outer_loop_names(model, where))


def consumer(model: SemanticModel, node: cst.CSTNode) -> Optional[str]:
    """The builtin whose only argument is `node` (`len`, `next`, `sum`, ...), if any."""
    parent = model.tree.parent_of(node)
    call = model.tree.parent_of(parent) if isinstance(parent, cst.Arg) else None
    if isinstance(call, cst.Call) and call.args and call.args[0] is parent:
        qualified = model.scopes.qualified_name(call.func)
        if qualified is not None and qualified.startswith("builtins."):
            return qualified
    return None


def quote(model: SemanticModel, node: cst.CSTNode, limit: int = 60) -> str:
    """Source text of `node` in backticks, shortened for a one-line message."""
    text = model.source_of(node)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"`{text}`"


def where_text(source: RowSource, parts: List[str]) -> str:
    """`.where(User.email == email)` (`.filter(...)` on a legacy query)."""
    return f"`.{source.where_method}({', '.join(parts)})`"


def first_row(source: RowSource) -> str:
    """How to fetch one row: a legacy `Query.first()` adds `LIMIT 1` itself, while
    `Result.first()` of a `select()` still lets the driver fetch every row."""
    return "`.first()`" if source.legacy else "`.limit(1)` and `.first()`"
