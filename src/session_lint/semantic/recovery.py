"""Error handlers that leave a session in a failed state (ORM401's question).

When `commit()` or `flush()` raises, the session's transaction is inactive: every further
use raises `PendingRollbackError` until `rollback()` (or `close()`) is called. A handler
that catches the error and goes on must therefore roll back before the session is used
again, or before a session that outlives the function is handed back.

Per function, a forward analysis follows each such handler: a fact "this session failed
in this handler" is born when the handler is entered, and dies at `rollback()`/`close()`
(also through a transaction object, `savepoint.rollback()`), at the end of the `with`
block that owns the session, on paths that raise, and when the session is handed to
another function (which may roll it back; we cannot tell). A handler is reported when its
fact reaches a use of the session, a `return session`, or the end of a function whose
session lives on: a parameter (the caller's), `self.session`, a module-level session, or
Flask-SQLAlchemy's / a scoped session (the rest of the request, or the thread's next job).
A session the function made itself (`with Session() as s`, `s = Session()`) that is not
used again is closed or dropped, which discards the failed transaction: no report.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from . import sessions as origins
from .enclosing import calls_in, guarding_tries, in_transaction_block, local_function
from .flow import END, RAISE, State
from .session_flow import SessionFlow
from .members import MemberSessions
from .sessions import MEMBER
from .scopes import ScopeAnalysis
from .sessions import SessionRef
from .transactions import CLOSE_METHODS
from .nodes import method_name
from .project_calls import ProjectCalls
from ..project.summaries import AMBIENT

if TYPE_CHECKING:
    from ..project.summaries import Summary
    from . import SemanticModel

# A failed flush is raised by these; commit() flushes first.
FAILING_METHODS = frozenset({"commit", "flush"})
# `remove()` on a scoped session registry closes the current session and forgets it.
RECOVERY_METHODS = frozenset({"rollback", "remove"}) | CLOSE_METHODS
# Methods that work on a failed session without touching its transaction.
_HARMLESS_METHODS = frozenset({
    "expunge", "expunge_all", "in_transaction", "in_nested_transaction", "get_transaction",
    "get_nested_transaction", "is_modified", "get_bind",
})

_CATCH_ALL = frozenset({"builtins.Exception", "builtins.BaseException"})
# What commit()/flush() can raise: DBAPI errors wrapped by SQLAlchemy, and the ORM's own.
DATABASE_ERRORS = frozenset(
    [f"sqlalchemy.exc.{name}" for name in (
        "SQLAlchemyError", "DBAPIError", "StatementError", "DatabaseError", "IntegrityError",
        "OperationalError", "DataError", "ProgrammingError", "InternalError",
        "NotSupportedError", "InterfaceError", "InvalidRequestError", "PendingRollbackError",
    )]
    + [f"sqlalchemy.orm.exc.{name}" for name in (
        "FlushError", "StaleDataError", "ConcurrentModificationError",
    )]
)
# A failed statement (not only a failed flush) leaves the transaction unusable when the
# database raised it: PostgreSQL aborts the transaction (`InFailedSqlTransaction` until
# rollback), a lost connection is invalidated (`PendingRollbackError`). Only handlers that
# name these are taken to catch a failed statement: `except Exception:` around a query
# more often catches `NoResultFound` or the caller's own errors, which leave the
# transaction usable.
DBAPI_ERRORS = frozenset(
    f"sqlalchemy.exc.{name}" for name in (
        "DBAPIError", "DatabaseError", "IntegrityError", "OperationalError", "DataError",
        "ProgrammingError", "InternalError", "NotSupportedError", "InterfaceError",
    )
)
# Session methods that send a statement to the database.
STATEMENT_METHODS = frozenset({"execute", "scalars", "scalar", "query", "get", "get_one", "refresh"})
# Sessions that outlive the function: whoever has them next finds them failed.
_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends"})
# Sessions that outlive the function that commits them: a helper's failed commit leaves
# them failed for its caller.
_SHARED_ORIGINS = frozenset({origins.FRAMEWORK, origins.GLOBAL, MEMBER})
_LIVING_ORIGINS = frozenset({origins.PARAM, origins.FRAMEWORK, origins.GLOBAL, MEMBER})

Handler = Union[cst.ExceptHandler, cst.ExceptStarHandler]
TryNode = Union[cst.Try, cst.TryStar]
# A session and the commit()/flush() in a `try` body that can leave it failed.
Failure = Tuple[SessionRef, cst.Call]
# used | returned | lives-on
USED, RETURNED, LIVES_ON = "used", "returned", "lives-on"


@dataclass(frozen=True)
class UnrecoveredFailure:
    handler: Handler
    session: SessionRef
    failing_call: cst.Call  # the commit()/flush() whose failure the handler catches, or the helper call that runs it (`RecoveryAnalysis.via`)
    why: str
    # The use, the `return`, or the `return`/None (end of the function) where it lives on.
    at: Optional[cst.CSTNode]
    # The failing call sends a statement (`execute()`, a query) rather than a flush.
    statement: bool = False


def catches_database_errors(scopes: ScopeAnalysis, handler: Handler) -> bool:
    """The handler can catch what a failed commit raises (resolved through imports)."""
    return handler.type is None or bool(_caught_names(scopes, handler) & (_CATCH_ALL | DATABASE_ERRORS))


# An earlier handler for these takes the database's errors: a catch-all after it
# (`except DBAPIError: raise` then `except Exception: log`) sees the code's own errors.
_DATABASE_ERROR_BASES = frozenset({"sqlalchemy.exc.SQLAlchemyError", "sqlalchemy.exc.DBAPIError"})


def _caught_names(scopes: ScopeAnalysis, handler: Handler) -> Set[Optional[str]]:
    caught = handler.type
    if caught is None:
        return set()
    types: Sequence[cst.BaseExpression] = (
        [element.value for element in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    )
    return {scopes.qualified_name(exception) for exception in types}


def _handlers_reached_by_database_errors(scopes: ScopeAnalysis, handlers: Sequence[Handler]) -> List[Handler]:
    found: List[Handler] = []
    routed = False
    for handler in handlers:
        names = _caught_names(scopes, handler)
        if catches_database_errors(scopes, handler) and not (
                routed and (handler.type is None or names & _CATCH_ALL)):
            found.append(handler)
        routed = routed or bool(names & _DATABASE_ERROR_BASES)
    return found


def catches_statement_errors(scopes: ScopeAnalysis, handler: Handler) -> bool:
    """The handler names an error the database raises for a failed statement."""
    return bool(_caught_names(scopes, handler) & DBAPI_ERRORS)


class RecoveryAnalysis:
    """The handlers of one module that leave a failed session behind: `model.get(RecoveryAnalysis)`."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.members = model.get(MemberSessions)
        self._found: Optional[List[UnrecoveredFailure]] = None
        self._recovering_helpers: Dict[cst.FunctionDef, bool] = {}
        # The call of a helper of this module (a failure) -> the commit/flush it runs.
        self.via: Dict[cst.Call, cst.Call] = {}
        # Failed statements (not flushes): reported only where the session is used again.
        self.statement_calls: Set[cst.Call] = set()

    def resolve(self, node: cst.BaseExpression) -> Optional[SessionRef]:
        """A session, or a transaction of one (`tx = session.begin_nested()`): its
        `rollback()` recovers the session."""
        found = self.model.sessions.session_of(node)
        if found is not None:
            return found
        transaction = self.model.sessions.transaction_of(node)
        return transaction[1] if transaction is not None else None

    def unrecovered_failures(self) -> List[UnrecoveredFailure]:
        if self._found is None:
            self._found = self._find()
        return self._found

    def _find(self) -> List[UnrecoveredFailure]:
        tree = self.model.tree
        failing: Dict[Handler, List[Failure]] = {}
        owners: Dict[cst.CSTNode, None] = {}
        for statement in list(tree.of_type(cst.Try)) + list(tree.of_type(cst.TryStar)):
            catching = _handlers_reached_by_database_errors(self.model.scopes, statement.handlers)
            if not catching:
                continue
            failures = self.failures(statement)
            statements = [failure for failure in self.statement_failures(statement)
                          if failure[0].key not in {ref.key for ref, _ in failures}]
            for handler in catching:
                caught = failures + statements if catches_statement_errors(self.model.scopes, handler) else failures
                if caught:
                    failing[handler] = caught
            if not any(handler in failing for handler in catching):
                continue
            owner = tree.owner_of(statement)
            if not isinstance(owner, (cst.ClassDef, cst.Lambda)):
                owners[owner] = None
        found: List[UnrecoveredFailure] = []
        for owner in owners:
            flow = _RecoveryFlow(self, owner, failing)
            flow.run_function(owner.body)  # type: ignore[attr-defined]
            found.extend(flow.reports.values())
        found.sort(key=lambda item: self.model.line_of(item.handler))
        return found

    def failures(self, statement: TryNode) -> List[Failure]:
        """The sessions a failed commit/flush in the `try` body leaves failed at its handlers."""
        found: List[Failure] = []
        seen: Set[str] = set()
        transactions = self.model.transactions
        for event in transactions.events_in(statement.body, self.resolve):
            ref = event.session
            if event.method not in FAILING_METHODS or ref.key in seen:
                continue
            if ref.origin == origins.WITH and ref.binding is not None and ref.binding.statement is not None \
                    and self.model.tree.inside(ref.binding.statement, statement):
                continue  # the block closed the session before the handler runs
            assert isinstance(event.node, cst.Call)
            if in_transaction_block(self.model, event.node, ref.key, self.resolve, stop=statement):
                continue
            if self._handled_inside(event.node, ref, statement):
                continue
            seen.add(ref.key)
            found.append((ref, event.node))
        for call, commit, ref in self._helper_commits(statement):
            if ref.key not in seen and not in_transaction_block(self.model, call, ref.key, self.resolve, stop=statement):
                seen.add(ref.key)
                self.via[call] = commit
                found.append((ref, call))
        return found

    def statement_failures(self, statement: TryNode) -> List[Failure]:
        """Sessions a failed statement in the `try` body leaves with an aborted transaction
        (`try: s.scalars(q) except OperationalError: s.scalars(q)`): the retry fails too."""
        found: List[Failure] = []
        seen: Set[str] = set()
        for event in self.model.transactions.events_in(statement.body, self.resolve):
            ref = event.session
            if event.method not in STATEMENT_METHODS or ref.key in seen or not isinstance(event.node, cst.Call):
                continue
            if ref.origin == origins.WITH and ref.binding is not None and ref.binding.statement is not None \
                    and self.model.tree.inside(ref.binding.statement, statement):
                continue
            if in_transaction_block(self.model, event.node, ref.key, self.resolve, stop=statement) \
                    or self._handled_inside(event.node, ref, statement):
                continue
            seen.add(ref.key)
            self.statement_calls.add(event.node)
            found.append((ref, event.node))
        return found

    def _helper_commits(self, statement: TryNode) -> Iterator[Tuple[cst.Call, cst.Call, SessionRef]]:
        """(call in the `try` body, the commit/flush it runs, its session) for calls to a
        function or method of this module that commits a session which outlives it: the
        framework's, a module-level one, or the object's (`self.save()` committing
        `self.session`). A failure there fails the caller's session too."""
        for call in calls_in(statement.body):
            helper = local_function(self.model, call.func, self.members.class_of_self)
            if helper is None:
                yield from self._project_helper_commits(call)
                continue
            for event in self.model.transactions.events_in(helper.body, self.resolve):
                ref = event.session
                if event.method in FAILING_METHODS and ref.origin in _SHARED_ORIGINS \
                        and isinstance(event.node, cst.Call) \
                        and not in_transaction_block(self.model, event.node, ref.key, self.resolve) \
                        and not self._handled_inside(event.node, ref, None):
                    yield call, event.node, ref
                    break
            else:
                # A session the caller passes (`dispatch(db, job)` committing `db`): the
                # summary maps the helper's parameter to the caller's argument.
                yield from (found for found in self._project_helper_commits(call) if found[2].origin == origins.PARAM)

    def _project_helper_commits(self, call: cst.Call) -> Iterator[Tuple[cst.Call, cst.Call, SessionRef]]:
        """A call of a function of another module (the project's summaries say what it
        does) that commits or flushes a session the caller keeps: the application's
        (`db.session`), one it passes (`dispatch_job(db, ...)`), or its object's; unless the
        function rolls that session back itself."""
        helper = self.model.get(ProjectCalls).callee(call)
        if helper is None or not helper.flushes:
            return
        for slot in helper.flushes - helper.settles:
            ref = self._caller_session(call, slot, helper)
            if ref is not None:
                yield call, call, ref
                return

    def _caller_session(self, call: cst.Call, slot: str, helper: "Summary") -> Optional[SessionRef]:
        if slot == AMBIENT:
            return self.model.transactions.framework_ref(call, helper.ambient_label or "db.session")
        if slot.startswith("m:"):
            # `self.save()` committing `self.session`: the caller's own `self.session`.
            owner = self.model.tree.enclosing(call, (cst.ClassDef,)) or self.model.tree.owner_of(call)
            for node in self.model.tree.of_type(cst.Attribute):
                if node.attr.value == slot[2:] and isinstance(node.value, cst.Name) and node.value.value == "self" \
                        and self.model.tree.inside(node, owner):
                    return self.members.member_session(node)
            return None
        project = self.model.get(ProjectCalls)
        for argument in call.args:
            if project.parameter_for(call, argument, helper) == slot:
                return self.model.sessions.session_of(argument.value)
        return None

    def _handled_inside(self, call: cst.Call, ref: SessionRef, outer: Optional[TryNode]) -> bool:
        """An inner `try` around the call catches the failure and recovers (or swallows it)."""
        for inner in guarding_tries(self.model.tree, call, stop=outer):
            for handler in inner.handlers:
                if catches_database_errors(self.model.scopes, handler) and (
                    self.recovers(handler, ref) or not self._raises(handler)
                ):
                    return True
        return False

    def recovers(self, node: cst.CSTNode, ref: SessionRef) -> bool:
        return any(event.method in RECOVERY_METHODS and event.session.key == ref.key
                   for event in self.model.transactions.events_in(node, self.resolve))

    def _raises(self, handler: Handler) -> bool:
        return any(self.model.tree.inside(node, handler) for node in self.model.tree.of_type(cst.Raise))

    def closed_after_request(self, ref: SessionRef) -> bool:
        """A parameter filled by FastAPI's `Depends(get_db)` (as its default or inside
        `Annotated[Session, Depends(...)]`): the dependency closes the session when the
        request ends, so a failed transaction is discarded with it, not handed on."""
        binding = ref.binding
        if ref.origin != origins.PARAM or binding is None:
            return False
        candidates = [binding.value, binding.annotation]
        annotation = binding.annotation
        if isinstance(annotation, cst.Subscript):
            candidates.extend(element.slice.value for element in annotation.slice
                              if isinstance(element.slice, cst.Index))
        return any(isinstance(node, cst.Call)
                   and (self.model.scopes.qualified_name(node.func) or "") in _DEPENDS
                   for node in candidates)

    def calls_recovering_helper(self, node: cst.CSTNode) -> bool:
        """`node` calls a function or method of this module that rolls back or closes some
        session (`self._handle_db_error(e)`): which one, we cannot tell, so assume ours."""
        project = self.model.get(ProjectCalls)
        for call in calls_in(node):
            callee = project.callee(call)
            if callee is not None and callee.settles:
                return True
            helper = local_function(self.model, call.func, self.members.class_of_self)
            if helper is not None and self._mentions_recovery(helper):
                return True
        return False

    def _mentions_recovery(self, function: cst.FunctionDef) -> bool:
        if function not in self._recovering_helpers:
            self._recovering_helpers[function] = any(
                method_name(call) in RECOVERY_METHODS
                for call in calls_in(function.body)
            )
        return self._recovering_helpers[function]


