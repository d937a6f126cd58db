"""Per-function transaction events on sessions, and the question ORM101 asks of them:
"is there a path from this add to the end of the session's life with no commit?"
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from . import names
from . import sessions as origins
from .enclosing import calls_in
from .flow import RAISE, RETURN, State
from .session_flow import SessionFlow
from .scopes import Binding, dotted_name
from .sessions import SAVEPOINT, TRANSACTION, Creation, SessionRef
from .tree import SCOPE_BOUNDARY, iter_children
from .nodes import is_method_call, method_name
from .project_calls import ProjectCalls
from ..project.summaries import AMBIENT

if TYPE_CHECKING:
    from ..project.summaries import CallSite, Summary
    from . import SemanticModel

WORK_METHODS = names.WORK_METHODS
# After these the pending work is either saved or deliberately thrown away.
SETTLE_METHODS = frozenset({"commit", "rollback"})
# After these the session holds no transaction and no connection until it is used again.
CLOSE_METHODS = frozenset({"close", "invalidate", "reset"})
VIEW_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete"})
VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "dispatch_request"})
VIEW_BASES = frozenset({"MethodView", "View", "Resource"})
_INSPECTING_BUILTINS = frozenset(f"builtins.{name}" for name in (
    "str", "repr", "print", "id", "type", "isinstance", "hash", "format", "bool", "hasattr", "getattr"))
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
_COMMAND_DECORATORS = frozenset({"click.command", "click.decorators.command"})
# A session joined to a Connection that is already in a transaction (a caller's, or one this
# function begins and ends itself) writes its rows into that transaction when it flushes:
# from then on they are the transaction owner's business, not this session's.
# These session calls flush (the query ones through autoflush, unless it is turned off).
_FLUSH_METHODS = frozenset({"flush", "commit"})
_AUTOFLUSH_METHODS = frozenset({"execute", "scalars", "scalar", "exec", "query", "get", "get_one"})
_ENGINE_TYPES = frozenset({
    "sqlalchemy.Engine", "sqlalchemy.engine.Engine", "sqlalchemy.engine.base.Engine",
    "sqlalchemy.ext.asyncio.AsyncEngine", "sqlalchemy.ext.asyncio.engine.AsyncEngine",
})
# Calls on a Connection that show this function manages its transaction.
_CONNECTION_TRANSACTION_METHODS = frozenset({"begin", "begin_nested", "commit", "rollback"})
# `t = session.begin()` / `session.get_transaction()`: `t.commit()` / `t.rollback()` /
# `t.close()` end the session's transaction (close() rolls it back).
_TRANSACTION_GETTERS = frozenset({"begin", "get_transaction"})
_SAVEPOINT_GETTERS = frozenset({"begin_nested", "get_nested_transaction"})
_TRANSACTION_ENDS = frozenset({"commit", "rollback", "close"})
# `with pytest.raises(...)`, `self.assertRaises(...)`, SQLAlchemy's `expect_raises(...)`: the
# block is expected to fail, and work it touches is on an error path.
_EXPECTED_ERROR_MANAGERS = frozenset({
    "raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp",
    "expect_raises", "expect_raises_message",
})
# Top-level packages whose functions never commit the application's session.
_FOREIGN_PACKAGES = frozenset(
    """flask werkzeug jinja2 sqlalchemy flask_sqlalchemy flask_login flask_wtf wtforms
    marshmallow pydantic fastapi starlette json logging datetime os sys re time uuid math
    random typing hashlib secrets functools itertools collections builtins decimal pathlib
    urllib http base64 requests string copy enum dataclasses click typer rich csv pandas""".split()
)


@dataclass(frozen=True)
class SessionEvent:
    method: str  # add, commit, close, ... or "handoff" (the session passed somewhere)
    session: SessionRef
    node: cst.CSTNode


@dataclass(frozen=True)
class UnsavedWork:
    """A session.add()/delete()/merge() that can reach the end of its session's life uncommitted."""

    call: cst.Call
    method: str
    session: SessionRef
    # with-end | return-in-with | function-end | view-end | command-end | close
    end: str
    end_node: Optional[cst.CSTNode]
    scope_name: str
    # The session is committed somewhere in the function, just not on every path.
    committed_elsewhere: bool
    # The project function whose call leaves the work (`save_to_db(...)`), when it is not
    # this function's own add/delete/merge.
    helper: Optional["Summary"] = None
    # For work reported in a helper: the calls that leave it uncommitted.
    callers: Tuple["CallSite", ...] = ()


