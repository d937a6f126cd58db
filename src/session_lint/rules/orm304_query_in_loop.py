from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterator, List, Optional, Set

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic import names
from ..semantic import SemanticModel
from ..semantic.queries import QUERY, STATEMENT, QueryValues
from ..semantic.loops import LoopVariables
from ..semantic.rows import RowAnalysis, loop_targets, names_in
from .orm30x_shapes import COMPREHENSIONS, is_one_off_module, quote, reportable
from ..semantic.nodes import method_name

HINT = "N items make N round trips to the database; one query with `.in_(...)` makes one"
# Builder methods whose arguments are conditions on the rows, and those whose arguments are
# the values that pick them. A loop variable that only reaches `.offset()`/`.limit()` pages
# through one query on purpose, and is not looked at.
_CONDITIONS = frozenset({"where", "filter", "having", "join", "outerjoin"})
_PICKING = frozenset({"filter_by", "get", "get_one", "get_or_404", "with_parent", "params"})
# Session methods that run a statement, and the ones that load by primary key.
_RUNS_STATEMENT = names.RUNS_STATEMENT | names.RUNS_OR_404
_BY_PRIMARY_KEY = frozenset({"get", "get_one", "get_or_404"})
# Column operators whose argument is the value compared with the column.
_COMPARING_METHODS = frozenset({"like", "ilike", "contains", "startswith", "endswith", "between",
                                "is_", "is_not", "isnot", "match", "regexp_match", "any_", "has", "any"})
_BATCHING_METHODS = frozenset({"in_", "not_in", "notin_"})
_BOOLEAN_FUNCTIONS = frozenset({"and_", "or_", "not_"})
# Statements are followed through this many local names (`stmt = select(...)`).
_MAX_NAME_HOPS = 4
# `range(n)` up to this, or a written-out tuple or list up to that, is a fixed, small set.
_SMALL_RANGE = 10
_SMALL_DISPLAY = 20
PICKS, BATCHED, CHOOSES_TABLE = "picks", "batched", "chooses-table"
# What a selector is: a value (`session.get(User, <value>)`, `filter_by(id=<value>)`), a
# condition (`.where(<condition>)`, whose value sides `_roles` finds), or what the query
# selects from (`select(<entity>)`, `session.get(<Model>, ...)`).
VALUE, CONDITION, ENTITY = "value", "condition", "entity"


@dataclass(frozen=True)
class Selector:
    """An expression that decides which rows a query returns."""

    node: cst.BaseExpression
    kind: str


class QueryInLoop(Rule):
    """A query run once per item of a loop, selecting by the loop's item (N+1 queries).

    Flags `session.get(Model, item)`, `session.execute/scalars/scalar(select(...).where(...item...))`,
    `Model.query.get(item)` / `.filter_by(x=item).first()` and Flask-SQLAlchemy's
    `db.get_or_404(Model, item)` inside a `for` body or a comprehension, when a value that
    picks the rows comes from the loop variable (directly or through locals assigned in the
    loop). Silent for loops over a few literals, for batches (`.in_(batch)`), for loop
    variables that choose a table or a column rather than a value, for paging
    (`.offset()`/`.limit()`), for statements that are not `select()` (per-row updates) and
    for fallbacks in `except` blocks.
    """

    code = "ORM304"
    name = "query-in-loop"
    summary = "a query run once per loop item, selecting by that item (N+1 queries)"
    tokens = ("query", "execute", "scalar", "get", "_or_404")
    requires = SQLALCHEMY_EVIDENCE
    # Whether a loop runs 3 times or 10,000 is rarely visible in the code: on real projects
    # most findings were small per-item loops (docs/accuracy.md), so it runs when selected.
    opt_in = True

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        queries = model.get(QueryValues)
        yield from reportable(model, (self._query_in_loop(model, queries, call)
                                      for call in model.tree.of_type(cst.Call)))

    def _query_in_loop(self, model: SemanticModel, queries: QueryValues, call: cst.Call) -> Optional[Finding]:
        selectors = _selectors(model, queries, call)
        if not selectors or _latest_of_each(queries, call):
            return None
        loop = _loop_feeding(model, call, selectors)
        return self._finding(model, call, loop, selectors) if loop is not None else None

    def _finding(self, model: SemanticModel, call: cst.Call, loop: cst.CSTNode,
                 selectors: List[Selector]) -> Finding:
        iterable = _iterable(loop)
        loads_rows = isinstance(call.func, cst.Attribute) and call.func.attr.value not in ("count", "scalar")
        per_row = loads_rows and model.get(RowAnalysis).source(iterable) is not None
        related = " (for rows related to each row of a query, `selectinload()` does the same)" if per_row else ""
        return Finding(
            node=call,
            message=(f"{quote(model, call)} runs one query per item of {quote(model, iterable)}: "
                     f"load them all in one query with {_in_suggestion(model, call, loop, selectors)}"
                     f"{related}"),
            hint=HINT,
        )


