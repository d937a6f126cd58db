from __future__ import annotations

from typing import Iterator

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic import sessions as origins
from ..semantic.sessions import MEMBER
from ..semantic.recovery import LIVES_ON, RETURNED, USED, UnrecoveredFailure, RecoveryAnalysis


class MissingRollback(Rule):
    """An `except` handler that catches a failed `commit()`/`flush()` and carries on without
    `rollback()`, while the session is used again or outlives the function.

    After a failed flush the session's transaction is inactive: every later use raises
    `PendingRollbackError` until `rollback()`. A failed statement (`execute()`, a query)
    caught as a database error (`except OperationalError:`, `DBAPIError`, ...) does the same
    when the session is used again: PostgreSQL has aborted the transaction, a lost connection
    was invalidated. Silent when the handler rolls back (or closes
    the session) on every path that does not raise, re-raises (raising an error of its own
    does not count when the session is the object's: `self.db` stays failed for whoever
    catches it), when the commit runs inside
    `with session.begin_nested():`/`session.begin():`, and when the session is one the
    function made itself and does not use again (its `with` block or the function's end
    discards the failed transaction).
    """

    code = "ORM401"
    name = "missing-rollback"
    summary = "`except` after a failed `commit()`/`flush()` goes on without `session.rollback()`"
    # A failed statement matters only where the handler names a database error.
    tokens = ("commit", "flush", "DBAPIError", "DatabaseError", "IntegrityError", "OperationalError", "DataError",
              "ProgrammingError", "InternalError", "NotSupportedError", "InterfaceError")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for missing in context.model.get(RecoveryAnalysis).unrecovered_failures():
            label = missing.session.label
            yield Finding(
                node=missing.handler,
                message=self.describe(missing, context),
                hint=f"call `{label}.rollback()` in the handler before going on, or re-raise",
            )

    def describe(self, missing: UnrecoveredFailure, context: RuleContext) -> str:
        label = missing.session.label
        handler = missing.handler
        caught = f"except {context.source_of(handler.type)}" if handler.type is not None else "except"
        call = missing.failing_call
        commit = context.model.get(RecoveryAnalysis).via.get(call)
        if commit is call:  # a project function: its summary says it commits or flushes
            failing = (f"`{_shorten(context.source_of(call.func))}()` on line {context.line_of(call)} "
                       f"(which commits or flushes `{label}`)")
        elif commit is None:
            failing = f"`{label}.{call.func.attr.value}()` on line {context.line_of(call)}"  # type: ignore[attr-defined]
        else:
            failing = (f"`{_shorten(context.source_of(call.func))}()` on line {context.line_of(call)} "
                       f"(which runs `{label}.{commit.func.attr.value}()` on line {context.line_of(commit)})")  # type: ignore[attr-defined]
        return (f"`{caught}:` can go on without `{label}.rollback()` after {failing} fails, "
                f"and {_consequence(missing, context)}")


def _consequence(missing: UnrecoveredFailure, context: RuleContext) -> str:
    label = f"`{missing.session.label}`"
    pending = "raises `PendingRollbackError`"
    if missing.why == USED and missing.at is not None:
        line = context.line_of(missing.at)
        later = " (next iteration)" if line <= context.line_of(missing.handler) else ""
        if missing.statement:
            return (f"{label} is used again on line {line}{later} in the aborted transaction, which fails "
                    f"too (PostgreSQL: `InFailedSqlTransaction`; a lost connection: `PendingRollbackError`)")
        return f"{label} is used again on line {line}{later}, which {pending}"
    if missing.why == RETURNED and missing.at is not None:
        return f"{label} is returned on line {context.line_of(missing.at)} still failed"
    assert missing.why == LIVES_ON
    origin = missing.session.origin
    if origin == origins.PARAM:
        return f"{label} belongs to the caller, who gets it back failed: its next use {pending}"
    if origin == origins.FRAMEWORK:
        return f"{label} lives on for the rest of the request or thread: its next use {pending}"
    if origin == MEMBER:
        if isinstance(missing.at, cst.Raise) and missing.at.exc is not None:
            raised = _shorten(context.source_of(missing.at.exc.func if isinstance(missing.at.exc, cst.Call)
                                                else missing.at.exc))
            return (f"it raises `{raised}` on line {context.line_of(missing.at)} instead of the database error, "
                    f"while {label} outlives this call: whoever catches it and uses the object again {pending}")
        return f"{label} outlives this call: the object's next use of it {pending}"
    return f"{label} is a module-level session: its next use anywhere {pending}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