class TransactionAnalysis:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._unsaved: Optional[List[UnsavedWork]] = None
        self._escapes: Dict[Tuple[int, int], bool] = {}
        self._names_by_value: Optional[Dict[str, List[cst.Name]]] = None
        self._framework_refs: Dict[cst.CSTNode, Optional[SessionRef]] = {}

    # -- events -----------------------------------------------------------------------------
    def events_in(self, node: Optional[cst.CSTNode],
                  resolve: Optional[Callable[[cst.BaseExpression], Optional[SessionRef]]] = None,
                  ) -> Iterator[SessionEvent]:
        """Session events in `node`, in source order, not entering nested functions or lambdas.

        `resolve` replaces `SessionAnalysis.session_of` for analyses that also follow
        transaction objects (`t = session.begin()`).
        """
        if node is None:
            return
        session_of = resolve if resolve is not None else self.model.sessions.session_of
        stack: List[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Call):
                func = current.func
                if isinstance(func, cst.Attribute):
                    ref = session_of(func.value)
                    if ref is not None:
                        yield SessionEvent(func.attr.value, ref, current)
                        # The receiver is not a hand-off; its arguments may be.
                        stack.extend(reversed([arg.value for arg in current.args]))
                        continue
            elif isinstance(current, (cst.Name, cst.Attribute)) and not self._is_receiver(current):
                ref = session_of(current)
                if ref is not None and not self._is_harmless_use(current):
                    yield SessionEvent("handoff", ref, current)
                    continue
            children = [c for c in iter_children(current) if not isinstance(c, SCOPE_BOUNDARY)]
            stack.extend(reversed(children))

    def _is_receiver(self, node: cst.CSTNode) -> bool:
        parent = self.model.tree.parent_of(node)
        return isinstance(parent, cst.Attribute) and parent.value is node

    def _is_harmless_use(self, node: cst.CSTNode) -> bool:
        """Uses that do not give the session to anyone: tests, comparisons, binding sites."""
        parent = self.model.tree.parent_of(node)
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While,
                               cst.UnaryOperation, cst.BooleanOperation, cst.Assert,
                               cst.AssignTarget, cst.Del, cst.AsName, cst.Attribute)):
            return True
        if isinstance(parent, cst.Arg) and parent.value is node:
            call = self.model.tree.parent_of(parent)
            return isinstance(call, cst.Call) and self._only_looks_at_arguments(call)
        return isinstance(parent, cst.Call) and parent.func is node

    def _only_looks_at_arguments(self, call: cst.Call) -> bool:
        """`str(session)`, `print(session)`, `log.info("%s", session)`: a call that formats or
        inspects its arguments and keeps none of them."""
        if self.model.scopes.qualified_name(call.func) in _INSPECTING_BUILTINS:
            return True
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS):
            return False
        # `logging.info(...)`, or a logger: `log = logging.getLogger(...)`, resolved through imports.
        scopes = self.model.scopes
        if scopes.qualified_name(func.value) == "logging":
            return True
        made = scopes.single_value(func.value) if isinstance(func.value, cst.Name) else None
        return isinstance(made, cst.Call) and scopes.qualified_name(made.func) == "logging.getLogger"

    # -- ORM101 -----------------------------------------------------------------------------
    def unsaved_work(self) -> List[UnsavedWork]:
        if self._unsaved is None:
            self._unsaved = self._find_unsaved_work()
        return self._unsaved

    def _find_unsaved_work(self) -> List[UnsavedWork]:
        tree = self.model.tree
        scopes_with_work: Dict[cst.CSTNode, None] = {}
        for call in tree.of_type(cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and (func.attr.value in WORK_METHODS or func.attr.value == "execute"
                                                    and is_write_statement(self.model, call)):
                owner = tree.owner_of(call)
                if isinstance(owner, (cst.Lambda, cst.ClassDef)):
                    continue
                if self.model.sessions.session_of(func.value) is not None:
                    scopes_with_work[owner] = None
            elif isinstance(func, cst.Attribute) and func.attr.value == "commit" and self._releases_savepoint(func.value):
                scopes_with_work[tree.owner_of(call)] = None
        # Functions whose work is done by project helpers they call.
        project = self.model.get(ProjectCalls)
        if project.summaries is not None:
            for function in tree.of_type(cst.FunctionDef):
                summary = project.of_function(function)
                if summary is not None and (summary.pending or summary.calls_work):
                    scopes_with_work[function] = None
        found: List[UnsavedWork] = []
        for owner in scopes_with_work:
            flow = _UnsavedWorkFlow(self, owner)
            flow.run_function(owner.body)  # type: ignore[attr-defined]
            found.extend(flow.results())
        reported = {work.call for work in found}
        found.extend(work for work in self._left_to_callers() if work.call not in reported)
        found.sort(key=lambda work: self.model.line_of(work.call))
        return found

    def _releases_savepoint(self, node: cst.BaseExpression) -> bool:
        transaction = self.model.sessions.transaction_of(node)
        return transaction is not None and transaction[0] in _SAVEPOINT_GETTERS

    def _left_to_callers(self) -> Iterator[UnsavedWork]:
        """A helper or model method that adds to the application's session and leaves the
        commit to its callers (`user.reset_password(token, pw)` in a view), when every call
        of it in the project ends in a request handler, command or job that never commits
        after it: the work is reported where it is added (or where a deeper helper that
        adds is called). A handler that calls such a helper directly is reported too: the
        commit may belong in either, and the handler's flow can only see its own calls."""
        project = self.model.get(ProjectCalls)
        summaries = project.summaries
        if summaries is None:
            return
        for function in self.model.tree.of_type(cst.FunctionDef):
            summary = project.of_function(function)
            if summary is None or not summaries.lost(summary.key):
                continue
            sites = tuple(summaries.callers(summary.key))
            for call in calls_in(function.body):
                ref = self._ambient_work(call, project, summaries)
                if ref is not None:
                    helper = project.callee(call) if method_name(call) not in WORK_METHODS else None
                    yield UnsavedWork(call=call, method=method_name(call) or "add", session=ref, end="callers-end",
                                      end_node=None, scope_name=function.name.value, committed_elsewhere=False,
                                      helper=helper, callers=sites)

    def _ambient_work(self, call: cst.Call, project: "ProjectCalls", summaries) -> Optional[SessionRef]:
        """The application's session, when `call` adds to it, or calls a project helper that
        leaves work in it (and is not itself reported as losing it)."""
        if method_name(call) in WORK_METHODS:
            ref = self.model.sessions.session_of(call.func.value)  # type: ignore[attr-defined]
            return ref if ref is not None and ref.origin in (origins.FRAMEWORK, origins.GLOBAL) else None
        helper = project.callee(call)
        if helper is None or AMBIENT not in helper.pending or summaries.lost(helper.key):
            return None
        return self.framework_ref(call, helper.ambient_label or "db.session")

    # -- helpers shared with other analyses ---------------------------------------------------
    def framework_ref(self, node: cst.CSTNode, label: str) -> SessionRef:
        """The application's session (`db.session`, a scoped session) as the function around
        `node` writes it, else as `label` (how a project helper writes it) says."""
        owner = node if isinstance(node, (cst.FunctionDef, cst.Module)) else self.model.tree.owner_of(node)
        if owner not in self._framework_refs:
            # Once per function: asked for every helper call in it.
            self._framework_refs[owner] = None
            for call in calls_in(owner):
                func = call.func
                if isinstance(func, cst.Attribute):
                    ref = self.model.sessions.session_of(func.value)
                    if ref is not None and ref.origin == origins.FRAMEWORK:
                        self._framework_refs[owner] = ref
                        break
        found = self._framework_refs[owner]
        return found if found is not None else SessionRef(label, label, origins.FRAMEWORK)

    def is_view(self, function: cst.CSTNode) -> bool:
        """A Flask/FastAPI-style request handler: the request ends when it returns."""
        if not isinstance(function, cst.FunctionDef):
            return False
        for decorator in function.decorators:
            target = decorator.decorator
            if isinstance(target, cst.Call) and isinstance(target.func, cst.Attribute):
                if target.func.attr.value in VIEW_DECORATORS:
                    return True
        if function.name.value in VIEW_METHODS:
            owner = self.model.tree.enclosing(function, (cst.ClassDef, cst.FunctionDef))
            if isinstance(owner, cst.ClassDef):
                for base in owner.bases:
                    value = base.value
                    last = value.attr.value if isinstance(value, cst.Attribute) else getattr(value, "value", None)
                    if last in VIEW_BASES:
                        return True
        return False

    def is_command(self, function: cst.CSTNode) -> bool:
        """A command-line entry point: the process ends when it returns, and nothing commits
        a framework session (`db.session`, a scoped session) for it. A function decorated as
        a command (`@click.command()`, `@app.cli.command()`, `@group.command`, Typer's
        `@app.command()`), or a function of a script that its `if __name__ == "__main__":`
        block calls, when that block commits nothing itself."""
        if not isinstance(function, cst.FunctionDef):
            return False
        for decorator in function.decorators:
            target = decorator.decorator
            callee = target.func if isinstance(target, cst.Call) else target
            if isinstance(callee, cst.Attribute) and callee.attr.value == "command":
                return True
            if isinstance(callee, cst.Name) and self.model.scopes.qualified_name(callee) in _COMMAND_DECORATORS:
                return True
        if self.model.tree.parent_of(function) is not self.model.module:
            return False
        main = self._main_block()
        if main is None:
            return False
        calls = list(calls_in(main.body))
        return (any(isinstance(call.func, cst.Name) and call.func.value == function.name.value for call in calls)
                and not any(method_name(call) == "commit" for call in calls))

    def _main_block(self) -> Optional[cst.If]:
        for statement in self.model.module.body:
            if isinstance(statement, cst.If) and isinstance(statement.test, cst.Comparison):
                test = statement.test
                sides = [test.left, *(target.comparator for target in test.comparisons)]
                if any(isinstance(side, cst.Name) and side.value == "__name__" for side in sides) and any(
                        isinstance(side, cst.SimpleString) and side.evaluated_value == "__main__" for side in sides):
                    return statement
        return None

    def escapes(self, ref: SessionRef, function: cst.CSTNode) -> bool:
        """A locally created session is returned, stored or passed on: someone else ends it."""
        binding = ref.binding
        if binding is None:
            return True
        # Asked once per event on the session: answered once per binding and function.
        key = (id(binding), id(function))
        if key not in self._escapes:
            self._escapes[key] = self._escapes_from(binding, function)
        return self._escapes[key]

    def _escapes_from(self, binding: Binding, function: cst.CSTNode) -> bool:
        scopes = self.model.scopes
        if self._names_by_value is None:
            self._names_by_value = {}
            for node in self.model.tree.of_type(cst.Name):
                self._names_by_value.setdefault(node.value, []).append(node)
        for name in self._names_by_value.get(binding.name, ()):
            if not self.model.tree.inside(name, function):
                continue
            scope, bindings = scopes.bindings_of(name)
            if binding not in bindings:
                continue
            parent = self.model.tree.parent_of(name)
            if isinstance(parent, cst.Attribute) and parent.value is name:
                continue
            if self._is_harmless_use(name) or _is_binding_site(parent, name):
                continue
            return True
        return False

    def may_commit_framework_session(self, call: cst.Call) -> bool:
        """A call that could commit `db.session` behind our back: project code, `obj.save()`."""
        func = call.func
        if isinstance(func, cst.Attribute):
            if self.model.sessions.session_of(func.value) is not None:
                return False  # the session's own methods are events, seen separately
            method = func.attr.value.lower()
            if "commit" in method or "save" in method:
                return True
            head = func.value
            while isinstance(head, cst.Attribute):
                head = head.value
            if isinstance(head, cst.Name):
                binding = self.model.scopes.import_binding(head)
                return binding is not None and self._is_project_import(binding)
            return False
        if isinstance(func, cst.Name):
            if func.value[:1].isupper():
                return False  # constructing a model or a value object commits nothing
            _, bindings = self.model.scopes.bindings_of(func)
            for binding in bindings:
                if binding.kind == "def":
                    return _mentions_commit(self.model, binding.node)
                if binding.kind == "import":
                    return self._is_project_import(binding)
        return False

    @staticmethod
    def _is_project_import(binding: Binding) -> bool:
        if binding.level:
            return True
        top = (binding.qualified or binding.module or "").split(".")[0]
        return top not in _FOREIGN_PACKAGES

    def joins_external_transaction(self, creation: Creation, function: cst.CSTNode) -> bool:
        """The session is bound to a Connection that is in a transaction someone else ends:
        `Session(connection)` with a connection the caller passed in, `Session(bind=
        op.get_bind())` in an Alembic migration, `Session(bind=other.connection())`, the
        target of `with engine.begin() as conn:`, or a `conn = engine.connect()` whose
        transaction this function begins, commits or rolls back itself. Its flushed rows
        belong to that transaction (SQLAlchemy's "joining a Session into an external
        transaction"); closing the session does not discard them.

        A parameter counts as a connection when annotated `Connection`/`AsyncConnection`,
        or, unannotated, when its name says so (`connection`, `conn`, `db_conn`); a
        parameter annotated `Engine` never does.
        """
        bind = bind_argument(creation.node)
        return bind is not None and self._in_external_transaction(bind, function, 0)

    def _in_external_transaction(self, value: cst.BaseExpression, function: cst.CSTNode, depth: int) -> bool:
        if depth > 8:
            return False
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Attribute):
            # `Session(self.connection)`: the object that holds the connection owns it.
            return "conn" in value.attr.value.lower()
        if isinstance(value, cst.Call):
            func = value.func
            qualified = self.model.scopes.qualified_name(func) or ""
            if qualified.startswith("alembic.") and qualified.endswith(".get_bind"):
                return True
            return (isinstance(func, cst.Attribute) and func.attr.value == "connection"
                    and self.model.sessions.session_of(func.value) is not None)
        if isinstance(value, cst.Name):
            _, bindings = self.model.scopes.bindings_of(value)
            return bool(bindings) and all(
                self._binding_in_external_transaction(binding, function, depth) for binding in bindings)
        return False

    def _binding_in_external_transaction(self, binding: Binding, function: cst.CSTNode, depth: int) -> bool:
        scopes = self.model.scopes
        if binding.kind == "param":
            annotation = scopes.qualified_name(binding.annotation) if binding.annotation is not None else None
            if annotation in names.CONNECTION_TYPES:
                return True
            if annotation in _ENGINE_TYPES:
                return False
            return "conn" in binding.name.lower()
        if binding.kind not in ("assign", "annassign", "with") or binding.value is None:
            return False
        value = binding.value
        if isinstance(value, cst.Await):
            value = value.expression
        if binding.kind == "with" and is_method_call(value, "begin"):
            return True  # `with engine.begin() as conn:` commits when the block ends
        if binding.kind != "with" and self._in_external_transaction(value, function, depth + 1):
            return True
        return is_method_call(value, "connect") and self._manages_transaction(binding, function)

    def _manages_transaction(self, binding: Binding, function: cst.CSTNode) -> bool:
        """`conn.begin()`, `conn.commit()`... on this very connection, in `function`."""
        scopes = self.model.scopes
        for call in self.model.tree.of_type(cst.Call):
            func = call.func
            if (isinstance(func, cst.Attribute) and func.attr.value in _CONNECTION_TRANSACTION_METHODS
                    and isinstance(func.value, cst.Name) and func.value.value == binding.name
                    and self.model.tree.inside(call, function)):
                _, bindings = scopes.bindings_of(func.value)
                if any(found is binding for found in bindings):
                    return True
        return False