# -- what runs a query, and what selects its rows ------------------------------------------------
def _selectors(model: SemanticModel, queries: QueryValues, call: cst.Call) -> List[Selector]:
    """What chooses the rows of the query `call` runs (empty when it runs none)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return []
    method = func.attr.value
    receiver = func.value
    # `conn.execute(select(...))` on a receiver we cannot resolve: the statement is the evidence.
    if _is_session_like(model, receiver) or (method in _RUNS_STATEMENT and queries.kind_of(receiver) is None):
        if method in _BY_PRIMARY_KEY and len(call.args) >= 2 and _names_model(call.args[0].value):
            return [Selector(call.args[0].value, ENTITY), Selector(call.args[1].value, VALUE)]
        if method in _RUNS_STATEMENT and call.args:
            statement = call.args[0].value
            if queries.kind_of(statement) != STATEMENT:
                return []  # `update()`, `text()`: per-row writes or raw SQL, not a lookup
            parameters = [Selector(a.value, VALUE) for a in call.args[1:]]
            return _chain_selectors(queries, statement, 0) + parameters
        return []
    if queries.kind_of(receiver) == QUERY and queries.value_of(call) is not None and queries.kind_of(call) != QUERY:
        # `.first()`, `.all()`, `.get(i)`, `.count()` run a legacy query.
        return _method_selectors(call) + _chain_selectors(queries, receiver, 0)
    return []


def _is_session_like(model: SemanticModel, receiver: cst.BaseExpression) -> bool:
    """A session, or Flask-SQLAlchemy's `db` (its `get_or_404()` runs a query too)."""
    return model.sessions.session_of(receiver) is not None or model.sessions.is_flask_db(receiver)


def _chain_selectors(queries: QueryValues, node: cst.BaseExpression, hops: int) -> List[Selector]:
    """The selectors along a builder chain, through local names (`stmt = select(...)`)."""
    found: List[Selector] = []
    current: Optional[cst.BaseExpression] = node
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
        found.extend(_method_selectors(current))
        current = current.func.value
    if isinstance(current, cst.Call):
        found.extend(Selector(arg.value, ENTITY) for arg in current.args)  # `select(User)`
    elif isinstance(current, cst.Attribute) and current.attr.value == "query":
        found.append(Selector(current.value, ENTITY))  # Flask-SQLAlchemy's `User.query`
    if isinstance(current, cst.Name) and hops < _MAX_NAME_HOPS:
        _, bindings = queries.model.scopes.bindings_of(current)
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None and binding.value is not node:
                found.extend(_chain_selectors(queries, binding.value, hops + 1))
    return found


def _method_selectors(call: cst.Call) -> List[Selector]:
    method = method_name(call) or ""
    if method in _CONDITIONS:
        return [Selector(arg.value, CONDITION) for arg in call.args if not arg.star]
    if method in _PICKING:
        # `filter_by(**params)` chooses the columns too: not one column's values.
        return [Selector(arg.value, VALUE) for arg in call.args if not arg.star]
    if method in ("query", "select", "with_entities", "add_columns"):
        return [Selector(arg.value, ENTITY) for arg in call.args]
    return []


def _latest_of_each(queries: QueryValues, call: cst.Call) -> bool:
    """`.order_by(...).first()` per item: the newest row of each group, which `.in_()` alone
    cannot fetch (it takes a window function or a lateral join)."""
    value = queries.value_of(call)
    return value is not None and value.is_ordered and value.is_limited


