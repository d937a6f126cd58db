"""Where SQLAlchemy receives a condition: the expressions it will turn into SQL.

A condition is an argument of `.where()`, `.filter()`, `.having()`, of `and_()`, `or_()`,
`not_()`, of a relationship's `.and_()`, a `case()` WHEN, a join's ON clause
(`.join(Target, onclause)`, `join(a, b, onclause)`, `onclause=`), or the criteria of
`with_loader_criteria()`. From there the walk descends through what passes a condition on
unchanged (`and`/`or`/`not`, `&`/`|`/`~`, both branches of `x if c else y`) and follows a
local name to the values assigned to it (`cond = ...; .where(cond)`) and, for `*conds`, to
the list literal and the `append()`/`extend()` calls that fill it. A call of a function or
method of this module (`.filter(self._visible())`, `.where(active_clause(User))`) passes on
what that function returns. It does not enter lambdas: `filter(lambda row: row.x is None,
rows)` is Python filtering Python values.

ORM501-ORM503 ask `model.get(FilterConditions).expressions()`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Tuple

import libcst as cst

from .enclosing import local_function
from .mapped import MappedClasses
from .members import MemberSessions
from .tree import SCOPE_BOUNDARY, iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# Files without any of these cannot hold a condition (cheap pre-parse check; `join` and
# `case` are there for ON clauses and CASE WHENs).
FILTER_TOKENS: Tuple[str, ...] = ("where", "filter", "having", "and_", "or_", "not_", "case", "join", "criteria")

_CONDITION_METHODS = frozenset({"where", "filter", "having", "and_"})
# method -> index of its first ON-clause argument
_JOIN_METHODS: Dict[str, int] = {"join": 1, "outerjoin": 1, "join_from": 2, "outerjoin_from": 2}
_JOIN_FUNCTIONS: Dict[str, int] = {"join": 2, "outerjoin": 2}
_CONJUNCTIONS = frozenset({"and_", "or_", "not_"})
_CALLEES = _CONDITION_METHODS | _CONJUNCTIONS | set(_JOIN_METHODS) | {"case", "with_loader_criteria"}


class FilterConditions:
    """Every expression of this module that SQLAlchemy receives as (part of) a condition."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.mapped = model.get(MappedClasses)
        self._expressions: Optional[List[cst.BaseExpression]] = None
        self._filled: Optional[Dict[Tuple[int, str], List[cst.BaseExpression]]] = None
        self._returns: Dict[cst.FunctionDef, List[cst.BaseExpression]] = {}

    def expressions(self) -> List[cst.BaseExpression]:
        """Each node once (a name used in two filters is walked once), outer nodes before the
        nodes inside them. Not sorted by position: positions cost a pass over the whole
        module, which only modules with findings should pay."""
        if self._expressions is None:
            found: Dict[int, cst.BaseExpression] = {}
            for call in self.model.tree.of_type(cst.Call):
                for argument in self._condition_arguments(call):
                    self._descend(argument, found)
            self._expressions = list(found.values())
        return self._expressions

    # -- which arguments are conditions ---------------------------------------------------------
    def _condition_arguments(self, call: cst.Call) -> Iterator[cst.CSTNode]:
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if last not in _CALLEES:
            return  # most calls: decided without resolving any name
        positional = [arg for arg in call.args if arg.keyword is None and arg.star != "**"]
        function = self.mapped.sqlalchemy_function(func)
        if function is not None:
            if function in _CONJUNCTIONS:
                yield from positional
            elif function == "case":
                yield from _case_conditions(call)
            elif function in _JOIN_FUNCTIONS:
                yield from positional[_JOIN_FUNCTIONS[function]:]
                yield from _keyword(call, "onclause")
            elif function == "with_loader_criteria":
                yield from positional[1:]
                yield from _keyword(call, "where_criteria")
            return
        if not isinstance(func, cst.Attribute):
            return  # the builtin `filter(function, iterable)` among others
        method = func.attr.value
        if method in _CONDITION_METHODS:
            yield from positional
        elif method in _JOIN_METHODS:
            yield from positional[_JOIN_METHODS[method]:]
            yield from _keyword(call, "onclause")
            if method in ("join", "outerjoin"):
                # SQLAlchemy < 1.4: `query.join((Target, onclause), ...)`
                for argument in positional:
                    if isinstance(argument.value, cst.Tuple) and len(argument.value.elements) == 2:
                        yield argument.value.elements[1].value

    # -- what passes a condition on ---------------------------------------------------------------
    def _descend(self, start: cst.CSTNode, found: Dict[int, cst.BaseExpression]) -> None:
        stack: List[Tuple[cst.CSTNode, bool]] = [(start, False)]
        while stack:
            node, starred = stack.pop()
            if isinstance(node, cst.Arg):
                stack.append((node.value, node.star == "*"))
                continue
            if not isinstance(node, cst.BaseExpression) or id(node) in found:
                continue
            if starred:
                stack.extend((value, False) for value in self._unpacked(node))
                continue
            found[id(node)] = node
            if isinstance(node, cst.BooleanOperation):
                stack.extend([(node.right, False), (node.left, False)])
            elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Not, cst.BitInvert)):
                stack.append((node.expression, False))
            elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr)):
                stack.extend([(node.right, False), (node.left, False)])
            elif isinstance(node, cst.IfExp):
                stack.extend([(node.orelse, False), (node.body, False)])
            elif isinstance(node, cst.Name):
                stack.extend((value, False) for value in self._assigned(node))
            elif isinstance(node, cst.Call):
                stack.extend((value, False) for value in self._returned(node))

    def _assigned(self, name: cst.Name) -> List[cst.BaseExpression]:
        """`cond = User.x is None` ... `.where(cond)`: the values a local name is given."""
        scope, bindings = self.model.scopes.bindings_of(name)
        if scope is None or scope.kind not in ("function", "module"):
            return []
        return [b.value for b in bindings if b.kind in ("assign", "annassign", "walrus") and b.value is not None
                and not isinstance(b.value, (cst.List, cst.Tuple))]

    def _returned(self, call: cst.Call) -> List[cst.BaseExpression]:
        """`.filter(self._context_filter())`: what a function of this module returns."""
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)) or self.mapped.sqlalchemy_function(func) is not None:
            return []
        function = local_function(self.model, func, self.model.get(MemberSessions).class_of_self)
        if function is None:
            return []
        if function not in self._returns:
            self._returns[function] = _return_values(function)
        return self._returns[function]

    def _unpacked(self, node: cst.BaseExpression) -> List[cst.BaseExpression]:
        """The elements of `*[a, b]`, or of `*conds` built from literals and `conds.append(x)`."""
        if isinstance(node, (cst.List, cst.Tuple)):
            return _elements(node)
        if not isinstance(node, cst.Name):
            return []
        scope, bindings = self.model.scopes.bindings_of(node)
        if scope is None or scope.kind not in ("function", "module"):
            return []
        values: List[cst.BaseExpression] = []
        for binding in bindings:
            if binding.kind in ("assign", "annassign") and isinstance(binding.value, (cst.List, cst.Tuple)):
                values.extend(_elements(binding.value))
            elif binding.kind == "augassign" and isinstance(binding.node, cst.AugAssign) \
                    and isinstance(binding.node.value, (cst.List, cst.Tuple)):
                values.extend(_elements(binding.node.value))
        values.extend(self._filled_by_calls().get((id(scope.node), node.value), []))
        return values

    def _filled_by_calls(self) -> Dict[Tuple[int, str], List[cst.BaseExpression]]:
        """`conds.append(x)`, `conds.extend([x, y])`, `conds.insert(0, x)`, by the list's scope."""
        if self._filled is None:
            filled: Dict[Tuple[int, str], List[cst.BaseExpression]] = {}
            for call in self.model.tree.of_type(cst.Call):
                func = call.func
                if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
                    continue
                values = _list_additions(func.attr.value, call)
                if not values:
                    continue
                scope, _ = self.model.scopes.bindings_of(func.value)
                if scope is not None:
                    filled.setdefault((id(scope.node), func.value.value), []).extend(values)
            self._filled = filled
        return self._filled


