"""Where a value that may be None has been checked, and where it is used before any check.

The question is asked about local names of one scope (a function, a class body or the
module): from each place a name is bound to a possibly-None value, which *dereferences*
of the name (`x.attr`, `x[0]`, `x()`, `for _ in x`, `a, b = x`, `x + 1`, `x.attr = ...`)
can be reached on some path before a check that rules None out? One walk of the scope
answers for all its names. Rules ask `Narrowing.unchecked_uses(scope, names, source_of)`
(which bindings may be None is theirs to say) or `Narrowing.is_guarded(load)`; the
helpers `dereference_of`, `enclosing_conditions` and `implies_truthy` answer the same
questions for an expression that is not kept in a name.

The walk is flow-sensitive: it follows statements with `flow.ForwardAnalysis` and the
expressions inside them in evaluation order, so a check only counts on the paths it
dominates. What counts as a check:

- a condition that is true only when the name is not None: `x`, `x is not None`,
  `x != None`, `isinstance(x, T)`, `hasattr(x, "a")`, `bool(x)`, a walrus `(x := ...)`,
  combined with `not`, `and`, `or`; it narrows the branch it guards (`if`, `while`, `assert`,
  `x and x.attr`, `x.attr if x else d`) and, when the other branch cannot fall through
  (`return`, `raise`, `continue`, `break`, a call that never returns such as `abort(404)`
  or a helper of the module annotated `-> NoReturn`, see `SemanticModel.ends_path`),
  everything after it;
- a new value: `x = x or default`, `if x is None: x = ...`, or any other assignment;
- a dereference itself: past `x.attr` the path only continues if `x` was not None, so
  each possibly-None value is reported at its first dereference only;
- a `try` whose handler catches AttributeError or TypeError around the use.

Not followed: aliases (`y = x`), attributes (`self.x`), uses inside nested functions and
lambdas (they run later, or never), and narrowing in `match` statements.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import (
    TYPE_CHECKING, Callable, Collection, Dict, FrozenSet, Hashable, Iterable, Iterator, List, Optional,
    Sequence, Tuple,
)

import libcst as cst

from .flow import EMPTY, ForwardAnalysis, MaybeState, State, join
from .tree import SCOPE_BOUNDARY, iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# Given a tracked name and the value a statement assigns to it, the fact to record when that
# value may be None (anything hashable, usually the expression itself), or None.
SourceOf = Callable[[str, cst.BaseExpression], Optional[Hashable]]

ATTRIBUTE, SUBSCRIPT, CALL, ITERATION, UNPACKING, ARITHMETIC = (
    "attribute", "subscript", "call", "iteration", "unpacking", "arithmetic",
)
# Builtins that raise TypeError when their first argument is None.
_CONSUMING_BUILTINS = frozenset(
    f"builtins.{name}" for name in
    ("dict", "list", "tuple", "set", "frozenset", "sorted", "len", "sum", "max", "min", "iter",
     "enumerate", "zip", "reversed", "any", "all", "vars"))
# Errors a `try` can catch to handle a None dereference on purpose.
_NONE_ERRORS = frozenset({"AttributeError", "TypeError"})
# Builtins that are false for None: `isinstance(None, User)`, `hasattr(None, "a")`, `bool(None)`,
# `callable(None)`; with the number of arguments each takes.
_TRUE_ONLY_FOR_OBJECTS = {"isinstance": 2, "hasattr": 2, "bool": 1, "callable": 1}
_MAX_CONDITION_DEPTH = 20
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_UNKNOWN = "unknown"  # the value a name has on entry to its scope (a parameter, a global)
# A state is a frozenset of (name, fact) pairs that may still be unchecked. Every state a
# path can be in also holds this marker, so no live state is an empty (falsy) frozenset:
# `flow.ForwardAnalysis` reads a falsy state as "no path" in places.
_LIVE = "live"
CHECKED: State = frozenset({_LIVE})


@dataclass(frozen=True)
class Use:
    """A place where the tracked value is dereferenced and would raise if it were None."""

    name: cst.Name  # the tracked name at the use
    node: cst.CSTNode  # the dereferencing expression or statement (`user.email`, `for r in rows:`)
    kind: str  # attribute | subscript | call | iteration | unpacking | arithmetic


def dereference_of(model: "SemanticModel", value: cst.CSTNode) -> Optional[Tuple[cst.CSTNode, str]]:
    """The expression that dereferences `value` right where it is evaluated, and how.

    `value.attr`, `value[0]`, `value()`, `for _ in value`, `a, b = value`, `value + 1`,
    `f(*value)`; None when `value` is only compared, returned, passed on or stored.
    """
    parent = model.tree.parent_of(value)
    if isinstance(parent, cst.Attribute) and parent.value is value:
        return parent, ATTRIBUTE
    if isinstance(parent, cst.Subscript) and parent.value is value:
        return parent, SUBSCRIPT
    if isinstance(parent, cst.Call) and parent.func is value:
        return parent, CALL
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is value:
        return parent, ITERATION
    if isinstance(parent, cst.Arg) and parent.value is value and parent.star in ("*", "**"):
        return parent, ITERATION
    if isinstance(parent, cst.Arg) and parent.value is value:
        call = model.tree.parent_of(parent)
        if isinstance(call, cst.Call) and consumed_argument(model, call) is parent:
            return call, ITERATION
    if isinstance(parent, cst.Assign) and parent.value is value:
        if any(isinstance(t.target, (cst.Tuple, cst.List)) for t in parent.targets):
            return parent, UNPACKING
    if isinstance(parent, cst.BinaryOperation) and _is_arithmetic_operand(parent, value):
        return parent, ARITHMETIC
    if isinstance(parent, cst.AugAssign) and parent.value is value:
        return parent, ARITHMETIC
    return None


def consumed_argument(model: "SemanticModel", call: cst.Call) -> Optional[cst.Arg]:
    """The argument a builtin iterates or measures, which raises TypeError for None:
    `dict(row)`, `list(rows)`, `len(rows)`, `sorted(rows)`..."""
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    if model.scopes.qualified_name(call.func) in _CONSUMING_BUILTINS:
        return call.args[0]
    return None


def _is_arithmetic_operand(operation: cst.BinaryOperation, value: cst.CSTNode) -> bool:
    # `"%s" % None` formats the value instead of failing.
    return not (isinstance(operation.operator, cst.Modulo) and operation.right is value)


class Narrowing:
    """The shared narrowing analysis: `model.get(Narrowing)`."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._guards: Dict[Tuple[cst.CSTNode, FrozenSet[str]], "_NoneFlow"] = {}

    def unchecked_uses(self, scope: cst.CSTNode, names: Iterable[str], source_of: SourceOf) -> Dict[Hashable, Use]:
        """For each fact `source_of(name, value)` reports when one of `names` is bound in
        `scope`, the first dereference (in source order) reached while it may be unchecked.
        One walk of the scope answers for every name."""
        flow = self._run(scope, frozenset(names), source_of, CHECKED)
        first: Dict[Hashable, Use] = {}
        for use, facts in sorted(flow.uses.items(), key=lambda item: self._position(item[0].node)):
            for _, fact in facts:
                first.setdefault(fact, use)
        return first

    def is_guarded(self, use: cst.Name) -> bool:
        """Whether every path to `use` (a load of a local name) checks the name for None,
        or dereferences it, after its latest binding. Parameters and globals count as
        unchecked on entry; any assignment starts over, except `x = x or default`."""
        scope = self.model.scopes.scope_of(use)
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        names = frozenset(scope.bindings)
        if use.value not in names:
            names = frozenset({use.value})  # a free variable: walk for it alone
        key = (scope.node, names)
        flow = self._guards.get(key)
        if flow is None:
            entry = CHECKED | {(name, _UNKNOWN) for name in names}
            flow = self._run(scope.node, names, _every_value, entry)
            self._guards[key] = flow
        facts = flow.loads.get(use)
        # A load the walk never reaches (dead code, a nested function) is not checked here.
        return facts is not None and not facts

    def _run(self, scope: cst.CSTNode, names: FrozenSet[str], source_of: SourceOf, entry: State) -> "_NoneFlow":
        flow = _NoneFlow(self.model, names, source_of)
        body = getattr(scope, "body", None)
        if isinstance(scope, cst.Module):
            flow.run_function(scope.body, entry)
        elif isinstance(body, cst.BaseSuite):
            flow.run_function(body, entry)
        return flow

    def _position(self, node: cst.CSTNode) -> Tuple[int, int]:
        start = self.model.positions.start(node)
        return start.line, start.column