def _names_model(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value[:1].isupper()
    return isinstance(node, cst.Attribute) and node.attr.value[:1].isupper()


# -- which loop feeds the query ------------------------------------------------------------------
def _loop_feeding(model: SemanticModel, call: cst.Call, selectors: List[Selector]) -> Optional[cst.CSTNode]:
    """The innermost loop around `call` whose variable picks the query's rows."""
    child: cst.CSTNode = call
    for ancestor in model.tree.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if _runs_per_item(model, ancestor, child, call) and not _fixed_few(model, _iterable(ancestor)):
            names = model.get(LoopVariables).names_of(ancestor)
            roles: Set[str] = set()
            for selector in selectors:
                roles |= _roles(model, selector, names)
            if BATCHED in roles:
                return None  # one query per batch of items is the fix, not the problem
            if CHOOSES_TABLE in roles:
                return None  # a different table or model on every turn: no `.in_()` joins them
            if PICKS in roles:
                return None if _session_opened_in(model, call, ancestor) else ancestor
        child = ancestor
    return None


def _session_opened_in(model: SemanticModel, call: cst.Call, loop: cst.CSTNode) -> bool:
    """The query runs on a session (or connection) opened by a `with` inside the loop body:
    one session per item, on purpose (a stream that gives its connection back between items,
    work isolated per item); merging the queries means giving that up."""
    current: cst.BaseExpression = call
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
        current = current.func.value
    if not isinstance(current, cst.Name):
        return False
    _, bindings = model.scopes.bindings_of(current)
    return (len(bindings) == 1 and bindings[0].kind == "with"
            and model.tree.inside(bindings[0].node, loop))


def _roles(model: SemanticModel, selector: Selector, names: FrozenSet[str]) -> Set[str]:
    """How the loop's names take part in a selector: values that pick rows, a batch, a table."""
    if not names_in(selector.node) & names:
        return set()
    if selector.kind == ENTITY:
        return {CHOOSES_TABLE}
    if selector.kind == VALUE:
        return {PICKS}
    return _condition_roles(model, selector.node, names)


def _condition_roles(model: SemanticModel, node: cst.BaseExpression, names: FrozenSet[str]) -> Set[str]:
    if not names_in(node) & names:
        return set()
    if isinstance(node, cst.Comparison):
        roles: Set[str] = set()
        left = node.left
        for target in node.comparisons:
            roles |= _compared(left, target.comparator, names)
            left = target.comparator
        return roles
    if isinstance(node, cst.BooleanOperation) or (
            isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr))):
        return _condition_roles(model, node.left, names) | _condition_roles(model, node.right, names)
    if isinstance(node, cst.UnaryOperation):
        return _condition_roles(model, node.expression, names)
    if isinstance(node, cst.Call):
        return _call_roles(model, node, names)
    return set()  # a condition built elsewhere (`.where(cond)`): not sure what it compares


def _call_roles(model: SemanticModel, call: cst.Call, names: FrozenSet[str]) -> Set[str]:
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    arguments = [arg.value for arg in call.args if not arg.star]
    if isinstance(func, cst.Attribute) and not names_in(func.value) & names:
        if method in _BATCHING_METHODS and any(names_in(a) & names for a in arguments):
            return {BATCHED}
        if method in _COMPARING_METHODS and any(names_in(a) & names for a in arguments):
            return {PICKS}
    if method in _BOOLEAN_FUNCTIONS:
        roles: Set[str] = set()
        for argument in arguments:
            roles |= _condition_roles(model, argument, names)
        return roles
    return set()  # a helper of the application's (`_filter_for(table, chunk)`)


def _compared(left: cst.BaseExpression, right: cst.BaseExpression, names: FrozenSet[str]) -> Set[str]:
    """`Post.user_id == user.id`: the loop gives the value. `table.c.x == 1`: it gives the table."""
    in_left, in_right = bool(names_in(left) & names), bool(names_in(right) & names)
    if in_left == in_right:
        return set()
    side = left if in_left else right
    return set() if _chooses_column(side) else {PICKS}


def _chooses_column(node: cst.BaseExpression) -> bool:
    """`table.c.name` or `getattr(Model, field)`: the loop picks a table or a column, not a value."""
    current = node
    while isinstance(current, cst.Attribute):
        if current.attr.value in ("c", "columns"):
            return True
        current = current.value
    return isinstance(current, cst.Call) and getattr(current.func, "value", None) == "getattr"


def _runs_per_item(model: SemanticModel, loop: cst.CSTNode, child: cst.CSTNode, call: cst.Call) -> bool:
    """`call` runs on every turn of `loop`: in a `for` body, or a comprehension past its first iterable."""
    if isinstance(loop, cst.For):
        return child is loop.body
    if isinstance(loop, COMPREHENSIONS):
        first = loop.for_in.iter
        return call is not first and all(a is not first for a in model.tree.ancestors(call))
    return False


