"""A small forward may-analysis over the statements of one function.

The state is a frozenset of facts ("this add is not committed yet"); paths join by union,
so a fact that holds on any path into a point holds at that point. Subclasses say what each
simple statement does to the state (`transfer`) and what happens when a path leaves the
function or a `with` block. Enough control flow for the questions our rules ask: branches,
loops with break/continue/else, try/except/else/finally, with, match, return and raise.
Expression-level branches (`a and b()`, `x if c else y`) are treated as straight-line code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet, Hashable, List, Optional, Sequence, Union

import libcst as cst

State = FrozenSet[Hashable]
EMPTY: State = frozenset()
_MAX_LOOP_PASSES = 8


@dataclass
class Outcome:
    normal: Optional[State]  # None: no path falls through
    breaks: List[State] = field(default_factory=list)
    continues: List[State] = field(default_factory=list)


def join(states: Sequence[Optional[State]]) -> Optional[State]:
    present = [state for state in states if state is not None]
    if not present:
        return None
    result = present[0]
    for state in present[1:]:
        result = result | state
    return result


class ForwardAnalysis:
    """Subclass and override the hooks; then call `run_function(body)`."""

    # -- hooks ------------------------------------------------------------------------------
    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> Optional[State]:
        """The state after a simple statement; None when the path ends there (a raise, sys.exit())."""
        return state

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        """Effect of evaluating an expression that is part of a compound statement's header."""
        return state

    def on_return(self, statement: cst.Return, state: State) -> None:
        """A path leaves the function through `return` (after its value was evaluated)."""

    def on_function_end(self, state: State) -> None:
        """A path falls off the end of the function body."""

    def enter_with(self, statement: cst.With, state: State) -> State:
        return state

    def exit_with(self, statement: cst.With, state: State, how: str) -> State:
        """A path leaves a `with` block: how is "normal", "break" or "continue"."""
        return state

    def enter_handler(self, statement: cst.Try, at_try_start: State, body: Sequence[cst.BaseStatement],
                      handler: cst.ExceptHandler) -> State:
        """The state on entry to an except handler; by default whatever held when the try began."""
        return at_try_start

    # -- driver -----------------------------------------------------------------------------
    def run_function(self, body: Union[cst.BaseSuite, Sequence[cst.BaseStatement]], state: State = EMPTY) -> None:
        """Run a function's body (a suite) or a module's (a sequence of statements)."""
        if isinstance(body, cst.BaseSuite):
            outcome = self.run_suite(body, state)
        else:
            outcome = self.run_statements(body, state)
        if outcome.normal is not None:
            self.on_function_end(outcome.normal)

    def run_suite(self, suite: cst.BaseSuite, state: State) -> Outcome:
        if isinstance(suite, cst.IndentedBlock):
            return self.run_statements(suite.body, state)
        assert isinstance(suite, cst.SimpleStatementSuite)
        return self._run_small(suite.body, state)

    def run_statements(self, statements: Sequence[cst.BaseStatement], state: State) -> Outcome:
        breaks: List[State] = []
        continues: List[State] = []
        current: Optional[State] = state
        for statement in statements:
            if current is None:
                break  # unreachable code after return/raise/break
            outcome = self.run_statement(statement, current)
            breaks.extend(outcome.breaks)
            continues.extend(outcome.continues)
            current = outcome.normal
        return Outcome(current, breaks, continues)

    def run_statement(self, statement: cst.BaseStatement, state: State) -> Outcome:
        if isinstance(statement, cst.SimpleStatementLine):
            return self._run_small(statement.body, state)
        if isinstance(statement, cst.If):
            return self._run_if(statement, state)
        if isinstance(statement, (cst.For, cst.While)):
            return self._run_loop(statement, state)
        if isinstance(statement, cst.With):
            return self._run_with(statement, state)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            return self._run_try(statement, state)
        if isinstance(statement, cst.Match):
            return self._run_match(statement, state)
        # Nested function and class definitions run later, or never: not this flow.
        return Outcome(state)

    def _run_small(self, statements: Sequence[cst.BaseSmallStatement], state: State) -> Outcome:
        current: Optional[State] = state
        for statement in statements:
            assert current is not None
            if isinstance(statement, cst.Return):
                after = self.transfer(statement, current)
                if after is not None:
                    self.on_return(statement, after)
                return Outcome(None)
            if isinstance(statement, cst.Raise):
                self.transfer(statement, current)
                return Outcome(None)
            if isinstance(statement, cst.Break):
                return Outcome(None, breaks=[current])
            if isinstance(statement, cst.Continue):
                return Outcome(None, continues=[current])
            current = self.transfer(statement, current)
            if current is None:
                return Outcome(None)
        return Outcome(current)

    def _run_if(self, statement: cst.If, state: State) -> Outcome:
        state = self.on_expression(statement.test, state)
        then = self.run_suite(statement.body, state)
        if isinstance(statement.orelse, cst.If):
            other = self._run_if(statement.orelse, state)
        elif isinstance(statement.orelse, cst.Else):
            other = self.run_suite(statement.orelse.body, state)
        else:
            other = Outcome(state)
        return Outcome(
            join([then.normal, other.normal]),
            then.breaks + other.breaks,
            then.continues + other.continues,
        )

    def _run_loop(self, statement: cst.BaseCompoundStatement, state: State) -> Outcome:
        if isinstance(statement, cst.For):
            state = self.on_expression(statement.iter, state)
            infinite = False
        else:
            assert isinstance(statement, cst.While)
            state = self.on_expression(statement.test, state)
            infinite = isinstance(statement.test, cst.Name) and statement.test.value == "True"
        entry = state
        breaks: List[State] = []
        head = entry
        for _ in range(_MAX_LOOP_PASSES):
            body = self.run_suite(statement.body, head)
            breaks = body.breaks
            new_head = join([entry, body.normal, *body.continues])
            assert new_head is not None
            if new_head == head:
                break
            head = new_head
        exit_state: Optional[State] = None if infinite else head
        orelse = getattr(statement, "orelse", None)
        if exit_state is not None and isinstance(orelse, cst.Else):
            after_else = self.run_suite(orelse.body, exit_state)
            exit_state = after_else.normal
        return Outcome(join([exit_state, *breaks]))

    def _run_with(self, statement: cst.With, state: State) -> Outcome:
        for item in statement.items:
            state = self.on_expression(item.item, state)
        state = self.enter_with(statement, state)
        body = self.run_suite(statement.body, state)
        normal = None if body.normal is None else self.exit_with(statement, body.normal, "normal")
        breaks = [self.exit_with(statement, s, "break") for s in body.breaks]
        continues = [self.exit_with(statement, s, "continue") for s in body.continues]
        return Outcome(normal, breaks, continues)

    def _run_try(self, statement: cst.BaseCompoundStatement, state: State) -> Outcome:
        assert isinstance(statement, (cst.Try, cst.TryStar))
        body = self.run_suite(statement.body, state)
        after_body = body
        if body.normal is not None and statement.orelse is not None:
            orelse = self.run_suite(statement.orelse.body, body.normal)
            after_body = Outcome(orelse.normal, body.breaks + orelse.breaks, body.continues + orelse.continues)
        statements = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
        normals = [after_body.normal]
        breaks = list(after_body.breaks)
        continues = list(after_body.continues)
        for handler in statement.handlers:
            entry = self.enter_handler(statement, state, statements, handler)  # type: ignore[arg-type]
            handled = self.run_suite(handler.body, entry)
            normals.append(handled.normal)
            breaks.extend(handled.breaks)
            continues.extend(handled.continues)
        normal = join(normals)
        if statement.finalbody is not None:
            final_in = join([normal, *breaks, *continues])
            if final_in is None:  # every path returned or raised; still look at the block
                final_in = state
            final = self.run_suite(statement.finalbody.body, final_in)
            if final.normal is None:
                return Outcome(None, final.breaks, final.continues)
            if normal is not None:
                normal = final.normal
        return Outcome(normal, breaks, continues)

    def _run_match(self, statement: cst.Match, state: State) -> Outcome:
        state = self.on_expression(statement.subject, state)
        outcomes = [self.run_suite(case.body, state) for case in statement.cases]
        # Without an irrefutable case, no case may match.
        fallthrough: Optional[State] = state
        if statement.cases and _irrefutable(statement.cases[-1]):
            fallthrough = None
        return Outcome(
            join([fallthrough, *(o.normal for o in outcomes)]),
            [s for o in outcomes for s in o.breaks],
            [s for o in outcomes for s in o.continues],
        )


def _irrefutable(case: cst.MatchCase) -> bool:
    pattern = case.pattern
    return case.guard is None and isinstance(pattern, cst.MatchAs) and pattern.pattern is None