def enclosing_conditions(model: "SemanticModel", node: cst.CSTNode) -> Iterator[Tuple[cst.BaseExpression, bool]]:
    """The `if` tests around `node` in its scope, each with the value it has where `node` runs
    (True in the body, False in the `else`/`elif` part)."""
    child: cst.CSTNode = node
    for ancestor in model.tree.ancestors(node):
        if isinstance(ancestor, SCOPE_BOUNDARY):
            return
        if isinstance(ancestor, cst.If) and child in (ancestor.body, ancestor.orelse):
            yield ancestor.test, child is ancestor.body
        child = ancestor


def implies_truthy(model: "SemanticModel", test: cst.BaseExpression, outcome: bool,
                   matches: Callable[[cst.BaseExpression], bool], depth: int = 0) -> bool:
    """Whether `test` evaluating to `outcome` means that an expression `matches` accepts was
    truthy (not None, not 0): `e`, `e is not None`, `e > 0`, `not e` being false, `a and e`
    being true, `a or e` being false, or a name assigned once from such a test."""
    if depth > _MAX_CONDITION_DEPTH:
        return False
    deeper = depth + 1
    if _is_negation(test):
        assert isinstance(test, cst.UnaryOperation)
        return implies_truthy(model, test.expression, not outcome, matches, deeper)
    if isinstance(test, cst.BooleanOperation):
        # `a and b` true: both are; `a or b` false: neither is.
        if isinstance(test.operator, cst.And) != outcome:
            return False
        return any(implies_truthy(model, side, outcome, matches, deeper) for side in (test.left, test.right))
    if isinstance(test, cst.Comparison):
        if len(test.comparisons) != 1 or not _is_empty_value(test.comparisons[0].comparator):
            return False
        operator = test.comparisons[0].operator
        if isinstance(operator, (cst.Is, cst.Equal)):
            return implies_truthy(model, test.left, not outcome, matches, deeper)
        if isinstance(operator, (cst.IsNot, cst.NotEqual, cst.GreaterThan)):
            return implies_truthy(model, test.left, outcome, matches, deeper)
        return False
    if isinstance(test, cst.Name) and not matches(test):
        value = model.scopes.single_value(test)
        return value is not None and implies_truthy(model, value, outcome, matches, deeper)
    if isinstance(test, cst.Await):
        test = test.expression
    return outcome and matches(test)


