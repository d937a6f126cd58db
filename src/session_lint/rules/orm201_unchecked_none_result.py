from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePath
from typing import Dict, Iterator, List, Tuple

import libcst as cst

from ..rule import Finding, Rule, RuleContext
from ..semantic import SemanticModel
from ..semantic.narrowing import (
    ITERATION, UNPACKING, Narrowing, SourceOf, dereference_of, enclosing_conditions, implies_truthy,
)
from ..semantic.queries import QUERY, QueryValue, QueryValues

_TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})
# scope -> local name -> each result assigned to it (the call, or `await` of it) -> the call
Assigned = Dict[cst.CSTNode, Dict[str, Dict[cst.CSTNode, cst.Call]]]


class UncheckedNoneResult(Rule):
    """A query result that is None when no row matches, dereferenced without a check.

    `.first()`, `Session.get()`, `.one_or_none()`, `.scalar_one_or_none()`, `.scalar()` (of
    a `Result`, a `ScalarResult`, a legacy or Flask-SQLAlchemy `Query`, or a session)
    return None when nothing matches. Reported once per call, when its value reaches an
    attribute, a subscript, a call, iteration, unpacking or arithmetic on some path before
    a None check: used right away (`session.get(User, id).name`), or through a local name
    (`user = ...first()` then `user.email`).

    Silent when every path checks first (`if user is None: return`, `if user:`,
    `assert user`, `user and user.email`, a walrus, `user = user or default`, a call that
    never returns such as `abort(404)`), when the value is only compared, returned, passed
    on or stored, for `.one()` / `.scalar_one()` / `.first_or_404()`, for statements that
    always return one row (aggregates without GROUP BY, `.scalar()` of `count()`), and for
    `.first()` on anything that is not provably a query.
    """

    code = "ORM201"
    name = "unchecked-none-result"
    summary = "`.first()`/`.get()`/`.one_or_none()`/`.scalar()` can be None and the result is used without a check"
    tokens = (".first(", ".get(", "one_or_none(", ".scalar(", ".fetchone(")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if _is_test_module(context):
            return  # a test that reads a missing row fails, which is what a test is for
        model = context.model
        queries = model.get(QueryValues)
        assigned: Assigned = defaultdict(lambda: defaultdict(dict))
        for call in queries.optional_calls():
            if queries.is_never_none(call) or _in_test_function(model, call) or _existence_checked(model, call):
                continue
            result = _with_await(model, call)
            used_at_once = dereference_of(model, result)
            if used_at_once is not None:
                yield self.finding(call, FirstUse(result, *used_at_once), context)
            for scope, name in _names_bound_to(model, result):
                assigned[scope][name][result] = call
        yield from self.unchecked_names(assigned, context)

    def unchecked_names(self, assigned: Assigned, context: RuleContext) -> Iterator[Finding]:
        """Results kept in local names: one walk per scope finds each one's first unchecked use."""
        narrowing = context.model.get(Narrowing)
        for scope, by_name in assigned.items():
            calls = {result: call for results in by_name.values() for result, call in results.items()}
            for result, use in narrowing.unchecked_uses(scope, by_name, _source_in(by_name)).items():
                call = calls[result]  # type: ignore[index]
                yield self.finding(call, FirstUse(use.name, use.node, use.kind), context)

    def finding(self, call: cst.Call, use: FirstUse, context: RuleContext) -> Finding:
        model = context.model
        value = model.get(QueryValues).value_of(call)
        assert value is not None and isinstance(call.func, cst.Attribute)
        return Finding(
            node=call.func.attr,
            message=f"`{_label(model, call)}` returns None when no row matches, and "
                    f"{_describe(model, call, use)} on line {model.line_of(use.node)} "
                    "uses the result without a None check",
            hint=f"check for None first (`if {use.subject} is None: ...`), or use "
                 f"{_strict_alternative(model, call, value)} when a missing row is an error",
        )


@dataclass(frozen=True)
class FirstUse:
    """The first dereference of a result: through a name (`user.email`), or at once
    (`session.get(User, 1).email`, where `value` is the call itself)."""

    value: cst.CSTNode
    node: cst.CSTNode
    kind: str

    @property
    def subject(self) -> str:
        return self.value.value if isinstance(self.value, cst.Name) else "result"


def _is_test_module(context: RuleContext) -> bool:
    """`test_*.py`, `*_test.py`, `conftest.py`, or a file under a `tests/` directory of the project."""
    path = PurePath(context.filename)
    try:
        path = path.relative_to(context.settings.root)
    except ValueError:
        pass
    name = path.name
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    return any(part in _TEST_DIRECTORIES for part in path.parts[:-1])


def _in_test_function(model: SemanticModel, call: cst.Call) -> bool:
    """`def test_...():` anywhere, such as a doctest-style test next to the code."""
    return any(isinstance(scope, cst.FunctionDef) and scope.name.value.startswith("test_")
               for scope in model.tree.ancestors(call))