def bind_argument(call: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """What `Session(bind)` / `Session(bind=...)` / `maker(bind=...)` is bound to, if shown."""
    if not isinstance(call, cst.Call):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "bind":
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[0].value if positional else None


def is_unbound(creation: Creation) -> bool:
    """`Session()` with no bind at all: it can track objects but never write them (a flush
    raises UnboundExecutionError), so whatever is added to it is not meant to be stored.
    Sessionmakers are not unbound: their bind is configured elsewhere (`maker.configure()`)."""
    call = creation.node
    if creation.factory.kind != "session-class" or not isinstance(call, cst.Call):
        return False
    return not any(arg.star or arg.keyword is None or arg.keyword.value in ("bind", "binds")
                   for arg in call.args)


def _expects_error(statement: cst.With) -> bool:
    """`with pytest.raises(IntegrityError):` and its unittest/SQLAlchemy-testing cousins."""
    for item in statement.items:
        call = item.item
        if isinstance(call, cst.Call):
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if name in _EXPECTED_ERROR_MANAGERS:
                return True
    return False


def _reaching_binding(model: "SemanticModel", name: cst.Name) -> Optional[Binding]:
    """The binding of `name` written last before it in source order (a good enough guess of
    the one that reaches it, for messages)."""
    _, bindings = model.scopes.bindings_of(name)
    order_of = model.tree.order_of
    at = order_of(name)
    before = [binding for binding in bindings if order_of(binding.node) <= at]
    return max(before, key=lambda binding: order_of(binding.node)) if before else None


def _same_binding(model: "SemanticModel", one: cst.Call, other: cst.Call) -> bool:
    """Two calls on one session key go to the same session object: for a name bound twice in
    a function (`sess = Session(...)` ... `sess = Session(...)`), the same assignment."""
    first, second = one.func, other.func
    if not (isinstance(first, cst.Attribute) and isinstance(second, cst.Attribute)):
        return True
    if isinstance(first.value, cst.Name) and isinstance(second.value, cst.Name):
        return _reaching_binding(model, first.value) is _reaching_binding(model, second.value)
    return True


def _is_binding_site(parent: Optional[cst.CSTNode], name: cst.Name) -> bool:
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr)):
        return parent.target is name
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.target is name