def _iterable(loop: cst.CSTNode) -> cst.BaseExpression:
    return loop.iter if isinstance(loop, cst.For) else loop.for_in.iter  # type: ignore[union-attr]


def _fixed_few(model: SemanticModel, iterable: cst.BaseExpression, hops: int = 0) -> bool:
    """A handful of items written out: `("admin", "user")`, `[(User, "id"), (Group, "id")]`,
    `range(3)`, or a name bound to such. Their number is fixed by the source, and small."""
    if isinstance(iterable, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
        return len(iterable.elements) <= _SMALL_DISPLAY and not any(
            isinstance(e, (cst.StarredElement, cst.StarredDictElement)) for e in iterable.elements)
    if isinstance(iterable, cst.Call):
        qualified = model.scopes.qualified_name(iterable.func)
        if qualified == "builtins.range":
            return all(isinstance(a.value, cst.Integer) and int(a.value.value, 0) <= _SMALL_RANGE
                       for a in iterable.args)
        if qualified in ("builtins.enumerate", "builtins.zip", "builtins.reversed", "builtins.sorted"):
            positional = [a.value for a in iterable.args if a.keyword is None]
            return bool(positional) and all(_fixed_few(model, a, hops) for a in positional)
        if method_name(iterable) in ("items", "keys", "values"):
            return _fixed_few(model, iterable.func.value, hops)
        return False
    if isinstance(iterable, cst.Name) and hops < _MAX_NAME_HOPS:
        _, bindings = model.scopes.bindings_of(iterable)
        return bool(bindings) and all(
            b.kind in ("assign", "annassign") and b.value is not None and _fixed_few(model, b.value, hops + 1)
            for b in bindings)
    return False


# -- the suggestion -------------------------------------------------------------------------------
def _in_suggestion(model: SemanticModel, call: cst.Call, loop: cst.CSTNode, selectors: List[Selector]) -> str:
    """`.where(User.id.in_(ids))` when the loop variable is compared with one column."""
    head = loop if isinstance(loop, cst.For) else loop.for_in  # type: ignore[attr-defined]
    items = _Items(model.source_of(head.target), model.source_of(head.iter), loop_targets(head))
    func = call.func
    legacy = isinstance(func, cst.Attribute) and model.get(QueryValues).kind_of(func.value) == QUERY
    method = func.attr.value if isinstance(func, cst.Attribute) else ""
    values = [s.node for s in selectors if s.kind == VALUE]
    if method in _BY_PRIMARY_KEY and values:
        picked = items.of(values[-1])
        if picked is not None and legacy:
            return f"`.filter(<primary key>.in_({picked}))`"
        if picked is not None and len(call.args) >= 2:
            entity = model.source_of(call.args[0].value)
            return f"`select({entity}).where(<{entity} primary key>.in_({picked}))`"
    for selector in selectors:
        node = selector.node
        if not (selector.kind == CONDITION and isinstance(node, cst.Comparison) and len(node.comparisons) == 1
                and isinstance(node.comparisons[0].operator, cst.Equal)):
            continue
        left, right = node.left, node.comparisons[0].comparator
        for column, value in ((left, right), (right, left)):
            picked = items.of(value)
            if picked is not None and isinstance(column, cst.Attribute) and not names_in(column) & items.names:
                where = "filter" if legacy else "where"
                return f"`.{where}({model.source_of(column)}.in_({picked}))`"
    return "`.in_(...)` over every item, then look the rows up in a dict"


@dataclass(frozen=True)
class _Items:
    """The loop's items as `.in_()` would take them."""

    target: str  # the loop target as written: `i`, `(key, value)`
    iterable: str
    names: FrozenSet[str]

    def of(self, value: cst.BaseExpression) -> Optional[str]:
        """`ids` for `i`; `[u.id for u in users]` for `u.id`; None for anything else."""
        if isinstance(value, cst.Name) and value.value in self.names:
            if self.target == value.value:
                return self.iterable
            return f"[{value.value} for {self.target} in {self.iterable}]"
        if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value in self.names:
            return f"[{value.value.value}.{value.attr.value} for {self.target} in {self.iterable}]"
        return None