def _every_value(name: str, value: cst.BaseExpression) -> Optional[Hashable]:
    return value


class _NoneFlow(ForwardAnalysis):
    """Which possibly-None facts about the tracked names of one scope survive to each load."""

    def __init__(self, model: "SemanticModel", names: FrozenSet[str], source_of: SourceOf) -> None:
        self.model = model
        self.names = names
        self.source_of = source_of
        # Names a comprehension rebinds for its own body.
        self._shadowed: FrozenSet[str] = frozenset()
        # Joined over every pass a loop makes: the facts that may hold at each load and use.
        self.loads: Dict[cst.Name, State] = {}
        self.uses: Dict[Use, State] = {}
        # The state before each simple statement: an exception raised there enters a handler.
        self._before: Dict[cst.CSTNode, State] = {}

    # -- statements ---------------------------------------------------------------------------
    def iterate(self, loop: cst.For, state: State) -> MaybeState:
        return self._iterate(loop.iter, loop, state)

    def bind_target(self, loop: cst.For, state: State) -> State:
        return _forget(state, self._bound_names(loop.target))

    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> MaybeState:
        self._before[statement] = self._before.get(statement, EMPTY) | state
        if isinstance(statement, cst.Assign):
            return self._assign(statement, state)
        if isinstance(statement, cst.AnnAssign):
            if statement.value is None:
                return state
            after = self.evaluate(statement.value, state)
            return self._bind(statement.target, statement.value, after)
        if isinstance(statement, cst.AugAssign):
            return self._augmented(statement, state)
        if isinstance(statement, cst.Assert):
            passed, failed = self.condition(statement.test, state)
            if failed is not None and statement.msg is not None:
                self.evaluate(statement.msg, failed)
            return passed
        if isinstance(statement, cst.Del):
            return self._delete(statement.target, state)
        if isinstance(statement, (cst.Import, cst.ImportFrom)):
            return _forget(state, self._imported_names(statement))
        return self.evaluate_children(statement, state)

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        if expression is None:
            return state
        after = self.evaluate(expression, state)
        return after if after is not None else state

    def enter_handler(self, statement: cst.Try, at_try_start: State, body: Sequence[cst.BaseStatement],
                      handler: cst.ExceptHandler) -> State:
        """Any statement of the body may raise: `try: x = q.first(); if x is None: raise E`
        enters `except E:` with `x` still None."""
        states = [at_try_start]
        pending: List[cst.CSTNode] = [statement.body]
        while pending:
            node = pending.pop()
            if isinstance(node, cst.BaseSmallStatement):
                if node in self._before:
                    states.append(self._before[node])
            elif not isinstance(node, (cst.BaseExpression, *SCOPE_BOUNDARY)):
                pending.extend(iter_children(node))
        joined = join(states)
        return joined if joined is not None else at_try_start

    def enter_with(self, statement: cst.With, state: State) -> State:
        for item in statement.items:
            if item.asname is not None:
                state = _forget(state, self._bound_names(item.asname.name))
        return state

    def _assign(self, statement: cst.Assign, state: State) -> MaybeState:
        after = self.evaluate(statement.value, state)
        for target in statement.targets:
            after = self._bind(target.target, statement.value, after)
        return after

    def _bind(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression], state: MaybeState) -> MaybeState:
        """`target = value` where `value` was already evaluated."""
        if state is None:
            return None
        if isinstance(target, cst.Name):
            if target.value not in self.names:
                return state
            return self._new_value(target.value, value, state)
        if isinstance(target, (cst.Tuple, cst.List)):
            if self._is_tracked(value):
                state = self._use(value, target, UNPACKING, state)  # type: ignore[arg-type]
            return _forget(state, self._bound_names(target)) if state is not None else None
        if isinstance(target, cst.Attribute):
            return self._dereference(target.value, target, ATTRIBUTE, state)
        if isinstance(target, cst.Subscript):
            state = self._dereference(target.value, target, SUBSCRIPT, state)
            return self._evaluate_all([s.slice for s in target.slice], state)
        if isinstance(target, cst.StarredElement):
            return self._bind(target.value, None, state)
        return state

    def _new_value(self, name: str, value: Optional[cst.BaseExpression], state: State) -> State:
        if isinstance(value, cst.Name) and value.value == name:
            return state  # `x = x`: the same value
        rest = _forget(state, (name,))
        if value is None or _never_none(value):
            return rest
        fact = self.source_of(name, value)
        return rest | {(name, fact)} if fact is not None else rest

    def _augmented(self, statement: cst.AugAssign, state: State) -> MaybeState:
        target = statement.target
        if self._is_tracked(target):
            assert isinstance(target, cst.Name)
            after = self._use(target, statement, ARITHMETIC, state)
            after = self.evaluate(statement.value, after)
            return _forget(after, (target.value,)) if after is not None else None
        if isinstance(target, cst.Attribute):
            state_or_none = self._dereference(target.value, target, ATTRIBUTE, state)
            return self.evaluate(statement.value, state_or_none)
        if isinstance(target, cst.Subscript):
            state_or_none = self._dereference(target.value, target, SUBSCRIPT, state)
            return self.evaluate(statement.value, state_or_none)
        return self.evaluate(statement.value, state)

    def _delete(self, target: cst.BaseExpression, state: State) -> MaybeState:
        if self._is_tracked(target):
            assert isinstance(target, cst.Name)
            return _forget(state, (target.value,))
        if isinstance(target, cst.Attribute):
            return self._dereference(target.value, target, ATTRIBUTE, state)
        if isinstance(target, cst.Subscript):
            return self._dereference(target.value, target, SUBSCRIPT, state)
        if isinstance(target, (cst.Tuple, cst.List)):
            current: MaybeState = state
            for element in target.elements:
                if current is None:
                    return None
                current = self._delete(element.value, current)
            return current
        return state

    # -- expressions --------------------------------------------------------------------------
    def evaluate(self, node: Optional[cst.CSTNode], state: MaybeState) -> MaybeState:
        """The state after evaluating `node`; None when no path gets past it."""
        if node is None or state is None:
            return state
        if isinstance(node, cst.Name):
            if self._is_tracked(node):
                self._record_load(node, state)
            return state
        if isinstance(node, (cst.BooleanOperation, cst.Comparison)) or _is_negation(node) or _is_check_call(node):
            when_true, when_false = self.condition(node, state)  # type: ignore[arg-type]
            return join([when_true, when_false])
        if isinstance(node, cst.IfExp):
            when_true, when_false = self.condition(node.test, state)
            return join([self.evaluate(node.body, when_true), self.evaluate(node.orelse, when_false)])
        if isinstance(node, cst.NamedExpr):
            after = self.evaluate(node.value, state)
            return self._bind(node.target, node.value, after)
        if isinstance(node, cst.Attribute):
            return self._dereference(node.value, node, ATTRIBUTE, state)
        if isinstance(node, cst.Subscript):
            after = self._dereference(node.value, node, SUBSCRIPT, state)
            return self._evaluate_all([element.slice for element in node.slice], after)
        if isinstance(node, cst.Call):
            return self._call(node, state)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, state)
        if isinstance(node, cst.Arg):
            if node.star in ("*", "**") and self._is_tracked(node.value):
                return self._use(node.value, node, ITERATION, state)  # type: ignore[arg-type]
            return self.evaluate(node.value, state)
        if isinstance(node, _COMPREHENSIONS):
            return self._comprehension(node, state)
        if isinstance(node, SCOPE_BOUNDARY):
            return state  # runs later, or never
        return self.evaluate_children(node, state)

    def evaluate_children(self, node: cst.CSTNode, state: MaybeState) -> MaybeState:
        return self._evaluate_all(list(iter_children(node)), state)

    def _evaluate_all(self, nodes: Sequence[Optional[cst.CSTNode]], state: MaybeState) -> MaybeState:
        for child in nodes:
            state = self.evaluate(child, state)
        return state

    def _call(self, call: cst.Call, state: State) -> MaybeState:
        after = self._dereference(call.func, call, CALL, state)
        consumed = consumed_argument(self.model, call)
        for arg in call.args:
            if arg is consumed and self._is_tracked(arg.value):
                after = self._use(arg.value, call, ITERATION, after)  # type: ignore[arg-type]
            else:
                after = self.evaluate(arg, after)
        if after is not None and self.ends_path(call):
            return None
        return after

    def _binary(self, operation: cst.BinaryOperation, state: State) -> MaybeState:
        after: MaybeState = state
        for operand in (operation.left, operation.right):
            if self._is_tracked(operand) and _is_arithmetic_operand(operation, operand):
                after = self._use(operand, operation, ARITHMETIC, after)  # type: ignore[arg-type]
            else:
                after = self.evaluate(operand, after)
        return after

    def _comprehension(self, node: cst.CSTNode, state: State) -> MaybeState:
        """Comprehensions run now, any number of times: what holds after one is what held
        before it or at any point an iteration can stop (a walrus in it binds outside)."""
        clauses: List[cst.CompFor] = []
        clause: Optional[cst.CompFor] = getattr(node, "for_in", None)
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in
        if not clauses:
            return state
        # The first iterable is evaluated in the enclosing scope, before anything else.
        after = self._iterate(clauses[0].iter, clauses[0], state)
        outer = self._shadowed
        self._shadowed = outer.union(*(self._bound_names(c.target) for c in clauses))
        try:
            stops: List[MaybeState] = [after]
            inside: MaybeState = after
            for index, current in enumerate(clauses):
                if index:
                    inside = self._iterate(current.iter, current, inside)
                for condition in current.ifs:
                    inside, skipped = self.condition(condition.test, inside)
                    stops.append(skipped)
            if isinstance(node, cst.DictComp):
                stops.append(self._evaluate_all([node.key, node.value], inside))
            else:
                stops.append(self.evaluate(getattr(node, "elt", None), inside))
        finally:
            self._shadowed = outer
        return join(stops)

    def _iterate(self, iterable: cst.BaseExpression, site: cst.CSTNode, state: MaybeState) -> MaybeState:
        if self._is_tracked(iterable):
            return self._use(iterable, site, ITERATION, state)  # type: ignore[arg-type]
        return self.evaluate(iterable, state)

    def _dereference(self, value: cst.BaseExpression, site: cst.CSTNode, kind: str, state: MaybeState) -> MaybeState:
        if self._is_tracked(value):
            return self._use(value, site, kind, state)  # type: ignore[arg-type]
        return self.evaluate(value, state)

    def _use(self, name: cst.Name, site: cst.CSTNode, kind: str, state: MaybeState) -> MaybeState:
        """A dereference of the tracked name: report what may still be None, then go on knowing
        it was not (if it had been, this path would have ended here)."""
        if state is None:
            return None
        facts = self._record_load(name, state)
        if facts and not self._caught_around(site):
            use = Use(name, site, kind)
            self.uses[use] = self.uses.get(use, EMPTY) | facts
        return state - facts

    def _record_load(self, name: cst.Name, state: State) -> State:
        facts = _facts_about(state, name.value)
        self.loads[name] = self.loads.get(name, EMPTY) | facts
        return facts

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, test: cst.BaseExpression, state: MaybeState) -> Tuple[MaybeState, MaybeState]:
        """The states in which `test` is true, and false."""
        if state is None:
            return None, None
        subject = self._subject(test)
        if subject is not None:
            after = self.evaluate(test, state)
            return (_forget(after, (subject,)) if after is not None else None), after
        if _is_negation(test):
            assert isinstance(test, cst.UnaryOperation)
            when_true, when_false = self.condition(test.expression, state)
            return when_false, when_true
        if isinstance(test, cst.BooleanOperation):
            left_true, left_false = self.condition(test.left, state)
            if isinstance(test.operator, cst.And):
                right_true, right_false = self.condition(test.right, left_true)
                return right_true, join([left_false, right_false])
            right_true, right_false = self.condition(test.right, left_false)
            return join([left_true, right_true]), right_false
        if isinstance(test, cst.Comparison):
            return self._comparison(test, state)
        if _is_check_call(test):
            assert isinstance(test, cst.Call)
            checked = self._subject(test.args[0].value)
            after = self._evaluate_all(list(test.args), state)
            if after is None or checked is None:
                return after, after
            return _forget(after, (checked,)), after
        after = self.evaluate(test, state)
        return after, after

    def _comparison(self, test: cst.Comparison, state: State) -> Tuple[MaybeState, MaybeState]:
        if len(test.comparisons) == 1:
            target = test.comparisons[0]
            left, right = test.left, target.comparator
            checked = left if _is_none(right) else right if _is_none(left) else None
            name = self._subject(checked) if checked is not None else None
            if checked is not None and name is not None:
                after = self.evaluate(checked, state)
                if after is None:
                    return None, None
                if isinstance(target.operator, (cst.Is, cst.Equal)):
                    return after, _forget(after, (name,))
                if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                    return _forget(after, (name,)), after
        after = self.evaluate_children(test, state)
        return after, after

    def _subject(self, node: cst.BaseExpression) -> Optional[str]:
        """The tracked name a check is about: the name itself, or a walrus binding it."""
        if isinstance(node, cst.NamedExpr):
            node = node.target
        return node.value if self._is_tracked(node) else None  # type: ignore[union-attr]

    # -- helpers --------------------------------------------------------------------------------
    def _is_tracked(self, node: Optional[cst.CSTNode]) -> bool:
        return isinstance(node, cst.Name) and node.value in self.names and node.value not in self._shadowed

    def _bound_names(self, target: cst.CSTNode) -> FrozenSet[str]:
        """The tracked names an assignment target binds (`a, (b, *c) = ...`)."""
        if isinstance(target, cst.Name):
            return frozenset({target.value}) & self.names
        if isinstance(target, (cst.Tuple, cst.List)):
            return frozenset().union(*(self._bound_names(element.value) for element in target.elements))
        if isinstance(target, cst.StarredElement):
            return self._bound_names(target.value)
        return frozenset()

    def _imported_names(self, statement: cst.CSTNode) -> FrozenSet[str]:
        names = getattr(statement, "names", ())
        if isinstance(names, cst.ImportStar):
            return frozenset()
        found = set()
        for alias in names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            while isinstance(bound, cst.Attribute):
                bound = bound.value
            if isinstance(bound, cst.Name):
                found.add(bound.value)
        return frozenset(found) & self.names

    def _caught_around(self, site: cst.CSTNode) -> bool:
        """The use sits in a `try` body whose handler catches AttributeError or TypeError."""
        tree = self.model.tree
        child: cst.CSTNode = site
        for ancestor in tree.ancestors(site):
            if isinstance(ancestor, SCOPE_BOUNDARY):
                return False
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and child is ancestor.body:
                if any(_catches_none_errors(handler) for handler in ancestor.handlers):
                    return True
            child = ancestor
        return False


