from __future__ import annotations

from typing import Iterator

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic.flow import RAISE, RETURN
from ..semantic.lifecycle import TEMPORARY, LifecycleAnalysis, UnclosedSession
from ..semantic.testcode import in_test_code, is_test_file


class SessionNotClosed(Rule):
    """A session created outside `with` that a path leaves the function without closing.

    `session = Session(engine)` (or `maker()`, `async_sessionmaker(...)()`) keeps its
    connection checked out while a transaction is open, and its objects, until `close()`.
    Silent for `with`/`async with` targets, `finally: session.close()`, `contextlib.closing`,
    sessions returned, yielded, stored or passed on (a `get_db` dependency, a factory),
    scoped sessions and Flask-SQLAlchemy's `db.session`, and module-level sessions. Silent
    in test code (test files, `test_*` functions, `Test*` classes): a test's session lives
    for one short process step, and the test runner's teardown disposes of the engine.
    """

    code = "ORM102"
    name = "session-not-closed"
    summary = "session created outside `with` is not closed on every path"
    tokens = ("Session", "session", "maker")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_test_file(context.filename, context.settings.root):
            return  # a session left open in a test is routine: the teardown drops the engine
        for unclosed in context.model.get(LifecycleAnalysis).unclosed_sessions():
            if in_test_code(context.model, unclosed.creation.node):
                continue
            made = context.source_of(unclosed.creation.node)
            yield Finding(
                node=unclosed.creation.node,
                message=self.describe(unclosed, context),
                hint=f"use `with {made} as session:`, or call `session.close()` in a `finally:` block",
            )

    def describe(self, unclosed: UnclosedSession, context: RuleContext) -> str:
        made = context.source_of(unclosed.creation.node)
        consequence = ("its connection stays checked out (while a transaction is open) and its "
                       "objects stay loaded until the garbage collector finds it")
        if unclosed.kind == TEMPORARY:
            return f"the session made by `{made}` is used once and never closed: {consequence}"
        assert unclosed.session is not None
        name = unclosed.session.label
        where = f"`{unclosed.scope_name}()`"
        if unclosed.how == RETURN and unclosed.exit is not None:
            path = f"{where} returns on line {context.line_of(unclosed.exit)}"
        elif unclosed.how == RAISE and unclosed.exit is not None:
            path = f"{where} raises on line {context.line_of(unclosed.exit)}"
        else:
            path = f"{where} ends"
        return f"`{name} = {made}` is not closed when {path}: {consequence}"