def _existence_checked(model: SemanticModel, call: cst.Call) -> bool:
    """The fetch runs in a branch taken only when a query on the same model found rows:
    `if not User.query.first(): ... else: user = User.query.first()`, or
    `if session.query(User).filter(...).count(): ...`. The other query's filter may differ;
    a check of the same table is trusted anyway, as its author meant it."""
    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    if entity is None:
        return False

    def same_entity(expression: cst.BaseExpression) -> bool:
        return expression is not call and isinstance(expression, cst.Call) and queries.entity_of(expression) == entity

    return any(implies_truthy(model, test, outcome, same_entity)
               for test, outcome in enclosing_conditions(model, call))


def _source_in(by_name: Dict[str, Dict[cst.CSTNode, cst.Call]]) -> SourceOf:
    """The facts are the results themselves: for `user = await session.get(...)`, the await."""
    return lambda name, value: value if value in by_name.get(name, ()) else None


def _with_await(model: SemanticModel, call: cst.Call) -> cst.BaseExpression:
    """The expression that holds the result: `await session.get(...)` for an async call."""
    parent = model.tree.parent_of(call)
    return parent if isinstance(parent, cst.Await) else call


def _names_bound_to(model: SemanticModel, result: cst.BaseExpression) -> List[Tuple[cst.CSTNode, str]]:
    """(scope, name) of each local name the result is assigned to: `x = ...`, `x: T = ...`,
    `(x := ...)`, `a = b = ...`."""
    parent = model.tree.parent_of(result)
    targets: List[cst.BaseExpression] = []
    if isinstance(parent, cst.Assign) and parent.value is result:
        targets = [target.target for target in parent.targets]
    elif isinstance(parent, cst.AnnAssign) and parent.value is result:
        targets = [parent.target]
    elif isinstance(parent, cst.NamedExpr) and parent.value is result:
        targets = [parent.target]
    names = [target.value for target in targets if isinstance(target, cst.Name)]
    if parent is None or not names:
        return []
    scope = model.scopes.scope_of(parent)
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent  # a walrus in a comprehension binds in the enclosing function
    if scope.kind == "lambda":
        return []
    return [(scope.node, name) for name in names]


# -- message parts ------------------------------------------------------------------------------
def _label(model: SemanticModel, call: cst.Call) -> str:
    """`session.get()`, `db.session.get()`, `User.query.get()`, `.first()`."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    method = func.attr.value
    receiver = func.value
    if model.sessions.session_of(receiver) is not None:
        return f"{model.source_of(receiver)}.{method}()"
    if isinstance(receiver, cst.Attribute) and receiver.attr.value == "query" and isinstance(receiver.value, cst.Name):
        return f"{model.source_of(receiver)}.{method}()"
    return f".{method}()"


def _describe(model: SemanticModel, call: cst.Call, use: FirstUse) -> str:
    """`user.email`, `.first().email`, `row[0]`, `user.save(...)`, iterating over `rows`."""
    value = use.value.value if isinstance(use.value, cst.Name) else _label(model, call)
    node = use.node
    if use.kind == ITERATION:
        return f"iterating over `{value}`"
    if use.kind == UNPACKING:
        return f"unpacking `{value}`"
    if isinstance(node, cst.Attribute):
        parent = model.tree.parent_of(node)
        called = isinstance(parent, cst.Call) and parent.func is node
        arguments = ("(...)" if parent.args else "()") if called else ""  # type: ignore[union-attr]
        return f"`{value}.{node.attr.value}{arguments}`"
    if isinstance(node, cst.Subscript):
        index = ", ".join(model.source_of(element.slice) for element in node.slice)
        return f"`{value}[{_shorten(index)}]`"
    if isinstance(node, cst.Call):
        return f"`{value}(...)`" if node.args else f"`{value}()`"
    text = model.source_of(node)
    if not isinstance(use.value, cst.Name):
        text = text.replace(model.source_of(use.value), value)  # `total += session.scalar()`
    return f"`{_shorten(text)}`"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _strict_alternative(model: SemanticModel, call: cst.Call, value: QueryValue) -> str:
    """The spelling that raises instead of returning None."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    method = func.attr.value
    queries = model.get(QueryValues)
    session = model.sessions.session_of(func.value)
    legacy = queries.kind_of(func.value) == QUERY
    flask = isinstance(value.root, cst.Attribute) and queries.uses_flask_sqlalchemy()
    if method == "get":
        if session is not None:
            return f"`{session.label}.get_one()`"
        return "`.get_or_404()` (in a view)" if flask else "`session.get_one()`"
    if method == "scalar" and session is not None:
        return f"`{session.label}.execute(...).scalar_one()`"
    if method in ("scalar", "scalar_one_or_none") and not legacy:
        return "`.scalar_one()`"
    if method == "first" and flask:
        return "`.one()` (or `.first_or_404()` in a view)"
    return "`.one()`"
