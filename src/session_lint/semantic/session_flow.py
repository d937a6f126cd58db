"""A forward analysis whose facts are about sessions: tuples whose first item is a session key.

What it adds to `flow.ForwardAnalysis`: one `apply` hook for every simple statement and
header expression, and the narrowing of a test that a session exists (`if session:`,
`if session is not None:`), which drops the session's facts on the branch where it does
not, so `finally: if session: session.close()` closes on every path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Set, Tuple

import libcst as cst

from .flow import ForwardAnalysis, MaybeState, State
from .sessions import SessionRef

if TYPE_CHECKING:
    from . import SemanticModel


class SessionFlow(ForwardAnalysis):
    """Subclass, implement `apply` and `on_exit`, then call `run_function(owner.body)`."""

    def __init__(self, model: "SemanticModel", owner: cst.CSTNode,
                 resolve: Optional[Callable[[cst.BaseExpression], Optional[SessionRef]]] = None) -> None:
        self.model = model
        self.owner = owner
        self._resolve = resolve if resolve is not None else model.sessions.session_of

    def resolve(self, node: cst.BaseExpression) -> Optional[SessionRef]:
        """The session `node` stands for, as this analysis sees sessions."""
        return self._resolve(node)

    def apply(self, node: cst.CSTNode, state: State) -> State:
        """What evaluating `node` (a simple statement or a header expression) does to the state."""
        return state

    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> MaybeState:
        return self.apply(statement, state)

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        return state if expression is None else self.apply(expression, state)

    def condition(self, test: cst.BaseExpression, state: State) -> Tuple[MaybeState, MaybeState]:
        state = self.on_expression(test, state)
        absent_when_true, absent_when_false = self._absent_sessions(test)
        return _without(state, absent_when_true), _without(state, absent_when_false)

    def _absent_sessions(self, test: cst.BaseExpression) -> Tuple[Set[str], Set[str]]:
        """Keys of the sessions that are None where the test is true, and where it is false."""
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