def _mentions_commit(model: "SemanticModel", function: cst.CSTNode) -> bool:
    for call in model.tree.of_type(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "commit" and model.tree.inside(call, function):
            return True
    return False


# (session key, the add/delete/merge call, whether a flush has sent it to the database since)
Fact = Tuple[str, cst.Call, bool]


class _UnsavedWorkFlow(SessionFlow):
    def __init__(self, analysis: TransactionAnalysis, owner: cst.CSTNode) -> None:
        super().__init__(analysis.model, owner)
        self.analysis = analysis
        self.project = analysis.model.get(ProjectCalls)
        summary = self.project.of_function(owner)
        entry = summary.entry if summary is not None else None
        self.is_view = analysis.is_view(owner) or entry == "view"
        self.is_command = not self.is_view and (analysis.is_command(owner) or entry == "command")
        # A function the project hands to a job queue or a thread (`queue.enqueue(job)`).
        self.is_job = not (self.is_view or self.is_command) and entry == "job"
        # A request handler, a command or a job: the framework's session is not committed after it.
        self.ends_framework_session = self.is_view or self.is_command or self.is_job
        self.helpers: Dict[cst.Call, "Summary"] = {}
        # The session a helper call (or a savepoint's commit) leaves work in.
        self.helper_keys: Dict[cst.Call, str] = {}
        self._framework: Optional[SessionRef] = None
        self.scope_name = owner.name.value if isinstance(owner, cst.FunctionDef) else "<module>"
        self.refs: Dict[str, SessionRef] = {}
        self.methods: Dict[cst.Call, str] = {}
        # Sessions of the `with session.begin():` blocks the flow is inside; their work
        # commits when the block ends.
        self.autocommit: List[Set[str]] = []
        self.autocommit_of: Dict[cst.With, Set[str]] = {}
        self.ignored: Set[str] = set()
        self.commits: Dict[str, List[cst.Call]] = {}
        self.joined: Dict[str, bool] = {}
        self.reports: Dict[cst.Call, Tuple[str, Optional[cst.CSTNode]]] = {}

    # -- which sessions this function is responsible for -----------------------------------
    def _tracked(self, ref: SessionRef) -> bool:
        if ref.key in self.ignored:
            return False
        if ref.origin in (origins.WITH, origins.LOCAL) and (
            ref.binding is None or ref.binding.scope.node is not self.owner
        ):
            return False  # a session of an enclosing function: that function ends it
        if ref.origin in (origins.WITH, origins.LOCAL) and ref.creation is not None and is_unbound(ref.creation):
            self.ignored.add(ref.key)
            return False
        if ref.origin == origins.WITH:
            return ref.creation is not None and not ref.creation.autocommit
        if ref.origin == origins.LOCAL:
            if isinstance(self.owner, cst.Module) or self.analysis.escapes(ref, self.owner):
                self.ignored.add(ref.key)
                return False
            return True
        if ref.origin == origins.PARAM:
            return True  # reported only if this function closes it
        if ref.origin == origins.FRAMEWORK:
            return self.ends_framework_session
        if ref.origin == origins.GLOBAL:
            # A module-level session in a script's command or a scheduled task: the process
            # or the task ends with it (a web view's global session lives on to the next request).
            return self.is_command or self.is_job
        return False

    def _joined(self, ref: SessionRef) -> bool:
        """Bound to a Connection in an external transaction: a flush hands the rows to it."""
        if ref.key not in self.joined:
            self.joined[ref.key] = (ref.origin in (origins.WITH, origins.LOCAL) and ref.creation is not None
                                    and self.analysis.joins_external_transaction(ref.creation, self.owner))
        return self.joined[ref.key]

    def _flushes(self, ref: SessionRef, method: str) -> bool:
        if method in _FLUSH_METHODS:
            return True
        if method not in _AUTOFLUSH_METHODS or ref.creation is None:
            return False
        call = ref.creation.node
        return not (isinstance(call, cst.Call) and any(
            arg.keyword is not None and arg.keyword.value == "autoflush"
            and isinstance(arg.value, cst.Name) and arg.value.value == "False" for arg in call.args))

    def resolve(self, node: cst.BaseExpression) -> Optional[SessionRef]:
        """Sessions, and `t` in `t = session.begin()` / `t = session.get_transaction()`."""
        ref = self.model.sessions.session_of(node)
        if ref is not None:
            return ref
        transaction = self.model.sessions.transaction_of(node)
        if transaction is None:
            return None
        session = transaction[1]
        # A savepoint's commit() releases the savepoint only: the outer transaction goes on.
        origin = TRANSACTION if transaction[0] in _TRANSACTION_GETTERS else \
            SAVEPOINT if transaction[0] in _SAVEPOINT_GETTERS else None
        if origin is None:
            return None
        return SessionRef(session.key, node.value, origin, session.creation, session.binding)  # type: ignore[attr-defined]

    def _apply(self, event: SessionEvent, state: State) -> State:
        ref = event.session
        key = ref.key
        method = event.method
        if ref.origin == TRANSACTION:
            # The session's transaction ends (close() rolls it back), or goes to someone who may end it.
            return _drop(state, key) if method in _TRANSACTION_ENDS or method == "handoff" else state
        if ref.origin == SAVEPOINT:
            return self._savepoint_released(event, state)
        if (method in WORK_METHODS and not _attaches_clean(event.node)
                or method == "execute" and is_write_statement(self.model, event.node)):
            if any(key in keys for keys in self.autocommit) or not self._tracked(ref):
                return state
            assert isinstance(event.node, cst.Call)
            self.refs[key] = ref
            self.methods[event.node] = method
            return state | {(key, event.node, False)}
        if method == "handoff":
            effect = self._handoff_effect(event)
            if effect == "keep":
                return state
            if effect is not None:
                call, helper = effect
                if not self._tracked(ref) or any(key in keys for keys in self.autocommit):
                    return state
                self.refs[key] = ref
                self.methods[call] = "helper"
                self.helpers[call] = helper
                self.helper_keys[call] = key
                return state | {(key, call, False)}
            return _drop(state, key)
        if method in SETTLE_METHODS:
            if method == "commit":
                assert isinstance(event.node, cst.Call)
                self.commits.setdefault(key, []).append(event.node)
            return _drop(state, key)
        if method in ("expunge_all", "expunge") and isinstance(event.node, cst.Call):
            # Objects not flushed yet are taken back on purpose; flushed rows stay in the
            # transaction, which still needs its commit.
            return _drop_expunged(self.model, state, key, event.node)
        if self._flushes(ref, method):
            if self._joined(ref):
                return _drop(state, key)
            return frozenset((k, call, flushed or k == key) for k, call, flushed in state)
        if method == "close":
            if ref.origin in (origins.LOCAL, origins.PARAM, origins.WITH):
                self._report(state, {key}, "close", event.node)
            return _drop(state, key)
        return state

    def _events(self, node: Optional[cst.CSTNode], state: State) -> State:
        for event in self.analysis.events_in(node, self.resolve):
            state = self._apply(event, state)
        if node is not None and self.ends_framework_session:
            state = self._framework_helpers(node, state)
        return state

    def _savepoint_released(self, event: SessionEvent, state: State) -> State:
        """`t.commit()` of `t = session.begin_nested()`: what the savepoint holds (rows a
        helper wrote through `session.connection()`, say) joins the session's transaction,
        which must still be committed. Pending only when nothing else of the session is (the
        pending add already tells the loss), and not inside `with session.begin():`."""
        call = event.node
        if event.method != "commit" or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return state
        transaction = self.model.sessions.transaction_of(call.func.value)
        if transaction is None:
            return state
        session = transaction[1]
        key = session.key
        if any(fact[0] == key for fact in state) or any(key in keys for keys in self.autocommit) \
                or not self._tracked(session):
            return state
        self.refs[key] = session
        self.methods[call] = "savepoint"
        self.helper_keys[call] = key  # the call's receiver is the savepoint, not the session
        return state | {(key, call, False)}

    def _handoff_effect(self, event: SessionEvent) -> Union[None, str, Tuple[cst.Call, "Summary"]]:
        """What the project function the session is passed to does with it: "keep" (it only
        reads), (call, summary) when it leaves work uncommitted, None when it may commit,
        roll back, keep the session or is not a project function we know."""
        tree = self.model.tree
        argument = tree.parent_of(event.node)
        call = tree.parent_of(argument) if isinstance(argument, cst.Arg) else None
        if not isinstance(call, cst.Call) or not isinstance(argument, cst.Arg):
            return None
        helper = self.project.callee(call)
        if helper is None:
            return None
        slot = self.project.parameter_for(call, argument, helper)
        if slot is None or slot in helper.commits or slot in helper.settles or slot in helper.escapes:
            return None
        if slot in helper.pending:
            return call, helper
        return "keep"

    def _framework_helpers(self, node: cst.CSTNode, state: State) -> State:
        """Project functions called here that commit the framework's session (its pending
        work is then saved) or leave work in it that this handler must commit."""
        calls = sorted(calls_in(node), key=self.model.tree.order_of)
        for call in calls:
            helper = self.project.callee(call)
            framework = {key for key, _, _ in state if self.refs[key].origin == origins.FRAMEWORK}
            if helper is None:
                if framework and self.analysis.may_commit_framework_session(call):
                    state = frozenset(fact for fact in state if fact[0] not in framework)
                continue
            if AMBIENT in helper.commits or AMBIENT in helper.settles:
                state = frozenset(fact for fact in state if fact[0] not in framework)
            elif AMBIENT in helper.pending and call not in self.reports and not self.autocommit_framework():
                ref = self._framework_ref(helper)
                self.refs[ref.key] = ref
                self.methods[call] = "helper"
                self.helpers[call] = helper
                self.helper_keys[call] = ref.key
                state = state | {(ref.key, call, False)}
        return state

    def autocommit_framework(self) -> bool:
        return any(self.refs.get(key) is not None and self.refs[key].origin == origins.FRAMEWORK
                   for keys in self.autocommit for key in keys)

    def _framework_ref(self, helper: "Summary") -> SessionRef:
        if self._framework is None:
            self._framework = self.analysis.framework_ref(self.owner, helper.ambient_label or "db.session")
        return self._framework

    # -- flow hooks -------------------------------------------------------------------------
    def apply(self, node: cst.CSTNode, state: State) -> State:
        return self._events(node, state)

    def enter_with(self, statement: cst.With, state: State) -> State:
        keys: Set[str] = set()
        sessions = self.model.sessions
        for item in statement.items:
            call = item.item.expression if isinstance(item.item, cst.Await) else item.item
            if method_name(call) == "begin":
                ref = sessions.session_of(call.func.value)
                if ref is not None:
                    keys.add(ref.key)
        self.autocommit.append(keys)
        self.autocommit_of[statement] = keys
        return state

    def exit_with(self, statement: cst.With, state: State, how: str) -> State:
        keys = self.autocommit_of.get(statement, set())
        state = frozenset(fact for fact in state if fact[0] not in keys)
        if _expects_error(statement):
            # The block is meant to fail (`with pytest.raises(IntegrityError): s.flush()`):
            # the work it flushes or adds is on an error path, whatever happens after.
            touched = {event.session.key for event in self.analysis.events_in(statement.body, self.resolve)}
            state = frozenset(fact for fact in state
                              if fact[0] not in touched and not self.model.tree.inside(fact[1], statement))
        ending = {key for key, _, _ in state
                  if self.refs[key].origin == origins.WITH and _bound_by(self.refs[key], statement)}
        if ending:
            # An error on its way out throws the block's work away on purpose.
            if how == RETURN:
                self._report(state, ending, "return-in-with", self.leaving)
            elif how != RAISE:
                self._report(state, ending, "with-end", statement)
            state = frozenset(fact for fact in state if fact[0] not in ending)
        return state

    def run_statement(self, statement: cst.BaseStatement, state: State):  # type: ignore[override]
        if isinstance(statement, cst.With):
            depth = len(self.autocommit)
            outcome = super().run_statement(statement, state)
            del self.autocommit[depth:]
            return outcome
        return super().run_statement(statement, state)

    def enter_handler(self, statement: cst.Try, at_try_start: State, body: Sequence[cst.BaseStatement],
                      handler: cst.ExceptHandler) -> State:
        # Work added inside the try either failed or is the error path's business (ORM401);
        # work from before the try stays pending unless the try tried to commit it.
        committed = {event.session.key for stmt in body for event in self.analysis.events_in(stmt, self.resolve)
                     if event.method in SETTLE_METHODS and event.session.origin != SAVEPOINT}
        return frozenset(fact for fact in at_try_start if fact[0] not in committed)

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        if how == RAISE:
            return  # an error path: the work is dropped on purpose
        for key in {key for key, _, _ in state}:
            origin = self.refs[key].origin
            if origin == origins.LOCAL:
                self._report(state, {key}, "function-end", node)
            elif origin == origins.FRAMEWORK and self.ends_framework_session or origin == origins.GLOBAL and (
                    self.is_command or self.is_job):
                end = "view-end" if self.is_view else "command-end" if self.is_command else "job-end"
                self._report(state, {key}, end, node)
            elif origin == origins.PARAM and self.is_view and self._closed_by_dependency(self.refs[key]):
                self._report(state, {key}, "dependency-end", node)

    def _closed_by_dependency(self, ref: SessionRef) -> bool:
        """`db: Session = Depends(get_db)` where the project's `get_db` yields a session it
        makes and never commits it: the session ends, uncommitted, when the handler returns."""
        binding = ref.binding
        if binding is None or binding.kind != "param":
            return False
        dependency = _depends_target(binding.value) or _depends_target(binding.annotation)
        summaries = self.project.summaries
        target = dotted_name(dependency) if dependency is not None else None
        if summaries is None or target is None:
            return False
        found = summaries.resolve(self.project.module, "", target)  # type: ignore[arg-type]
        summary = summaries.summaries.get(found) if found is not None else None
        return summary is not None and summary.yields_session and not summary.commits_own and not summary.commits

    def _report(self, state: State, keys: Set[str], end: str, node: Optional[cst.CSTNode]) -> None:
        for key, call, _ in state:
            if key in keys and call not in self.reports:
                self.reports[call] = (end, node)

    def results(self) -> List[UnsavedWork]:
        return [
            UnsavedWork(
                call=call,
                method=self.methods[call],
                session=self.refs[self._fact_key(call)],
                end=end,
                end_node=node,
                scope_name=self.scope_name,
                committed_elsewhere=any(_same_binding(self.model, commit, call)
                                        for commit in self.commits.get(self._fact_key(call), ())),
                helper=self.helpers.get(call),
            )
            for call, (end, node) in self.reports.items()
        ]

    def _fact_key(self, call: cst.Call) -> str:
        return self.helper_keys[call] if call in self.helper_keys else _key_of(call, self)


def _key_of(call: cst.Call, flow: _UnsavedWorkFlow) -> str:
    func = call.func
    assert isinstance(func, cst.Attribute)
    ref = flow.model.sessions.session_of(func.value)
    assert ref is not None
    return ref.key


_DML = frozenset({"insert", "update", "delete"})
_DML_CHAIN = frozenset({"where", "values", "filter", "filter_by", "returning", "execution_options",
                        "on_conflict_do_nothing", "on_conflict_do_update", "prefix_with", "ordered_values"})


def is_write_statement(model: "SemanticModel", call: cst.CSTNode) -> bool:
    """`session.execute(delete(User).where(...))`, `update(...)`, `insert(...)`, or
    `text("DELETE ...")`: a statement whose changes wait for the commit, as an add does."""
    if not isinstance(call, cst.Call) or not call.args:
        return False
    statement = call.args[0].value
    while isinstance(statement, cst.Call) and isinstance(statement.func, cst.Attribute) and \
            statement.func.attr.value in _DML_CHAIN:
        statement = statement.func.value
    if not isinstance(statement, cst.Call):
        return False
    func = statement.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    qualified = model.scopes.qualified_name(func) or ""
    if name in _DML:
        return qualified.startswith("sqlalchemy") or isinstance(func, cst.Attribute) and (
            dotted_name(func.value) or "").endswith(("__table__", "sa", "sqlalchemy"))
    if name == "text" and qualified.startswith("sqlalchemy") and statement.args:
        text = statement.args[0].value
        if isinstance(text, cst.SimpleString) and isinstance(text.evaluated_value, str):
            return text.evaluated_value.lstrip().split(" ", 1)[0].lower() in _DML
    return False


def _depends_target(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`get_db` in `Depends(get_db)`, also inside `Annotated[Session, Depends(get_db)]`."""
    if node is None:
        return None
    for call in calls_in(node):
        if isinstance(call.func, (cst.Name, cst.Attribute)) and (dotted_name(call.func) or "").rpartition(".")[2] == "Depends":
            return call.args[0].value if call.args else None
    return None


def _drop(state: State, key: str) -> State:
    return frozenset(fact for fact in state if fact[0] != key)


def _drop_expunged(model: "SemanticModel", state: State, key: str, expunge: cst.Call) -> State:
    """`session.expunge_all()` takes back every pending (not yet flushed) object,
    `session.expunge(obj)` the one of `session.add(obj)`."""
    method = method_name(expunge) or ""
    if method == "expunge" and not expunge.args:
        return state
    target = model.source_of(expunge.args[0].value) if method == "expunge" else None

    def taken_back(fact: Fact) -> bool:
        fact_key, call, flushed = fact
        if fact_key != key or flushed:
            return False
        return target is None or bool(call.args) and model.source_of(call.args[0].value) == target

    return frozenset(fact for fact in state if not taken_back(fact))  # type: ignore[arg-type]


def _bound_by(ref: SessionRef, statement: cst.With) -> bool:
    return ref.binding is not None and ref.binding.statement is statement


def _attaches_clean(node: cst.CSTNode) -> bool:
    """`session.merge(cached, load=False)`: attaches an object that must have no pending
    changes (SQLAlchemy refuses a dirty one): nothing for a commit to save."""
    return isinstance(node, cst.Call) and any(
        arg.keyword is not None and arg.keyword.value == "load" and isinstance(arg.value, cst.Name)
        and arg.value.value == "False" for arg in node.args)
