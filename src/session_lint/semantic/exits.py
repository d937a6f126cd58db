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

from typing import TYPE_CHECKING, Callable, List, Optional, Set, Tuple

import libcst as cst

from .flow import ForwardAnalysis, Outcome, State, join
from .sessions import SessionRef

if TYPE_CHECKING:
    from . import SemanticModel

# how a path leaves: "return", "raise" (an explicit `raise` no local handler catches) or
# "end" (falling off the end of the body)
RETURN, RAISE, END = "return", "raise", "end"


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

    # -- ForwardAnalysis hooks ---------------------------------------------------------------
    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> Optional[State]:
        state = self.apply(statement, state)
        if isinstance(statement, cst.Raise):
            self._leave(statement, state, RAISE)
            return None
        if isinstance(statement, cst.Expr) and self.model.is_noreturn_call(statement.value):
            return None
        return state

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