def _return_values(function: cst.FunctionDef) -> List[cst.BaseExpression]:
    """The values `function` returns (not those of functions nested in it); none for a
    generator, whose call returns a generator object."""
    if function.asynchronous is not None:
        return []  # its call is a coroutine, not a condition
    values: List[cst.BaseExpression] = []
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Yield):
            return []
        if isinstance(current, cst.Return) and current.value is not None:
            values.append(current.value)
        stack.extend(child for child in iter_children(current) if not isinstance(child, SCOPE_BOUNDARY))
    return values


def _list_additions(method: str, call: cst.Call) -> List[cst.BaseExpression]:
    args = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    if method == "append" and len(args) == 1:
        return args
    if method == "insert" and len(args) == 2:
        return args[1:]
    if method == "extend" and len(args) == 1 and isinstance(args[0], (cst.List, cst.Tuple)):
        return _elements(args[0])
    return []


def _elements(node: cst.BaseExpression) -> List[cst.BaseExpression]:
    elements = getattr(node, "elements", ())
    return [e.value for e in elements if isinstance(e, cst.Element)]


def _keyword(call: cst.Call, name: str) -> Iterator[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            yield arg.value


def _case_conditions(call: cst.Call) -> Iterator[cst.BaseExpression]:
    """The WHEN conditions of `case((cond, value), ...)` and of 1.x `case([(cond, value)])`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value != "whens":
            continue
        whens = _elements(arg.value) if isinstance(arg.value, cst.List) else [arg.value]
        for when in whens:
            if isinstance(when, cst.Tuple) and when.elements:
                yield when.elements[0].value