def _forget(state: State, names: Collection[str]) -> State:
    """`state` without the facts about `names`: they were checked, or bound anew."""
    if not names:
        return state
    return frozenset(fact for fact in state if not (isinstance(fact, tuple) and fact[0] in names))


def _facts_about(state: State, name: str) -> State:
    return frozenset(fact for fact in state if isinstance(fact, tuple) and fact[0] == name)


def _catches_none_errors(handler: cst.CSTNode) -> bool:
    caught = getattr(handler, "type", None)
    names: Iterator[cst.BaseExpression]
    if isinstance(caught, cst.Tuple):
        names = (element.value for element in caught.elements)
    else:
        names = iter([caught] if caught is not None else [])
    for name in names:
        last = name.attr.value if isinstance(name, cst.Attribute) else getattr(name, "value", None)
        if last in _NONE_ERRORS:
            return True
    return False


def _is_check_call(node: cst.CSTNode) -> bool:
    """`isinstance(x, T)`, `hasattr(x, "a")`, `bool(x)`: true only when `x` is an object."""
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and _TRUE_ONLY_FOR_OBJECTS.get(node.func.value) == len(node.args)
            and not any(arg.star or arg.keyword for arg in node.args))


def _is_negation(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_empty_value(node: cst.BaseExpression) -> bool:
    return _is_none(node) or (isinstance(node, cst.Integer) and node.value == "0")


def _never_none(value: cst.BaseExpression) -> bool:
    """`x or default` (with a default that is not None itself) is never None."""
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        return not _is_none(value.right)
    return False
