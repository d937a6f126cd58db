"""A forward analysis that knows how a path leaves a function.

`flow.ForwardAnalysis` reports `return` at the statement, before the `finally:` blocks and
`with` exits it passes through, and lets `break`/`continue` skip `finally:`. Questions
about a session's end ("is it closed on every path out?", "is it rolled back before the
caller gets it back?") need those blocks: here every way out runs them first and then
calls `on_exit`.

Facts are tuples whose first item is a session key. A test that a session exists
(`if session:`, `if session is not None:`) drops the session's facts on the branch where
it does not, so `finally: if session: session.close()` closes on every path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set, Tuple

import libcst as cst

from .enclosing import SCOPE_BOUNDARY, local_function
from .flow import ForwardAnalysis, Outcome, State, join
from .members import MemberSessions
from .sessions import SessionRef
from .tree import iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# how a path leaves: "return", "raise" (an explicit `raise` no local handler catches) or
# "end" (falling off the end of the body)
RETURN, RAISE, END = "return", "raise", "end"
# Return annotations that say a function never returns.
_NORETURN_TYPES = frozenset({
    "typing.NoReturn", "typing_extensions.NoReturn", "typing.Never", "typing_extensions.Never",
})


class NeverReturns:
    """Calls that never return: `model.get(NeverReturns).call(node)`.

    The configured `noreturn-functions` (`abort()`, `sys.exit()`, resolved through imports),
    and functions or methods (`self._raise_not_found(...)`) defined in this module that
    cannot return: annotated `-> NoReturn` / `-> Never`, or whose body ends in a `raise`
    statement and holds no `return` or `yield`. What the helper is called does not matter.
    """

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._class_of_self = model.get(MemberSessions).class_of_self
        self._local: Dict[cst.FunctionDef, bool] = {}

    def call(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call):
            return False
        if self.model.is_noreturn_call(node):
            return True
        function = local_function(self.model, node.func, self._class_of_self)
        if function is None:
            return False
        if function not in self._local:
            self._local[function] = self._annotated(function) or _always_raises(function)
        return self._local[function]

    def _annotated(self, function: cst.FunctionDef) -> bool:
        returns = function.returns
        if returns is None:
            return False
        return self.model.scopes.qualified_name(returns.annotation) in _NORETURN_TYPES


def _always_raises(function: cst.FunctionDef) -> bool:
    """The body ends in `raise` and nothing in it returns or yields (nested functions aside)."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    last = body.body[-1]
    if not (isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Raise)):
        return False
    stack: List[cst.CSTNode] = [statement for statement in body.body if not isinstance(statement, SCOPE_BOUNDARY)]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Return, cst.Yield)):
            return False
        stack.extend(child for child in iter_children(current) if not isinstance(child, SCOPE_BOUNDARY))
    return True


