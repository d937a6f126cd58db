"""The one forward analysis every flow-sensitive question is asked through.

A subclass says what a simple statement does to its state (`transfer`), what evaluating a
header expression does (`on_expression`), what a test tells on each branch (`condition`),
and what happens when a path leaves a `with` block or the function (`exit_with`,
`on_exit`). This class owns the control flow: branches, loops with break/continue/else,
try/except/else/finally, with (sync and async), match, return and raise, calls that never
return (`ends_path`). Every way out of a `try` runs its `finally:` block first, and every
way out of a `with` block runs `exit_with`: a `return` inside `try: ... finally:
session.commit()` reaches `on_exit` after the commit, as it does at run time.

The state is a frozenset of facts; paths join by union, so a fact that holds on any path
into a point holds at that point. Expression-level branches (`a and b()`, `x if c else
y`) are straight-line code here; an analysis that needs them (narrowing) evaluates its
expressions itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, FrozenSet, Hashable, List, Optional, Sequence, Tuple, Union

import libcst as cst

if TYPE_CHECKING:
    from . import SemanticModel

State = FrozenSet[Hashable]
MaybeState = Optional[State]
EMPTY: State = frozenset()
# Facts only grow until a loop's head is stable; a few passes reach it in real code, and
# the cap keeps a pathological loop linear.
MAX_LOOP_PASSES = 8

# How a path leaves a block (`exit_with`) or the function (`on_exit`).
NORMAL, BREAK, CONTINUE = "normal", "break", "continue"
RETURN, RAISE, END = "return", "raise", "end"  # END: falling off the end of the body
# Parts of a `try` a path can be in: a raise in the body goes to the handlers; in a
# handler or the `else` part it goes up, through the `finally:` block.
BODY, HANDLER, ELSE, FINALLY = "body", "handler", "else", "finally"


@dataclass
class Outcome:
    normal: MaybeState  # None: no path falls through
    breaks: List[State] = field(default_factory=list)
    continues: List[State] = field(default_factory=list)


def join(states: Sequence[MaybeState]) -> MaybeState:
    present = [state for state in states if state is not None]
    if not present:
        return None
    result = present[0]
    for state in present[1:]:
        result = result | state
    return result


@dataclass(frozen=True)
class _Block:
    """A `try` or `with` statement the current path is inside, and in which part."""

    statement: Union[cst.Try, cst.TryStar, cst.With]
    part: str


class ForwardAnalysis:
    """Subclass, override the hooks it needs, then call `run_function(body)`."""

    model: Optional["SemanticModel"] = None
    # The `return`/`raise` statement a path is leaving through, while `exit_with` and the
    # `finally:` blocks on its way out run (None on a normal exit).
    leaving: Optional[cst.CSTNode] = None
    _blocks: Tuple[_Block, ...] = ()

    # -- hooks ------------------------------------------------------------------------------
    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> MaybeState:
        """The state after a simple statement; None when no path goes on past it."""
        return state

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        """Effect of evaluating an expression that is part of a compound statement's header."""
        return state

    def condition(self, test: cst.BaseExpression, state: State) -> Tuple[MaybeState, MaybeState]:
        """The states where `test` is true and where it is false (None: that branch cannot run)."""
        after = self.on_expression(test, state)
        return after, after

    def iterate(self, loop: cst.For, state: State) -> MaybeState:
        """Effect of evaluating a `for` loop's iterable, once, before the first pass."""
        return self.on_expression(loop.iter, state)

    def bind_target(self, loop: cst.For, state: State) -> State:
        """Effect of binding a `for` loop's target at the start of each pass."""
        return state

    def enter_with(self, statement: cst.With, state: State) -> State:
        return state

    def exit_with(self, statement: cst.With, state: State, how: str) -> State:
        """A path leaves a `with` block: NORMAL, BREAK, CONTINUE, RETURN or RAISE."""
        return state

    def enter_handler(self, statement: Union[cst.Try, cst.TryStar], at_try_start: State,
                      body: Sequence[cst.BaseStatement], handler: cst.CSTNode) -> State:
        """The state on entry to an except handler; by default whatever held when the try began."""
        return at_try_start

    def raising(self, state: State) -> State:
        """The state an uncaught `raise` carries through the `finally:` blocks on its way out."""
        return state

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        """A path leaves the function (RETURN, RAISE or END), after every `finally:` block
        and `with` exit on its way out; `node` is the `return`/`raise` statement."""

    def ends_path(self, expression: cst.BaseExpression) -> bool:
        """An expression statement after which no path goes on (`abort(404)`, `sys.exit()`)."""
        return self.model is not None and self.model.ends_path(expression)

    # -- driver -----------------------------------------------------------------------------
    def run_function(self, body: Union[cst.BaseSuite, Sequence[cst.BaseStatement]], state: State = EMPTY) -> None:
        """Run a function's body (a suite) or a module's (a sequence of statements)."""
        self._blocks = ()
        if isinstance(body, cst.BaseSuite):
            outcome = self.run_suite(body, state)
        else:
            outcome = self.run_statements(body, state)
        if outcome.normal is not None:
            self.on_exit(outcome.normal, END, None)

    def run_suite(self, suite: cst.BaseSuite, state: State) -> Outcome:
        if isinstance(suite, cst.IndentedBlock):
            return self.run_statements(suite.body, state)
        assert isinstance(suite, cst.SimpleStatementSuite)
        return self._run_small(suite.body, state)

    def run_statements(self, statements: Sequence[cst.BaseStatement], state: State) -> Outcome:
        breaks: List[State] = []
        continues: List[State] = []
        current: MaybeState = state
        for statement in statements:
            if current is None:
                break  # unreachable code after return/raise/break
            outcome = self.run_statement(statement, current)
            breaks.extend(outcome.breaks)
            continues.extend(outcome.continues)
            current = outcome.normal
        return Outcome(current, breaks, continues)

    def run_statement(self, statement: cst.BaseStatement, state: State) -> Outcome:
        if self.model is not None:
            self.model.check_deadline()
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
        current: MaybeState = state
        for statement in statements:
            assert current is not None
            if isinstance(statement, (cst.Return, cst.Raise)):
                after = self.transfer(statement, current)
                if after is not None:
                    how = RETURN if isinstance(statement, cst.Return) else RAISE
                    self._leave(statement, after, how)
                return Outcome(None)
            if isinstance(statement, cst.Break):
                return Outcome(None, breaks=[current])
            if isinstance(statement, cst.Continue):
                return Outcome(None, continues=[current])
            current = self.transfer(statement, current)
            if current is None or (isinstance(statement, cst.Expr) and self.ends_path(statement.value)):
                return Outcome(None)
        return Outcome(current)

    def _run_if(self, statement: cst.If, state: State) -> Outcome:
        when_true, when_false = self.condition(statement.test, state)
        then = self.run_suite(statement.body, when_true) if when_true is not None else Outcome(None)
        if when_false is None:
            other = Outcome(None)
        elif isinstance(statement.orelse, cst.If):
            other = self._run_if(statement.orelse, when_false)
        elif isinstance(statement.orelse, cst.Else):
            other = self.run_suite(statement.orelse.body, when_false)
        else:
            other = Outcome(when_false)
        return Outcome(join([then.normal, other.normal]), then.breaks + other.breaks,
                       then.continues + other.continues)

    def _run_loop(self, statement: Union[cst.For, cst.While], state: State) -> Outcome:
        head: MaybeState = self.iterate(statement, state) if isinstance(statement, cst.For) else state
        if head is None:
            return Outcome(None)
        leaving: MaybeState = head
        breaks: List[State] = []
        for _ in range(MAX_LOOP_PASSES):
            if isinstance(statement, cst.While):
                inside, leaving = self.condition(statement.test, head)
            else:
                inside, leaving = self.bind_target(statement, head), head
            body = self.run_suite(statement.body, inside) if inside is not None else Outcome(None)
            breaks = body.breaks
            new_head = join([head, body.normal, *body.continues])
            if new_head is None or new_head == head:
                break
            head = new_head
        if isinstance(statement, cst.While) and _always_true(statement.test):
            leaving = None  # `while True:` leaves only through `break`
        if leaving is not None and isinstance(statement.orelse, cst.Else):
            leaving = self.run_suite(statement.orelse.body, leaving).normal
        return Outcome(join([leaving, *breaks]))

    def _run_with(self, statement: cst.With, state: State) -> Outcome:
        for item in statement.items:
            state = self.on_expression(item.item, state)
        state = self.enter_with(statement, state)
        body = self._run_block(statement, BODY, statement.body, state)
        normal = None if body.normal is None else self.exit_with(statement, body.normal, NORMAL)
        breaks = [self.exit_with(statement, s, BREAK) for s in body.breaks]
        continues = [self.exit_with(statement, s, CONTINUE) for s in body.continues]
        return Outcome(normal, breaks, continues)

    def _run_try(self, statement: Union[cst.Try, cst.TryStar], state: State) -> Outcome:
        body = self._run_block(statement, BODY, statement.body, state)
        breaks = list(body.breaks)
        continues = list(body.continues)
        normals: List[MaybeState] = [body.normal]
        if body.normal is not None and statement.orelse is not None:
            orelse = self._run_block(statement, ELSE, statement.orelse.body, body.normal)
            normals = [orelse.normal]
            breaks.extend(orelse.breaks)
            continues.extend(orelse.continues)
        statements = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
        for handler in statement.handlers:
            entry = self.enter_handler(statement, state, statements, handler)
            handled = self._run_block(statement, HANDLER, handler.body, entry)
            normals.append(handled.normal)
            breaks.extend(handled.breaks)
            continues.extend(handled.continues)
        normal = join(normals)
        if statement.finalbody is None:
            return Outcome(normal, breaks, continues)
        final_breaks: List[State] = []
        final_continues: List[State] = []
        passed_breaks = self._through_finally(statement.finalbody, breaks, final_breaks, final_continues)
        passed_continues = self._through_finally(statement.finalbody, continues, final_breaks, final_continues)
        if normal is not None:
            final = self.run_suite(statement.finalbody.body, normal)
            normal = final.normal
            final_breaks.extend(final.breaks)
            final_continues.extend(final.continues)
        return Outcome(normal, passed_breaks + final_breaks, passed_continues + final_continues)

    def _through_finally(self, finalbody: cst.Finally, states: List[State],
                         breaks: List[State], continues: List[State]) -> List[State]:
        """Run the `finally:` block for each path jumping out of the `try` (a break or a
        continue); the paths that come out of it jumping on, as they were."""
        passed: List[State] = []
        for state in states:
            final = self.run_suite(finalbody.body, state)
            if final.normal is not None:
                passed.append(final.normal)
            breaks.extend(final.breaks)
            continues.extend(final.continues)
        return passed

    def _run_block(self, statement: Union[cst.Try, cst.TryStar, cst.With], part: str,
                   suite: cst.BaseSuite, state: State) -> Outcome:
        outer = self._blocks
        self._blocks = outer + (_Block(statement, part),)
        try:
            return self.run_suite(suite, state)
        finally:
            self._blocks = outer

    def _leave(self, node: cst.CSTNode, state: State, how: str) -> None:
        """A `return` or `raise` leaves the function: through the `finally:` blocks and
        `with` exits around it, innermost first, unless a handler of this function catches
        the raise (that path goes on in `enter_handler`)."""
        if how == RAISE:
            state = self.raising(state)
        blocks, outer_leaving = self._blocks, self.leaving
        self.leaving = node
        try:
            for depth in range(len(blocks) - 1, -1, -1):
                block = blocks[depth]
                statement = block.statement
                if isinstance(statement, cst.With):
                    state = self.exit_with(statement, state, how)
                    continue
                if how == RAISE and block.part == BODY and statement.handlers:
                    return
                if statement.finalbody is not None and block.part != FINALLY:
                    self._blocks = blocks[:depth] + (_Block(statement, FINALLY),)
                    after = self.run_suite(statement.finalbody.body, state)
                    if after.normal is None:
                        return  # the finally block returns or raises itself
                    state = after.normal
            self._blocks = ()
            self.on_exit(state, how, node)
        finally:
            self._blocks, self.leaving = blocks, outer_leaving

    def _run_match(self, statement: cst.Match, state: State) -> Outcome:
        state = self.on_expression(statement.subject, state)
        outcomes = [self.run_suite(case.body, state) for case in statement.cases]
        # Without an irrefutable case, no case may match.
        fallthrough: MaybeState = state
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


def _always_true(test: cst.BaseExpression) -> bool:
    """`while True:` (or `while 1:`) leaves only through `break`."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    return isinstance(test, cst.Integer) and test.value != "0"
