"""Shapes of Python code that works over database rows, shared by ORM301-ORM304.

A comprehension over a row source, the variables of enclosing loops, the builtins that
consume an iterable, and how the messages quote code and suggest SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Union

import libcst as cst

from ..rule import Finding, RuleContext
from ..semantic import SemanticModel
from ..semantic.nodes import simple_statements
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
    """`.where(User.email == email)` (`.filter(...)` on a legacy query); for the rows of a
    relationship, the statement selecting them: `select(Post).where(with_parent(user,
    User.posts), Post.title == title)`."""
    if source.related is not None:
        return f"`select({source.entity}).where({', '.join(conditions(source, parts))})`"
    return f"`.{source.where_method}({', '.join(parts)})`"


def conditions(source: RowSource, parts: List[str]) -> List[str]:
    """The conditions of a statement over the same rows as `source`, plus `parts`: a
    relationship's rows need `with_parent(...)` first."""
    return ([source.related] if source.related is not None else []) + list(parts)


def first_row(source: RowSource) -> str:
    """How to fetch one row: a legacy `Query.first()` adds `LIMIT 1` itself, while
    `Result.first()` of a `select()` still lets the driver fetch every row."""
    return "`.first()`" if source.legacy else "`.limit(1)` and `.first()`"


# -- loops that only count ----------------------------------------------------------------------
@dataclass(frozen=True)
class CountingLoop:
    """`for r in rows:` whose body only counts: skips (`if <test>: continue`), locals computed
    from the row, then one counting statement, under an optional `if <condition>:`.

    `counter` is `n` in `n += 1` / `total += r.amount` (`added` is then the expression added),
    or the dict in `counts[key] += 1` (`key` is then the key expression)."""

    loop: cst.For
    row: str
    skips: List[cst.BaseExpression]
    conditions: List[cst.BaseExpression]
    counter: cst.Name
    added: Optional[cst.BaseExpression]
    key: Optional[cst.BaseExpression]
    # Locals assigned in the body before the count: name -> value.
    locals: Dict[str, cst.BaseExpression]


def counting_loop(model: SemanticModel, loop: cst.For, row: str) -> Optional[CountingLoop]:
    body = loop.body
    if loop.orelse is not None or not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements = list(body.body)
    skips: List[cst.BaseExpression] = []
    local_values: Dict[str, cst.BaseExpression] = {}
    *head, last = statements
    for statement in head:
        if isinstance(statement, cst.If) and statement.orelse is None and _only(statement.body, cst.Continue):
            if local_values:
                return None  # a skip after a local: keep the order simple
            skips.append(statement.test)
            continue
        assigned = _local_assignment(statement)
        if assigned is None:
            return None
        name, value = assigned
        local_values[name] = value
    conditions: List[cst.BaseExpression] = []
    if isinstance(last, cst.If) and last.orelse is None:
        conditions.append(last.test)
        inner = last.body
        if isinstance(inner, cst.SimpleStatementSuite) and len(inner.body) == 1:
            last = cst.SimpleStatementLine(body=[inner.body[0]])
        elif isinstance(inner, cst.IndentedBlock) and len(inner.body) == 1:
            last = inner.body[0]
        else:
            return None
    counted = _counting_statement(model, last)
    if counted is None:
        return None
    counter, added, key = counted
    return CountingLoop(loop, row, skips, conditions, counter, added, key, local_values)


def _only(block: cst.BaseSuite, kind: type) -> bool:
    lines = simple_statements(block)
    return lines is not None and len(lines) == 1 and isinstance(lines[0], kind)




def _local_assignment(statement: cst.BaseStatement) -> Optional[tuple]:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    return None


def _counting_statement(model: SemanticModel, statement: cst.CSTNode) -> Optional[tuple]:
    """(counter, added, key) for `n += 1`, `total += x`, `d[k] += 1`, `d[k] = d.get(k, 0) + 1`
    and `if k not in d: d[k] = 1 else: d[k] += 1` (or with `in` and the branches swapped)."""
    if isinstance(statement, cst.If):
        return _if_not_in_count(statement)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
        target = small.target
        if isinstance(target, cst.Name):
            return target, small.value, None
        item = _subscript_of_name(target)
        if item is not None and _is_one(small.value):
            return item[0], None, item[1]
        return None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        item = _subscript_of_name(small.targets[0].target)
        value = small.value
        if item is None or not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)
                                and _is_one(value.right)):
            return None
        get = value.left
        if isinstance(get, cst.Call) and isinstance(get.func, cst.Attribute) and get.func.attr.value == "get" \
                and _same_name(get.func.value, item[0]) and len(get.args) == 2 \
                and _same_code(model, get.args[0].value, item[1]) and isinstance(get.args[1].value, cst.Integer) \
                and get.args[1].value.value == "0":
            return item[0], None, item[1]
    return None


def _if_not_in_count(statement: cst.If) -> Optional[tuple]:
    test = statement.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, (cst.In, cst.NotIn))
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and isinstance(statement.orelse, cst.Else)):
        return None
    counter = test.comparisons[0].comparator
    first, second = simple_statements(statement.body), simple_statements(statement.orelse.body)
    if isinstance(test.comparisons[0].operator, cst.In):
        first, second = second, first
    if not first or not second or len(first) != 1 or len(second) != 1:
        return None
    start, more = first[0], second[0]
    if not (isinstance(start, cst.Assign) and len(start.targets) == 1 and _is_one(start.value)):
        return None
    started = _subscript_of_name(start.targets[0].target)
    if not (isinstance(more, cst.AugAssign) and isinstance(more.operator, cst.AddAssign) and _is_one(more.value)):
        return None
    added = _subscript_of_name(more.target)
    if started is None or added is None or not _same_name(started[0], counter) or not _same_name(added[0], counter):
        return None
    if not (_same_key(started[1], test.left) and _same_key(added[1], test.left)):
        return None
    return counter, None, test.left


def _subscript_of_name(node: cst.BaseExpression) -> Optional[tuple]:
    """(`d`, `k`) for `d[k]`."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        return node.value, node.slice[0].slice.value
    return None


def _same_name(node: cst.BaseExpression, name: cst.Name) -> bool:
    return isinstance(node, cst.Name) and node.value == name.value


def _same_key(left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
    return left.deep_equals(right)


def _same_code(model: SemanticModel, left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
    return left.deep_equals(right)


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"