Fact = Tuple[str, Handler]


class _RecoveryFlow(SessionFlow):
    def __init__(self, analysis: RecoveryAnalysis, owner: cst.CSTNode,
                 failing: Dict[Handler, List[Failure]]) -> None:
        super().__init__(analysis.model, owner, analysis.resolve)
        self.analysis = analysis
        self.failing = failing
        self.refs: Dict[str, SessionRef] = {}
        self.reports: Dict[Handler, UnrecoveredFailure] = {}

    def enter_handler(self, statement: cst.Try, at_try_start: State, body: Sequence[cst.BaseStatement],
                      handler: cst.ExceptHandler) -> State:
        # `try: session.rollback() except: ...` in a handler: the rollback was attempted.
        recovered = {key for key, _ in at_try_start
                     if any(self.analysis.recovers(stmt, self.refs[key]) for stmt in body)}
        state = frozenset(fact for fact in at_try_start if fact[0] not in recovered)
        for ref, _ in self.failing.get(handler, ()):
            self.refs[ref.key] = ref
            state = state | {(ref.key, handler)}
        return state

    def apply(self, node: cst.CSTNode, state: State) -> State:
        if not state:
            return state
        for event in self.model.transactions.events_in(node, self.resolve):
            key = event.session.key
            live = [fact for fact in state if fact[0] == key]
            if not live or event.method in _HARMLESS_METHODS:
                continue
            if event.method == "handoff":
                if self._returned(event.node):
                    self._report(live, RETURNED, event.node)
            elif event.method not in RECOVERY_METHODS:
                self._report(live, USED, event.node)
            state = frozenset(fact for fact in state if fact[0] != key)
        if state and self.analysis.calls_recovering_helper(node):
            return frozenset()
        return self._drop_rebound(node, state)

    def _leave(self, node: cst.CSTNode, state: State, how: str) -> None:
        if how == RAISE and isinstance(node, cst.Raise) and isinstance(node.exc, cst.Call):
            # `raise InvalidEntry(...)`: a new error of the object's own, which its callers
            # catch and go on with the object, whose session is still failed.
            for fact in state:
                if self.refs[fact[0]].origin == MEMBER:
                    self._report([fact], LIVES_ON, node)  # type: ignore[list-item]
        super()._leave(node, state, how)

    def raising(self, state: State) -> State:
        """A handler that re-raises hands the error up: a `finally:` that then uses the
        session meets the error on its way out whether or not the handler is there."""
        return frozenset()

    def _drop_rebound(self, node: cst.CSTNode, state: State) -> State:
        """`session = Session()` again (the next iteration of a loop): a new, usable session."""
        targets: List[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            ref = self.resolve(target) if isinstance(target, cst.Name) else None
            if ref is not None:
                state = frozenset(fact for fact in state if fact[0] != ref.key)
        return state

    def exit_with(self, statement: cst.With, state: State, how: str) -> State:
        closed = {key for key, _ in state if _bound_by(self.refs[key], statement)}
        return frozenset(fact for fact in state if fact[0] not in closed)

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        if how == RAISE or (how == END and isinstance(self.owner, cst.Module)):
            return  # an error goes up the stack; a script that ends takes its session along
        for fact in state:
            ref = self.refs[fact[0]]
            if ref.origin in _LIVING_ORIGINS and not self.analysis.closed_after_request(ref):
                self._report([fact], LIVES_ON, node)

    def _returned(self, node: cst.CSTNode) -> bool:
        """`return session` or `return session, other`: the caller gets the session itself."""
        for ancestor in self.model.tree.ancestors(node):
            if isinstance(ancestor, cst.Return):
                return True
            if not isinstance(ancestor, (cst.Tuple, cst.Element)):
                return False
        return False

    def _report(self, facts: List[Fact], why: str, at: Optional[cst.CSTNode]) -> None:
        for key, handler in facts:
            if handler not in self.reports:
                call = next(call for ref, call in self.failing[handler] if ref.key == key)
                statement = call in self.analysis.statement_calls
                if statement and why != USED:
                    continue  # who gets the session next may roll back first; only a reuse here is sure
                self.reports[handler] = UnrecoveredFailure(handler, self.refs[key], call, why, at, statement)


def _bound_by(ref: SessionRef, statement: cst.With) -> bool:
    return ref.origin == origins.WITH and ref.binding is not None and ref.binding.statement is statement