class ExitAwareFlow(ForwardAnalysis):
    """Subclass, implement `apply` and `on_exit`, then call `run_function(owner.body)`."""

    def __init__(self, model: "SemanticModel", owner: cst.CSTNode,
                 resolve: Optional[Callable[[cst.BaseExpression], Optional[SessionRef]]] = None) -> None:
        self.model = model
        self.owner = owner
        self.resolve = resolve if resolve is not None else model.sessions.session_of

    # -- hooks ------------------------------------------------------------------------------
    def apply(self, node: cst.CSTNode, state: State) -> State:
        """What evaluating `node` (a simple statement or a header expression) does to the state."""
        return state

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        """A path leaves the function, after the `finally:` and `with` exits on its way out."""

    def raising(self, state: State) -> State:
        """The state an uncaught `raise` carries through the `finally:` blocks on its way out."""
        return state

    # -- ForwardAnalysis hooks ---------------------------------------------------------------
    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> Optional[State]:
        state = self.apply(statement, state)
        if isinstance(statement, cst.Raise):
            self._leave(statement, state, RAISE)
            return None
        if isinstance(statement, cst.Expr) and self.ends_path(statement.value):
            return None
        return state

    def ends_path(self, expression: cst.BaseExpression) -> bool:
        """An expression statement after which the path does not go on (`abort(404)`)."""
        return self.model.is_noreturn_call(expression)

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        return state if expression is None else self.apply(expression, state)

    def on_return(self, statement: cst.Return, state: State) -> None:
        self._leave(statement, state, RETURN)

    def on_function_end(self, state: State) -> None:
        self.on_exit(state, END, None)

    def run_statement(self, statement: cst.BaseStatement, state: State) -> Outcome:
        if isinstance(statement, cst.If):
            return self._run_narrowing_if(statement, state)
        outcome = super().run_statement(statement, state)
        if isinstance(statement, (cst.Try, cst.TryStar)) and statement.finalbody is not None:
            outcome = Outcome(
                outcome.normal,
                self._through_finally(statement.finalbody, outcome.breaks),
                self._through_finally(statement.finalbody, outcome.continues),
            )
        return outcome

    # -- leaving ----------------------------------------------------------------------------
    def _leave(self, node: cst.CSTNode, state: State, how: str) -> None:
        if how == RAISE:
            state = self.raising(state)
        child: cst.CSTNode = node
        for ancestor in self.model.tree.ancestors(node):
            if ancestor is self.owner:
                break
            if isinstance(ancestor, (cst.Try, cst.TryStar)):
                if how == RAISE and child is ancestor.body and ancestor.handlers:
                    return  # a handler of this function may catch it: that path goes on there
                if ancestor.finalbody is not None and child is not ancestor.finalbody:
                    after = self.run_suite(ancestor.finalbody.body, state)
                    if after.normal is None:
                        return  # the finally block raises or returns itself
                    state = after.normal
            elif isinstance(ancestor, cst.With) and child is ancestor.body:
                state = self.exit_with(ancestor, state, how)
            child = ancestor
        self.on_exit(state, how, node)

    def _through_finally(self, finalbody: cst.Finally, states: List[State]) -> List[State]:
        passed = [self.run_suite(finalbody.body, state).normal for state in states]
        return [state for state in passed if state is not None]

    # -- narrowing --------------------------------------------------------------------------
    def _run_narrowing_if(self, statement: cst.If, state: State) -> Outcome:
        state = self.on_expression(statement.test, state)
        absent_then, absent_else = self._absent_sessions(statement.test)
        then = self.run_suite(statement.body, _without(state, absent_then))
        other_state = _without(state, absent_else)
        if isinstance(statement.orelse, cst.If):
            other = self._run_narrowing_if(statement.orelse, other_state)
        elif isinstance(statement.orelse, cst.Else):
            other = self.run_suite(statement.orelse.body, other_state)
        else:
            other = Outcome(other_state)
        return Outcome(join([then.normal, other.normal]), then.breaks + other.breaks,
                       then.continues + other.continues)

    def _absent_sessions(self, test: cst.BaseExpression) -> Tuple[Set[str], Set[str]]:
        """Keys of the sessions that are None in the `if` branch and in the `else` branch."""
        negated = False
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            negated = not negated
            test = test.expression
        key: Optional[str] = None
        present_when_true = True
        if isinstance(test, (cst.Name, cst.Attribute)):
            key = self._key(test)
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
                key = self._key(test.left)
                if isinstance(target.operator, (cst.Is, cst.Equal)):
                    present_when_true = False
                elif not isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                    key = None
        if key is None:
            return set(), set()
        if negated:
            present_when_true = not present_when_true
        return (set(), {key}) if present_when_true else ({key}, set())

    def _key(self, node: cst.BaseExpression) -> Optional[str]:
        ref = self.resolve(node)
        return ref.key if ref is not None else None


def _without(state: State, keys: Set[str]) -> State:
    if not keys:
        return state
    return frozenset(fact for fact in state if fact[0] not in keys)  # type: ignore[index]
