"""What one module tells the rest of the project, read with `ast` (never a text search that
a docstring or a comment can fool).

The facts are plain JSON values so that the cache can keep them per file and a single-file
run, stdin or the editor server can rebuild the project's summaries without parsing the
project again. They are deliberately flow-insensitive: the per-function flows of the rules
work on libcst; what crosses a module boundary is "this function adds to the session it is
given and never commits it", not a path.

A session *slot* names a session the way a function sees it:
- ``p:<name>``: a parameter (the caller's session);
- ``g:<dotted>``: a module-level object or an attribute path (`db.session`, `models.db.session`,
  `DBSession`), resolved to "the application's ambient session" by the project;
- ``m:<attr>``: `self.<attr>` of a class that keeps its session.

Facts are recorded for the project's *relevant* modules only (`project/summaries.py` says
which: those spelling SQLAlchemy's evidence or a mapped class's declarations, or naming a
session in code, see `project_index.is_relevant_text`; those importing a session factory's
name; and what they pass a session into or what imports a name that matters). Several kinds
below match plain Python as well as SQLAlchemy code (`jobs` of any `Thread(target=f)`, a
`metaclass=`, `picks` of any `x.get(a, param)`, `refines:` of `sep.join(parts)`, `p:s` of any
parameter named `s`): outside the relevant modules they are not recorded at all, and such a
module keeps only `inert_facts` (its structure, for imports that resolve through it, and the
jobs it queues of its own functions). Inside them, `refines:` needs a join of a class (or the
module's SQLAlchemy evidence) when the chain is of `join` alone, `picks` of a `get()` needs a
receiver that stands for a session (or a class as the first argument), and `lookups` marks a
function that runs a lookup (ORM201 asks who calls it). Of the standard library's 757
modules with facts before, 8 are relevant: 4 spell `.query`, 4 name a session.
"""
from __future__ import annotations

import ast
import re
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from ..rule import SQLALCHEMY_EVIDENCE as _SQLALCHEMY_EVIDENCE
from .newer_syntax import parse_module

FactsJSON = Dict[str, object]

# Session methods that leave pending work until a commit.
WORK = frozenset({"add", "add_all", "delete", "merge"})
# `session.commit()`, and `t.commit()` of `t = session.begin()`.
COMMIT = frozenset({"commit"})
SETTLE = frozenset({"rollback", "close", "expunge_all"})
FLUSH = frozenset({"flush"})
# A query result that is None when no row matches. (Not `.scalar()`: what helpers return
# with it is nearly always an aggregate or a function of no table, `count()`, `now()`,
# which is never None; the caller's own `.scalar()` calls are judged where they are.)
NONE_ABLE = frozenset({"first", "one_or_none", "scalar_one_or_none"})
ROWS = frozenset({"all"})
QUERY_BUILDERS = frozenset({"filter", "filter_by", "join", "outerjoin", "options", "order_by", "where",
                            "limit", "offset", "distinct", "group_by", "undefer", "with_entities"})
# Parameter and attribute names that hold a session in the code we have read.
SESSION_NAMES = frozenset({
    "session", "db", "sess", "db_session", "dbsession", "dbs", "sa_session", "async_session",
    "db_sess", "s", "ses", "orm_session", "sql_session", "dbsess",
})
MEMBER_SESSION_NAMES = frozenset({
    "session", "db", "_session", "db_session", "dbsession", "_db", "sa_session", "_db_session",
    "_sa_session",
})
SESSION_TYPES = frozenset({"Session", "AsyncSession", "scoped_session", "async_scoped_session"})
# Module-level `name = sessionmaker(...)`: `name()` makes a new session (a scoped_session's call
# returns the thread's shared one, which the function does not own).
SESSION_FACTORIES = frozenset({"sessionmaker", "async_sessionmaker"})
VIEW_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route"})
# Calls that take a function to run later as a job or in a thread.
JOB_TAKERS = frozenset({
    "enqueue", "enqueue_call", "enqueue_in", "enqueue_at", "delay", "apply_async", "add_job",
    "Thread", "Process", "run_in_executor", "start_new_thread", "spawn", "Job",
})
# `Job.create(make_schedule, ...)` (rq): `create` only when its receiver is a Job class.
_JOB_CLASSES = frozenset({"Job"})


def scan_facts(text: str) -> Optional[FactsJSON]:
    """The module's facts, or None when `ast` cannot read it (the lint pass reports that)."""
    tree = parse_module(text)
    if tree is None:
        return None
    return _ModuleScanner(text).scan(tree)


def dotted(node: ast.AST) -> Optional[str]:
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _ModuleScanner:
    def __init__(self, text: str = "") -> None:
        self.lines = text.splitlines(keepends=True) if text else []
        # The module spells SQLAlchemy's evidence (`sqlalchemy`, `sqlmodel`, `.query`).
        self.evidence = any(marker in text for marker in _SQLALCHEMY_EVIDENCE)
        self.imports: Dict[str, List[object]] = {}
        self.classes: Dict[str, Dict[str, object]] = {}
        self.functions: Dict[str, Dict[str, object]] = {}
        self.jobs: Set[str] = set()
        # Module-level `name = callee(...)`: name -> the callee's dotted name.
        self.assigned: Dict[str, str] = {}
        self.query_property: List[str] = []
        self.session_makers: FrozenSet[str] = frozenset()

    def _session_makers(self) -> FrozenSet[str]:
        """Names whose call makes a session that `_makes_session` cannot tell by its spelling:
        `from sqlmodel import Session as SMSession`, `Factory = sessionmaker(engine)`."""
        imported = {name for name, (module, original, _) in self.imports.items()
                    if original in ("Session", "AsyncSession")
                    and str(module).split(".")[0] in ("sqlalchemy", "sqlmodel")}
        made = {name for name, callee in self.assigned.items() if callee.rpartition(".")[2] in SESSION_FACTORIES}
        return frozenset(imported | made)

    def scan(self, tree: ast.Module) -> FactsJSON:
        for statement in tree.body:
            self._top_level(statement)
        self.session_makers = self._session_makers()
        self._walk(tree)
        return {
            "imports": self.imports,
            "classes": self.classes,
            "functions": self.functions,
            "jobs": sorted(self.jobs),
            "assigned": self.assigned,
            "query_property": self.query_property,
            "mapped": mapped_class_facts(tree),
        }

    def _walk(self, tree: ast.Module) -> None:
        """One pass over the module: each node goes to the function it belongs to (its
        "own" nodes, nested functions, classes and lambdas left out) and, for the calls and
        assignments, to every function around it; calls are read for job references and
        imports inside functions are added to the module's imports."""
        scanners: List[Tuple["_FunctionScanner", str]] = []
        # (node, its own function, the functions around it, the module-level class it is in)
        stack: List[Tuple[ast.AST, Optional[_FunctionScanner], Tuple[_FunctionScanner, ...], Optional[str]]] = [
            (child, None, (), None) for child in reversed(tree.body)]
        while stack:
            node, own, around, in_class = stack.pop()
            kind = type(node)
            if kind in _FUNCTIONS:
                qualname = self._qualname(node, own, in_class)
                segment = self._segment(node)
                if segment is not None and not any(word in segment for word in _FACT_WORDS):
                    # Nothing in it touches a session: its calls (the call graph) and entry
                    # are all that matter, read without walking its tree.
                    if qualname is not None:
                        self.functions[qualname] = _light_facts(node, segment, self.evidence)
                    continue
                scanner = _FunctionScanner(node, None)
                scanner.module_evidence = self.evidence
                scanner.session_makers = self.session_makers
                if qualname is not None:
                    scanners.append((scanner, qualname))
                    scanner.qualname = qualname
                inner = (*around, scanner)
                stack.extend((child, scanner, inner, None) for child in reversed(_children(node)))
                continue
            if kind is ast.ClassDef:
                top_class = node.name if own is None and not around and in_class is None else None
                stack.extend((child, None, around, top_class) for child in reversed(_children(node)))
                continue
            if kind is ast.Lambda:
                stack.extend((child, None, around, None) for child in reversed(_children(node)))
                continue
            if own is not None:
                own.own_nodes.append(node)
            if kind is ast.Call:
                self._job_references(node)  # type: ignore[arg-type]
                for scanner in around:
                    scanner.inner_calls.append(node)  # type: ignore[arg-type]
            elif kind is ast.Assign:
                for scanner in around:
                    scanner.inner_assigns.append(node)  # type: ignore[arg-type]
            elif (kind is ast.Import or kind is ast.ImportFrom) and around:
                # An import inside a function (`def register(): from .views import handler`):
                # the module's own top-level imports win where the names clash.
                saved = dict(self.imports)
                self._top_level(node)
                self.imports.update(saved)
            stack.extend((child, own, around, in_class) for child in reversed(_children(node)))
        for scanner, qualname in scanners:
            self.functions[qualname] = scanner.scan()

    def _segment(self, node: ast.AST) -> Optional[str]:
        first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if not self.lines or first is None or last is None:
            return None
        return "".join(self.lines[first - 1:last])

    def _qualname(self, node: ast.AST, own: Optional["_FunctionScanner"], in_class: Optional[str]) -> Optional[str]:
        """`name`, `Class.name` for a method of a module-level class, `outer.<locals>.name`
        for a function nested in a module-level function (a view registered in
        `register_at(app)`: nobody resolves a call to it, but its calls and decorators
        count); None deeper down."""
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if own is None:
            return f"{in_class}.{node.name}" if in_class else node.name
        outer = getattr(own, "qualname", None)
        if outer is not None and "<locals>" not in outer:
            return f"{outer}.<locals>.{node.name}"
        return None

    def _top_level(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    self.imports[alias.asname] = [alias.name, None, 0]
                else:
                    head = alias.name.split(".")[0]
                    self.imports[head] = [head, None, 0]
        elif isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = [statement.module or "", alias.name, statement.level]
        elif isinstance(statement, ast.ClassDef):
            methods = [item.name for item in statement.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
            self.classes[statement.name] = {
                # `Base[T]` is the class `Base`.
                "bases": [name for name in (dotted(base.value if isinstance(base, ast.Subscript) else base)
                                            for base in statement.bases) if name],
                "methods": methods,
                "line": statement.lineno,
                "session_wrapper": _session_wrapper(statement),
            }
        elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            callee = _made_by(statement.value)
            for target in statement.targets:
                if isinstance(target, ast.Name) and callee:
                    self.assigned[target.id] = callee
                elif isinstance(target, ast.Attribute) and target.attr == "query" and isinstance(
                        target.value, ast.Name) and (callee or "").endswith("query_property"):
                    # `Base.query = db_session.query_property()`: `Model.query` of every
                    # subclass is a Query.
                    self.query_property.append(target.value.id)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            # `session: orm.Session = cast(orm.Session, LocalProxy(...))`: the annotation says it.
            if _annotation_is_session(statement.annotation):
                self.assigned[statement.target.id] = "Session"
            elif isinstance(statement.value, ast.Call):
                callee = _made_by(statement.value)
                if callee:
                    self.assigned[statement.target.id] = callee
        elif isinstance(statement, (ast.If, ast.Try)):
            # `try: from x import y / except ImportError: ...` and `if TYPE_CHECKING:` imports.
            for child in ast.iter_child_nodes(statement):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    self._top_level(child)
                elif isinstance(child, ast.ExceptHandler):
                    for inner in child.body:
                        if isinstance(inner, (ast.Import, ast.ImportFrom)):
                            self._top_level(inner)

    def _job_references(self, call: ast.Call) -> None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        is_job_taker = name in JOB_TAKERS or (
            name == "create" and isinstance(func, ast.Attribute) and dotted(func.value) in _JOB_CLASSES)
        for keyword in call.keywords:
            if keyword.arg == "python_callable":  # Airflow's PythonOperator runs it as a task
                text = dotted(keyword.value)
                if text:
                    self.jobs.add(text)
        if not is_job_taker:
            return
        candidates = list(call.args[:1]) + [kw.value for kw in call.keywords if kw.arg in ("target", "func", "f")]
        for value in candidates:
            text = dotted(value)
            if text:
                self.jobs.add(text)


class _FunctionScanner:
    def __init__(self, function: ast.AST, owner: Optional[ast.ClassDef]) -> None:
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        self.function = function
        self.owner = owner
        arguments = function.args
        all_args = [*getattr(arguments, "posonlyargs", []), *arguments.args, *arguments.kwonlyargs]
        self.params: List[str] = [arg.arg for arg in all_args]
        self.session_params: Set[str] = {
            arg.arg for arg in all_args
            if arg.arg in SESSION_NAMES or _annotation_is_session(arg.annotation)
        }
        self.work: List[List[object]] = []
        self.commits: Set[str] = set()
        self.settles: Set[str] = set()
        self.flushes: Set[str] = set()
        self.calls: List[List[object]] = []
        self.returns: Set[str] = set()
        self.transactions: Dict[str, str] = {}  # t -> slot, for `t = session.begin()`
        self.aliases: Dict[str, str] = {}  # `s = db.session`: s -> g:db.session
        # Filled by the module's single pass: the function's own nodes, and the calls and
        # assignments anywhere inside it (nested wrappers too).
        self.own_nodes: List[ast.AST] = []
        self.inner_calls: List[ast.Call] = []
        self.inner_assigns: List[ast.Assign] = []
        self.qualname: Optional[str] = None
        self.module_evidence = False  # the module spells SQLAlchemy's evidence
        self.savepoints: Set[str] = set()
        self.none_names: Dict[str, int] = {}  # x = <none-able query>, by name
        self.row_names: Set[str] = set()
        self.query_names: Set[str] = set()  # q = session.query(...), q = q.filter(...)
        self.query_entities: Dict[str, str] = {}  # q = session.query(User): q -> User (mapped classes)
        self.rows_entity: Optional[str] = None  # `return q.all()` of such a query
        self.call_names: Dict[str, str] = {}  # q = helper(...): q -> helper
        # `db.add(user)` then `db.commit()` (then `db.refresh(user)`): user -> (slot, state),
        # state fresh | expired | refreshed (columns loaded again, lazy relationships not).
        self.instances: Dict[str, Tuple[str, str]] = {}
        self.constructed: Dict[str, str] = {}  # user = User(...): user -> User
        self.instance_classes: Dict[str, str] = {}
        self.returned_instance: Optional[List[str]] = None
        self.checked: Set[str] = set()  # names tested for None / truthiness
        self.yields_session = False
        self.commits_local = False  # commits a session it made itself (a dependency's own)
        self.local_sessions: Set[str] = set()
        self.session_makers: FrozenSet[str] = frozenset()  # the module's (see _ModuleScanner)
        # Names bound in the function: `seen.add(x)` on a local set is no session.
        self.locals: Set[str] = set()

    def _makes_session(self, value: ast.AST) -> bool:
        return _makes_session(value) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                                          and value.func.id in self.session_makers)

    def scan(self) -> Dict[str, object]:
        function = self.function
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        # `t = session.begin_nested()` anywhere inside (wrappers too): `t.commit()` only
        # releases a savepoint.
        self.savepoints = {
            target.id for node in self.inner_assigns
            if isinstance(node.value, ast.Call) and _opens_inner_transaction(node.value)
            for target in node.targets if isinstance(target, ast.Name)}
        self.locals = {node.id for node in self.own_nodes
                       if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        body_nodes = sorted(self.own_nodes, key=lambda node: (getattr(node, "lineno", 0),
                                                              getattr(node, "col_offset", 0)))
        for node in body_nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self._assignment(node.targets[0].id, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self._assignment(node.target.id, node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and self._makes_session(item.context_expr):
                        self.local_sessions.add(item.optional_vars.id)
        for node in body_nodes:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Return) and node.value is not None:
                self._return(node.value)
            elif isinstance(node, (ast.Yield, ast.YieldFrom)):
                # Only a session it made itself (`db = SessionLocal(); yield db`): what a
                # scope yields from somewhere else, it may commit by means we cannot see.
                value = node.value
                if isinstance(value, ast.Name) and value.id in self.local_sessions:
                    self.yields_session = True
            elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                self._tested(node.test)
            elif isinstance(node, ast.BoolOp):
                for value in node.values:
                    self._tested(value)
        returns = set(self.returns)
        if "name" in returns:
            returns.discard("name")
        row_entity = returned_row_entity(self.own_nodes)
        return {
            "line": function.lineno,
            "params": self.params,
            "session_params": sorted(self.session_params),
            "entry": self._entry(),
            "work": self.work,
            "commits": sorted(self.commits),
            "settles": sorted(self.settles),
            "flushes": sorted(self.flushes),
            "calls": self.calls,
            "returns": sorted(returns),
            "returns_instance": self.returned_instance,
            "rows_entity": self.rows_entity,
            # `.options(selectinload(...))` in a helper returning rows: they come with relatives.
            "rows_options": bool(self.rows_entity) and any(
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "options"
                for node in self.own_nodes),
            "picks": _picking_parameters(self),
            # ORM30x: the class of the one row it returns (with loader options: relatives
            # loaded with it), of the rows in a list it fills.
            "row_entity": row_entity,
            "row_options": bool(row_entity) and _calls_options(self.own_nodes),
            "filled_rows": filled_rows(self.own_nodes),
            "row_keys": _row_key_arguments(self),
            # It runs a lookup that may find no row (`.first()`, `session.get(...)`): ORM201
            # asks who calls it (`every_call_site`), so a module calling it is relevant too.
            "lookups": _runs_lookup(self),
            # Calls in functions nested inside (callbacks, closures run by an executor): the
            # call graph has no name for those functions, so "every call of F" needs them here.
            "nested_calls": _nested_calls(self),
            "page": _returns_page(self),
            "annotated_query": _annotated_query(function.returns),
            "returns_optional": _optional_annotation(function.returns),
            "yields_session": self.yields_session,
            # `begin_transaction=True`, `session.begin()`, `config.begin_transaction(...)`:
            # a scope that runs its block in a transaction it commits itself.
            "commits_local": self.commits_local or any(
                "begin" in (dotted(node.func) or "").rpartition(".")[2] or any(
                    "begin" in (keyword.arg or "") or "transaction" in (keyword.arg or "") for keyword in node.keywords)
                for node in self.inner_calls),
            "is_async": isinstance(function, ast.AsyncFunctionDef),
            "decorators": [name for name in (dotted(_callee(d)) for d in function.decorator_list) if name],
            # A commit anywhere inside, nested wrappers included: a decorator that commits.
            "wraps_commit": any(
                isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id in self.savepoints)
                for node in self.inner_calls),
        }

    # -- sessions ---------------------------------------------------------------------------
    def slot(self, node: ast.AST) -> Optional[str]:
        """The session `node` stands for, as a slot; None when it is not one we know."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.session_params:
                return f"p:{name}"
            if name in self.transactions:
                return self.transactions[name]
            if name in self.aliases:
                return self.aliases[name]
            if name in self.local_sessions:
                return f"l:{name}"
            if name in self.params or name in self.locals:
                return None
            return f"g:{name}"
        if isinstance(node, ast.Attribute):
            text = dotted(node)
            if text is None:
                return None
            if text.startswith("self.") and text.count(".") == 1:
                return f"m:{node.attr}" if node.attr in MEMBER_SESSION_NAMES else None
            head = text.split(".")[0]
            if head in self.params or head in ("self", "cls"):
                return None
            if node.attr == "session":
                return f"g:{text}"
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            text = dotted(node.func)
            if text is not None and text.endswith(("getSession", "get_session")) and not text.startswith("self."):
                return f"g:{text}()"
        return None

    def _assignment(self, name: str, value: ast.AST) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, (ast.Attribute, ast.Name)):
            slot = self.slot(value)
            if slot is not None and (slot.startswith(("p:", "m:")) or slot.endswith(".session")):
                self.aliases[name] = slot
            return
        if isinstance(value, ast.Call):
            method = value.func.attr if isinstance(value.func, ast.Attribute) else None
            built = dotted(value.func)
            if built and built.rpartition(".")[2][:1].isupper() and not built.isupper():
                self.constructed[name] = built  # `dbuser = User(...)`: a mapped class, perhaps
            if method in ("begin", "begin_nested", "get_transaction") and isinstance(value.func, ast.Attribute):
                slot = self.slot(value.func.value)
                if slot is not None and not _opens_inner_transaction(value):
                    self.transactions[name] = slot
                return
            if self._makes_session(value):
                self.local_sessions.add(name)
                return
            if method in NONE_ABLE or _is_get(value):
                self.none_names[name] = value.lineno if method in NONE_ABLE else -value.lineno
                return
            if method in ROWS:
                self.row_names.add(name)
                return
            receiver = value.func.value if isinstance(value.func, ast.Attribute) else None
            if method == "query" or method in QUERY_BUILDERS and isinstance(receiver, ast.Name) and \
                    receiver.id in self.query_names:
                self.query_names.add(name)
                entity = _query_entity(value, self.query_entities)
                if entity is not None:
                    self.query_entities[name] = entity
            elif method in QUERY_BUILDERS and isinstance(receiver, ast.Name) and receiver.id in self.call_names:
                self.call_names[name] = self.call_names[receiver.id]  # q = helper(...); q = q.filter(...)
            elif method is None and dotted(value.func):
                self.call_names[name] = dotted(value.func)  # type: ignore[assignment]

    def _tested(self, test: ast.AST) -> None:
        for node in ast.walk(test):
            if isinstance(node, ast.Name):
                self.checked.add(node.id)

    def _call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute):
            method = func.attr
            slot = self.slot(func.value)
            if slot is not None and slot.startswith("l:") and method in COMMIT:
                self.commits_local = True
            if slot is not None and slot.startswith("p:"):
                self._instance_event(slot, method, call)
            if slot is not None and not slot.startswith("l:"):
                if method in WORK:
                    if not any(keyword.arg == "load" and isinstance(keyword.value, ast.Constant)
                               and keyword.value.value is False for keyword in call.keywords):
                        # (`merge(cached, load=False)` attaches a clean object: no work)
                        self.work.append([slot, call.lineno])
                    return
                if method in COMMIT:
                    self.commits.add(slot)
                    return
                if method in SETTLE:
                    self.settles.add(slot)
                    return
                if method in FLUSH:
                    self.flushes.add(slot)
                    return
        callee = dotted(func)
        if callee is None or callee in _BUILTINS:
            return
        arguments: List[List[object]] = []
        for position, argument in enumerate(call.args):
            slot = self.slot(argument.value if isinstance(argument, ast.Starred) else argument)
            if slot is not None and _passable(slot):
                arguments.append([position, slot])
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            slot = self.slot(keyword.value)
            if slot is not None and _passable(slot):
                arguments.append([keyword.arg, slot])
        # `add_to_session(..., commit_transaction=True)`: a library call that may commit.
        flags = ["commit-kw"] if any(keyword.arg and "commit" in keyword.arg for keyword in call.keywords) else []
        self.calls.append([callee, call.lineno, call.col_offset, arguments, *flags])

    def _instance_event(self, slot: str, method: str, call: ast.Call) -> None:
        """What a caller's session does to the objects this function gives it."""
        first = call.args[0] if call.args else None
        if method == "add" and isinstance(first, ast.Name):
            self.instances[first.id] = (slot, "fresh")
            built = self.constructed.get(first.id)
            if built is not None:
                self.instance_classes[first.id] = built
        elif method in COMMIT:
            for name, (held, state) in list(self.instances.items()):
                if held == slot:
                    self.instances[name] = (slot, "expired")
        elif method == "refresh" and isinstance(first, ast.Name) and first.id in self.instances:
            held, state = self.instances[first.id]
            if held == slot and state == "expired" and len(call.args) == 1 and not call.keywords:
                self.instances[first.id] = (slot, "refreshed")

    def _return(self, value: ast.AST) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name) and value.id in self.instances and self.instances[value.id][1] != "fresh":
            # `return user` after committing the caller's session: the caller gets it expired.
            self.returned_instance = [*self.instances[value.id], self.instance_classes.get(value.id)]
        if isinstance(value, ast.Call) and _made_by(value) == "cast" and len(value.args) == 2:
            value = value.args[1]  # `return cast("Session", self._session_maker())`
        if isinstance(value, ast.Call):
            method = value.func.attr if isinstance(value.func, ast.Attribute) else None
            if self._makes_session(value) or _makes_session_through_cast(value):
                self.returns.add("session")
            elif method in NONE_ABLE:
                self.returns.add("none")
            elif _is_get(value):
                # `return db.session.get(cls, id)`: a lookup by primary key, mostly of rows a
                # foreign key or the caller already vouches for; None-able for its callers
                # only when the helper says so (`-> Optional[X]`).
                self.returns.add("none-by-key")
            elif method in ROWS:
                self.returns.add("rows")
                self.rows_entity = _query_entity(value.func.value, self.query_entities)  # type: ignore[attr-defined]
            elif method == "query" and self.slot(value.func.value) is not None:  # type: ignore[attr-defined]
                self.returns.add("query")
            elif method in QUERY_BUILDERS:
                root: ast.AST = value
                joined_only, joins_a_class = True, False
                while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) and \
                        root.func.attr in QUERY_BUILDERS:
                    if root.func.attr != "join":
                        joined_only = False
                    elif root.args and _names_a_class(root.args[0]):
                        joins_a_class = True
                    root = root.func.value
                if isinstance(root, ast.Name) and root.id in self.params and (
                        not joined_only or joins_a_class or self.module_evidence):
                    # `return query.options(...)`: the caller's query, refined. (A chain of
                    # `join` alone is `sep.join(parts)` as often: a query's only when it joins
                    # a class or the module shows SQLAlchemy's evidence.)
                    self.returns.add(f"refines:{root.id}")
                elif isinstance(root, ast.Name) and root.id in self.query_names:
                    self.returns.add("query")
            else:
                callee = dotted(value.func)
                if callee:
                    self.returns.add(f"call:{callee}")
        elif isinstance(value, ast.Name):
            if value.id in self.none_names and value.id not in self.checked:
                self.returns.add("none" if self.none_names[value.id] > 0 else "none-by-key")
            elif value.id in self.row_names:
                self.returns.add("rows")
            elif value.id in self.query_names:
                self.returns.add("query")
            elif value.id in self.call_names:
                self.returns.add(f"call:{self.call_names[value.id]}")

    def _entry(self) -> Optional[str]:
        function = self.function
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for decorator in function.decorator_list:
            callee = _callee(decorator)
            last = callee.attr if isinstance(callee, ast.Attribute) else callee.id if isinstance(callee, ast.Name) else ""
            if isinstance(decorator, ast.Call) and isinstance(callee, ast.Attribute) and last in VIEW_DECORATORS:
                return "view"
            if last == "command":
                return "command"
        return None


_BUILTINS = frozenset("""len isinstance str int float bool list dict set tuple print repr range
enumerate zip sorted reversed min max sum any all getattr setattr hasattr type super iter next
open format round abs map filter id hash vars dir issubclass callable""".split())


def _query_entity(node: ast.AST, known: Dict[str, str]) -> Optional[str]:
    """`User` of `session.query(User)`, `select(User)`, or of a chain of builders on one of
    them or on a name `known` maps (`q = q.filter(...)`); None when it selects anything else."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_BUILDERS:
        node = node.func.value
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.Call) and _last_name(node.func) in ("query", "select") and len(node.args) == 1 \
            and not node.keywords:
        entity = dotted(node.args[0])
        return entity if entity and (entity == "cls" or entity.rpartition(".")[2][:1].isupper()) else None
    return None


def _session_wrapper(classdef: ast.ClassDef) -> Optional[str]:
    """A class used as `with GetDB() as db:` whose `__enter__` returns a session it made
    (`self.db = SessionLocal()` then `return self.db`) and whose `__exit__` closes it:
    "commits" when `__exit__` also commits, "plain" otherwise; None for any other class."""
    methods = {item.name: item for item in classdef.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    enter = methods.get("__enter__") or methods.get("__aenter__")
    if enter is None:
        return None
    made = {target.attr for method in methods.values() for node in ast.walk(method) if isinstance(node, ast.Assign)
            and _makes_session(node.value)
            for target in node.targets if isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name) and target.value.id == "self"}
    returned = [node.value for node in ast.walk(enter) if isinstance(node, ast.Return) and node.value is not None]
    if not returned or not all(
            _makes_session(value) or isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)
            and value.value.id == "self" and value.attr in made for value in returned):
        return None
    leave = methods.get("__exit__") or methods.get("__aexit__")
    called = {node.func.attr for node in ast.walk(leave) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute)} if leave is not None else set()
    # Only a wrapper that closes the session ends it with the block.
    if "close" not in called:
        return None
    return "commits" if "commit" in called else "plain"


def _makes_session(value: ast.AST) -> bool:
    """`Session(engine)`, `SessionLocal()`, `self.maker()`: a session this function owns."""
    if not isinstance(value, ast.Call):
        return False
    callee = dotted(value.func) or ""
    last = callee.rpartition(".")[2]
    return last in ("Session", "AsyncSession") or last.endswith(("SessionLocal", "_session", "session_maker"))


def _opens_inner_transaction(call: ast.Call) -> bool:
    """`session.begin_nested()`, `session.begin(subtransactions=True)` / `begin(nested=True)`:
    their `commit()` does not commit the session's transaction."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "begin_nested":
        return True
    return func.attr == "begin" and any(
        keyword.arg in ("subtransactions", "nested") and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True for keyword in call.keywords)


def _optional_annotation(annotation: Optional[ast.AST]) -> bool:
    """`-> Optional[User]`, `-> User | None`, `-> "User | None"`."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return "Optional[" in annotation.value or "None" in annotation.value
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and node.value is None:
            return True
        if (isinstance(node, ast.Name) and node.id == "Optional") or (
                isinstance(node, ast.Attribute) and node.attr == "Optional"):
            return True
    return False


def _makes_session_through_cast(call: ast.Call) -> bool:
    callee = dotted(call.func) or ""
    return callee.rpartition(".")[2] == "cast" and len(call.args) == 2 and _makes_session(call.args[1])


def _made_by(call: ast.Call) -> Optional[str]:
    """The callee that makes a module-level object, seeing through `cast(T, value)`."""
    callee = dotted(call.func)
    if callee is not None and callee.rpartition(".")[2] == "cast" and len(call.args) == 2 and isinstance(
            call.args[1], ast.Call):
        return dotted(call.args[1].func)
    return callee


def _callee(decorator: ast.AST) -> ast.AST:
    return decorator.func if isinstance(decorator, ast.Call) else decorator


# A function whose text has none of these touches no session itself: it gets light facts.
_FACT_WORDS = (
    "session", "Session", "commit", "flush", "rollback", "add(", "add_all", "delete(", "merge(",
    "execute", "query", "first(", "one_or_none", "scalar", ".get(", ".all(", "yield", "db", "begin",
    "enqueue", "delay(", "apply_async", "add_job", "Thread", "Process", "python_callable", "Job",
    "spawn", "executor", "transaction", "route", "Depends", "command", "Optional", "None",
)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_RETURN_REFINED = re.compile(r"\breturn\s+([A-Za-z_]\w*)\s*\.\s*(\w+)\s*\(\s*([A-Za-z_][\w.]*)?")
_RETURN_CALL = re.compile(r"\breturn\s+(?:await\s+)?([A-Za-z_][\w.]*)\s*\(")


def _light_facts(function: ast.AST, segment: str, module_evidence: bool = False) -> Dict[str, object]:
    """The facts of a function that touches no session: its parameters, decorators and
    entry, the calls its text makes (for the call graph), and the calls it returns."""
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    arguments = function.args
    params = [arg.arg for arg in [*getattr(arguments, "posonlyargs", []), *arguments.args, *arguments.kwonlyargs]]
    calls: List[List[object]] = []
    line = function.lineno
    position = 0
    for match in _CALL.finditer(segment):
        callee = match.group(1)
        if callee in _BUILTINS or callee in _KEYWORDS:
            continue
        line += segment.count("\n", position, match.start())
        position = match.start()
        calls.append([callee, line, 0, []])
    scanner = _FunctionScanner(function, None)
    return {
        "line": function.lineno, "params": params, "session_params": [], "entry": scanner._entry(),
        "work": [], "commits": [], "settles": [], "flushes": [], "calls": calls,
        "returns": sorted({f"call:{name}" for name in _RETURN_CALL.findall(segment)
                           if name.split(".")[0] not in params}
                          | {f"refines:{name}" for name, method, argument in _RETURN_REFINED.findall(segment)
                             if name in params and method in QUERY_BUILDERS and (
                                 method != "join" or module_evidence or _spells_a_class(argument))}),
        "returns_optional": False, "yields_session": False, "commits_local": False,
        "is_async": isinstance(function, ast.AsyncFunctionDef),
        "decorators": [name for name in (dotted(_callee(d)) for d in function.decorator_list) if name],
        "wraps_commit": False,
    }


_KEYWORDS = frozenset({"if", "elif", "while", "for", "return", "and", "or", "not", "in", "is", "await",
                       "lambda", "with", "assert", "del", "yield", "print", "def", "class", "except", "raise"})


def _children(node: ast.AST) -> List[ast.AST]:
    """`ast.iter_child_nodes`, leaving out what never holds a fact: contexts and operators
    (every Name has one), constants and f-strings, import aliases."""
    children: List[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value is None or type(value) in _LEAVES:
            continue
        if type(value) is list:
            children.extend(item for item in value if isinstance(item, ast.AST) and type(item) not in _LEAVES)
        elif isinstance(value, ast.AST):
            children.append(value)
    return children


_LEAVES = frozenset({
    ast.Load, ast.Store, ast.Del, ast.Constant, ast.JoinedStr, ast.alias,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow, ast.FloorDiv, ast.MatMult, ast.BitOr, ast.BitAnd,
    ast.BitXor, ast.LShift, ast.RShift, ast.And, ast.Or, ast.Not, ast.Invert, ast.UAdd, ast.USub,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
})
_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})


def _annotation_is_session(annotation: Optional[ast.AST]) -> bool:
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return any(name in annotation.value for name in SESSION_TYPES)
    for node in ast.walk(annotation):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name in SESSION_TYPES:
            return True
    return False


def _is_get(call: ast.Call) -> bool:
    """`session.get(Model, id)` / `Model.query.get(id)`: None for a missing row."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "get" and call.args):
        return False
    receiver = dotted(func.value) or ""
    last = receiver.rpartition(".")[2]
    return last == "query" or last in SESSION_NAMES or receiver.endswith(".session")


def _passable(slot: str) -> bool:
    return slot.startswith(("p:", "g:", "m:"))


def _session_like(slot: str) -> bool:
    """A slot that stands for a session by more than being a module-level name: a parameter,
    an attribute, a `db.session`, or a module-level name spelled like one."""
    name = slot[2:]
    if not slot.startswith("g:") or "." in name or name.endswith("()"):
        return True
    return name[:1].isupper() or name in SESSION_NAMES or "session" in name.lower()


def _names_a_class(node: ast.AST) -> bool:
    """`User`, `User.addresses`, `models.User`: a dotted name with a capitalised part (what
    a query joins; `sep.join(parts)` joins a list)."""
    text = dotted(node)
    return text is not None and _spells_a_class(text)


def _spells_a_class(text: str) -> bool:
    return any(part[:1].isupper() for part in text.split(".") if part)


def _runs_lookup(scanner: "_FunctionScanner") -> bool:
    """A call in the function's own body that may find no row: `.first()`, `.one_or_none()`,
    `.scalar*()`, `.fetchone()`, `session.get(...)` / `Model.query.get(...)`."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and (node.func.attr in _LOOKUPS or _is_get(node)) for node in scanner.own_nodes)


_LOOKUPS = frozenset({"first", "one_or_none", "scalar", "scalar_one_or_none", "fetchone", "get_or_404",
                      "first_or_404", "one_or_404"})


def structure_facts(text: str) -> Optional[FactsJSON]:
    """`inert_facts(scan_facts(text))`, without walking what only the session facts need:
    the statements are followed (functions, classes, imports live only there), the
    expressions are not. None when `ast` cannot read the module."""
    tree = parse_module(text)
    if tree is None:
        return None
    scanner = _ModuleScanner(text)
    for statement in tree.body:
        scanner._top_level(statement)
    light: Dict[str, Dict[str, object]] = {}
    full: Dict[str, Dict[str, object]] = {}
    # (statement, the qualname of the function it is in (None: none, or one without a
    # qualname), inside some function, the module-level class it is in), as `_walk` has them.
    stack: List[Tuple[ast.AST, Optional[str], bool, Optional[str], bool]] = [
        (statement, None, False, None, False) for statement in reversed(tree.body)]
    while stack:
        node, own, around, in_class, in_function = stack.pop()
        kind = type(node)
        if kind in _FUNCTIONS:
            assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            if not in_function:
                qualname: Optional[str] = f"{in_class}.{node.name}" if in_class else node.name
            else:
                qualname = f"{own}.<locals>.{node.name}" if own is not None and "<locals>" not in own else None
            segment = scanner._segment(node)
            if segment is not None and not any(word in segment for word in _FACT_WORDS):
                if qualname is not None:
                    light[qualname] = _inert_function(node)
                continue
            if qualname is not None:
                full[qualname] = _inert_function(node)
            stack.extend((child, qualname, True, None, True) for child in reversed(_statements_in(node)))
            continue
        if kind is ast.ClassDef:
            assert isinstance(node, ast.ClassDef)
            top_class = node.name if not in_function and not around and in_class is None else None
            stack.extend((child, None, around, top_class, False) for child in reversed(node.body))
            continue
        if (kind is ast.Import or kind is ast.ImportFrom) and around:
            saved = dict(scanner.imports)
            scanner._top_level(node)  # type: ignore[arg-type]
            scanner.imports.update(saved)
        stack.extend((child, own, around, in_class, in_function) for child in reversed(_statements_in(node)))
    if any(word in text for word in _JOB_WORDS):
        _module_jobs(scanner, tree)
    classes = {name: {**info, "session_wrapper": None} for name, info in scanner.classes.items()}
    return {"imports": scanner.imports, "classes": classes, "functions": {**light, **full},
            "jobs": sorted(scanner.jobs), "assigned": scanner.assigned, "query_property": [], "mapped": {},
            "inert": True}


# A module whose text has none of these names no job (`_ModuleScanner._job_references`).
_JOB_WORDS = (*JOB_TAKERS, "python_callable")


def _module_jobs(scanner: "_ModuleScanner", tree: ast.Module) -> None:
    """The job references `_ModuleScanner._walk` records: of every call but those inside
    functions that get light facts (it does not walk them)."""
    stack: List[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in _FUNCTIONS:
            segment = scanner._segment(node)
            if segment is not None and not any(word in segment for word in _FACT_WORDS):
                continue
        elif kind is ast.Call:
            scanner._job_references(node)  # type: ignore[arg-type]
        stack.extend(reversed(_children(node)))


def _statements_in(node: ast.AST) -> List[ast.AST]:
    """The statements directly inside a compound statement (its blocks, its handlers' and
    cases' blocks); nothing for a simple one."""
    found: List[ast.AST] = []
    for name in node._fields:  # in the order of the fields, as `_walk` visits them
        block = getattr(node, name, None)
        if name in ("body", "orelse", "finalbody") and type(block) is list:
            found.extend(block)
        elif name in ("handlers", "cases") and type(block) is list:
            for item in block:
                found.extend(item.body)
    return found


def _inert_function(function: ast.AST) -> Dict[str, object]:
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    arguments = function.args
    return {
        "line": function.lineno,
        "params": [arg.arg for arg in [*getattr(arguments, "posonlyargs", []), *arguments.args, *arguments.kwonlyargs]],
        "session_params": [], "entry": _FunctionScanner(function, None)._entry(),
        "work": [], "commits": [], "settles": [], "flushes": [], "calls": [], "returns": [],
        "returns_optional": False, "yields_session": False, "commits_local": False,
        "is_async": isinstance(function, ast.AsyncFunctionDef),
        "decorators": [name for name in (dotted(_callee(d)) for d in function.decorator_list) if name],
        "wraps_commit": False,
    }


def inert_facts(facts: FactsJSON) -> FactsJSON:
    """The facts of a module outside the project's relevant modules (`summaries.py`): where
    its functions and classes are, what it imports and which of its own functions it runs as
    jobs, nothing it does with a session or a query. Imports resolve through it as through
    any module; its functions' summaries say nothing (but whether they are entries), and it
    is no caller of anything."""
    functions = {}
    for qualname, info in facts["functions"].items():  # type: ignore[union-attr]
        functions[qualname] = {
            "line": info["line"], "params": info["params"], "session_params": [], "entry": info.get("entry"),
            "work": [], "commits": [], "settles": [], "flushes": [], "calls": [], "returns": [],
            "returns_optional": False, "yields_session": False, "commits_local": False,
            "is_async": info.get("is_async", False), "decorators": info.get("decorators", []), "wraps_commit": False,
        }
    classes = {name: {**info, "session_wrapper": None} for name, info in facts["classes"].items()}  # type: ignore[union-attr]
    return {"imports": facts["imports"], "classes": classes, "functions": functions, "jobs": facts.get("jobs", []),
            "assigned": facts.get("assigned", {}), "query_property": [], "mapped": {}, "inert": True}


# == Mapped classes (ORM30x across modules) =======================================================
# What a module says about its classes that another module's rows need: the relationships a
# class declares (and the backrefs it puts on other classes), its table and foreign keys (to
# tell one row from a collection), its metaclass (`Model.q` as a metaclass property), its
# `query_property()` attributes, and the Python properties whose body runs a query. Read from
# the class bodies' top-level statements only (and the bodies of those properties): no walk
# of the whole module. Resolved across modules by `project/mapped_classes.py`.

_RELATIONSHIP_CALLS = frozenset({"relationship", "relation", "Relationship"})
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "hybrid_property", "reify"})
# Methods that run the query they are called on.
_RUNS_QUERY = frozenset({"all", "first", "one", "one_or_none", "count", "scalar", "get", "scalars",
                         "execute", "exists", "scalar_one", "scalar_one_or_none", "fetchall"})


def mapped_class_facts(tree: ast.Module) -> Dict[str, object]:
    """`{"classes": {name: {...}}, "metas": {name: metaclass}, "tables": {name: [[column,
    ...], ...]}}`, the mapped-class facts of a module (`tables`: the unique column sets of
    each Core table it binds, only when it binds one); each class entry has `rels`
    (attribute -> [target, uselist, secondary, annotation shape, lazy]), `backrefs` ([target,
    attribute, uselist, lazy, forward attribute]), `table`, `fks`, `meta`, `query_attrs` and `props` (property -> the
    `self.<attr>.<method>()` calls and direct queries its body runs)."""
    classes: Dict[str, Dict[str, object]] = {}
    metas: Dict[str, str] = {}  # `Base = declarative_base(metaclass=M)`
    tables = _core_table_unique_sets(tree.body)
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            entry = _mapped_class(statement)
            if entry:
                classes[statement.name] = entry
            # buildbot's `class Model:` holds its `Table`s as class attributes, indexed in its body.
            for name, sets in _core_table_unique_sets(statement.body).items():
                tables.setdefault(name, []).extend(sets)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                meta = _keyword_dotted(value, "metaclass")
                if meta:
                    metas[target.id] = meta
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and isinstance(value, ast.Call):
                # `Package.last_build = relationship(Build, uselist=False)` after the class.
                relationship = _relationship_fact(value, None)
                if relationship is not None:
                    entry = classes.setdefault(target.value.id, _empty_mapped())
                    entry["rels"][target.attr] = relationship  # type: ignore[index]
    facts: Dict[str, object] = {"classes": classes, "metas": metas} if classes or metas else {}
    if tables:
        facts = {"classes": classes, "metas": metas, "tables": tables}
    return facts


def _empty_mapped() -> Dict[str, object]:
    return {"rels": {}, "backrefs": [], "table": None, "fks": [], "meta": None, "query_attrs": [], "props": {}}


def _mapped_class(classdef: ast.ClassDef) -> Dict[str, object]:
    entry = _empty_mapped()
    meta = next((dotted(keyword.value) for keyword in classdef.keywords if keyword.arg == "metaclass"), None)
    for decorator in classdef.decorator_list:  # `@as_declarative(metaclass=_ModelMeta)`
        if isinstance(decorator, ast.Call):
            meta = meta or _keyword_dotted(decorator, "metaclass")
    entry["meta"] = meta
    primary: List[str] = []  # the primary key's columns, unique together
    for statement in classdef.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_last_name(_callee(d)) in _PROPERTY_DECORATORS for d in statement.decorator_list):
                runs = _queries_run(statement)
                if runs:
                    entry["props"][statement.name] = runs  # type: ignore[index]
            continue
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            name, value, annotation = statement.targets[0].id, statement.value, None
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value, annotation = statement.target.id, statement.value, statement.annotation
        else:
            continue
        if name == "__tablename__" and isinstance(value, ast.Constant) and isinstance(value.value, str):
            entry["table"] = value.value
            continue
        if value is None:
            continue
        if name == "__table_args__":
            entry.setdefault("unique", []).extend(_unique_constraints(value))  # type: ignore[attr-defined]
            continue
        entry["fks"].extend(_foreign_key_targets(value))  # type: ignore[attr-defined]
        if not isinstance(value, ast.Call):
            continue
        if _declared_not_null(value, annotation):
            entry.setdefault("required", []).append(name)  # type: ignore[attr-defined]
        if _last_name(value.func) in ("Column", "mapped_column"):
            if _is_true(_keyword_value(value, "unique")):
                entry.setdefault("unique", []).append([name])  # type: ignore[attr-defined]
            if _is_true(_keyword_value(value, "primary_key")):
                primary.append(name)
        if _last_name(value.func) == "query_property":
            entry["query_attrs"].append(name)  # type: ignore[attr-defined]
            continue
        relationship = _relationship_fact(value, annotation)
        if relationship is None:
            continue
        entry["rels"][name] = relationship  # type: ignore[index]
        backref = _keyword_value(value, "backref")
        if backref is not None and relationship[0]:
            if isinstance(backref, ast.Constant) and isinstance(backref.value, str):
                entry["backrefs"].append([relationship[0], backref.value, None, "select", name])  # type: ignore[attr-defined]
            elif isinstance(backref, ast.Call) and _last_name(backref.func) == "backref" and backref.args \
                    and isinstance(backref.args[0], ast.Constant) and isinstance(backref.args[0].value, str):
                entry["backrefs"].append([relationship[0], backref.args[0].value,  # type: ignore[attr-defined]
                                          _literal_text(_keyword_value(backref, "uselist")),
                                          _literal_text(_keyword_value(backref, "lazy")) or "select", name])
    if primary:
        entry.setdefault("unique", []).append(primary)  # type: ignore[attr-defined]
    if not (entry["rels"] or entry["table"] or entry["fks"] or entry["meta"] or entry["query_attrs"] or entry["props"]
            or entry["backrefs"]):
        return {}
    return entry


def _is_true(value: Optional[ast.AST]) -> bool:
    return isinstance(value, ast.Constant) and value.value is True


def _unique_constraints(table_args: ast.AST) -> List[List[str]]:
    """The column sets of `UniqueConstraint("table_id", "name")`, `PrimaryKeyConstraint(...)`
    and `Index("ix", "a", "b", unique=True)` in `__table_args__` (a tuple, perhaps ending in a dict of options)."""
    found: List[List[str]] = []
    items = table_args.elts if isinstance(table_args, (ast.Tuple, ast.List)) else [table_args]
    for item in items:
        if not isinstance(item, ast.Call):
            continue
        kind = _last_name(item.func)
        columns = item.args if kind in ("UniqueConstraint", "PrimaryKeyConstraint") \
            else item.args[1:] if kind == "Index" \
            and _is_true(_keyword_value(item, "unique")) else []
        names = [argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                 else _last_name(argument) for argument in columns]
        if names and all(isinstance(name, str) and name.isidentifier() for name in names):
            found.append(names)  # type: ignore[arg-type]
    return found


def _core_table_unique_sets(body: List[ast.stmt]) -> Dict[str, List[List[str]]]:
    """The unique column sets of the Core tables a block binds, by the name they are bound
    to: `users = Table("users", metadata, Column("id", ..., primary_key=True), Column("email",
    ..., unique=True), UniqueConstraint("a", "b"))`, and `Index("ix", users.c.a, users.c.b,
    unique=True)` statements of the same block."""
    found: Dict[str, List[List[str]]] = {}
    for statement in body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call) \
                and _last_name(statement.value.func) == "Table":
            found[statement.targets[0].id] = _table_unique_sets(statement.value)
    for statement in body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            index = statement.value
            columns = [argument for argument in index.args[1:] if isinstance(argument, ast.Attribute)
                       and isinstance(argument.value, ast.Attribute) and argument.value.attr in ("c", "columns")]
            tables = {_last_name(column.value.value) for column in columns}  # type: ignore[attr-defined]
            if _last_name(index.func) == "Index" and _is_true(_keyword_value(index, "unique")) \
                    and columns and len(columns) == len(index.args) - 1 and len(tables) == 1:
                table = tables.pop()
                if table in found:
                    found[table].append([column.attr for column in columns])
    return found  # a table with no unique set too: it keeps a namesake from lending it one


def _table_unique_sets(table: ast.Call) -> List[List[str]]:
    found: List[List[str]] = []
    primary: List[str] = []
    for item in table.args[2:]:
        if not isinstance(item, ast.Call):
            continue
        kind = _last_name(item.func)
        if kind == "Column" and item.args and isinstance(item.args[0], ast.Constant) \
                and isinstance(item.args[0].value, str):
            if _is_true(_keyword_value(item, "primary_key")):
                primary.append(item.args[0].value)
            if _is_true(_keyword_value(item, "unique")):
                found.append([item.args[0].value])
        else:
            found.extend(_unique_constraints(item))
    if primary:
        found.append(primary)
    return found


def _declared_not_null(call: ast.Call, annotation: Optional[ast.AST]) -> bool:
    """A column that can never hold NULL: `Column(..., nullable=False)` or `primary_key=True`,
    or `x: Mapped[int] = mapped_column(...)` (not `Optional`) without `nullable=True`."""
    if _last_name(call.func) not in ("Column", "mapped_column"):
        return False
    nullable = _keyword_value(call, "nullable")
    if isinstance(nullable, ast.Constant) and isinstance(nullable.value, bool):
        return not nullable.value
    primary = _keyword_value(call, "primary_key")
    if isinstance(primary, ast.Constant) and primary.value is True:
        return True
    if _last_name(call.func) != "mapped_column" or not (
            isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Mapped"):
        return False
    inner = ast.unparse(annotation.slice) if hasattr(ast, "unparse") else "None"
    return "Optional" not in inner and "None" not in inner


def _relationship_fact(call: ast.Call, annotation: Optional[ast.AST]) -> Optional[List[object]]:
    """[target, uselist, secondary?, annotated shape, lazy] of a `relationship()` call."""
    if _last_name(call.func) not in _RELATIONSHIP_CALLS:
        return None
    target: Optional[str] = None
    if call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            target = first.value
        else:
            target = dotted(first)
    shape, annotated = _annotated_relationship(annotation)
    target = target or annotated
    return [target, _literal_text(_keyword_value(call, "uselist")), _keyword_value(call, "secondary") is not None,
            shape, _literal_text(_keyword_value(call, "lazy")) or "select"]


_COLLECTION_NAMES = frozenset({"List", "list", "Set", "set", "Sequence", "MutableSequence", "Collection",
                               "Iterable", "FrozenSet", "frozenset", "tuple", "Tuple", "Dict", "dict", "Mapping"})


def _annotated_relationship(annotation: Optional[ast.AST]) -> Tuple[Optional[str], Optional[str]]:
    """("many" | "one" | None, the target class) of `Mapped[List[X]]`, `Mapped[X]`,
    `Mapped[Optional[X]]`, `Mapped["X"]`."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None, None
    if not (isinstance(annotation, ast.Subscript) and _last_name(annotation.value) in (
            "Mapped", "DynamicMapped", "WriteOnlyMapped")):
        return None, None
    inner = annotation.slice
    if isinstance(inner, ast.Subscript):
        head = _last_name(inner.value)
        argument = inner.slice
        if isinstance(argument, ast.Tuple):
            return None, None
        name = argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) \
            else dotted(argument)
        if head in _COLLECTION_NAMES:
            return "many", name
        if head == "Optional":
            return "one", name
        return None, None
    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
        return ("one", inner.value) if inner.value.isidentifier() else (None, None)
    name = dotted(inner)
    return ("one", name) if name else (None, None)


def _foreign_key_targets(value: ast.AST) -> List[str]:
    """`"table.column"` or `Class.column` of every `ForeignKey(...)` in a column declaration."""
    found: List[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            if _last_name(node.func) == "ForeignKey" and node.args:
                first = node.args[0]
                text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else dotted(first)
                if text:
                    found.append(text)
            stack.extend(node.args)
            stack.extend(keyword.value for keyword in node.keywords)
    return found


def _queries_run(function: ast.AST) -> List[List[str]]:
    """The queries a property's body runs: ["self", attr, method] for `self.<attr>.<method>()`
    (a query when `<attr>` is a `lazy="dynamic"` relationship) and ["query", method] for a
    run method on a chain through `.query` / `session` / `select()`."""
    runs: List[List[str]] = []
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RUNS_QUERY):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) \
                and receiver.value.id == "self":
            runs.append(["self", receiver.attr, node.func.attr])
            continue
        chain = receiver
        while True:
            if isinstance(chain, ast.Call):
                if _last_name(chain.func) in ("query", "select"):
                    runs.append(["query", node.func.attr])
                    break
                chain = chain.func
            elif isinstance(chain, ast.Attribute):
                if chain.attr == "query" or (chain.attr == "session" and node.func.attr != "get"):
                    runs.append(["query", node.func.attr])
                    break
                chain = chain.value
            else:
                break
    return runs


def _last_name(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _keyword_value(call: ast.Call, name: str) -> Optional[ast.AST]:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _keyword_dotted(call: ast.Call, name: str) -> Optional[str]:
    value = _keyword_value(call, name)
    return dotted(value) if value is not None else None


def _literal_text(node: Optional[ast.AST]) -> Optional[str]:
    """`"dynamic"` -> dynamic, `True` -> True, anything computed -> `?`, absent -> None."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool)) or (
            isinstance(node, ast.Constant) and node.value is None):
        return str(node.value)
    return "?"


_PICKING_METHODS = frozenset({"get", "get_or_404", "filter_by", "filter", "where"})


def _picking_parameters(scanner: "_FunctionScanner") -> List[str]:
    """The parameters that pick the rows of the query a lookup helper runs and returns:
    `session.get(Model, p)` / `Model.query.get(p)`, `.filter_by(name=p)`, `.filter(Col == p)`,
    and `**kwargs` handed to `.filter_by(**kwargs)` (written `**kwargs`). A filter counts only
    in a function that returns the rows (or the row) of a query; `.get()` runs where it is."""
    returns_rows = bool(scanner.returns & {"rows", "none", "none-by-key"})
    function = scanner.function
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    params = set(scanner.params) - {"self", "cls"}
    kwargs = function.args.kwarg.arg if function.args.kwarg is not None else None
    found: Set[str] = set()
    for node in scanner.own_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _PICKING_METHODS):
            continue
        method, receiver = node.func.attr, node.func.value
        slot = scanner.slot(receiver) if method in ("get", "get_or_404") and len(node.args) == 2 else None
        # `session.get(Model, key)`: a session's slot, a module-level name that reads as a
        # session (`Session`, `DBSession`, `db`) or one given a class (`cls`, `User`); not
        # `_cache.get(key, default)`.
        on_session = slot is not None and (_session_like(slot) or _names_a_class(node.args[0]) or (
            isinstance(node.args[0], ast.Name) and node.args[0].id == "cls"))
        if not on_session and not _on_query(receiver, scanner.query_names):
            continue
        if not returns_rows and method not in ("get", "get_or_404"):
            continue  # a query built here and not returned: run elsewhere, or not at all
        if method in ("get", "get_or_404"):
            values: List[ast.AST] = list(node.args[-1:])
        elif method == "filter_by":
            values = []
            for keyword in node.keywords:
                if keyword.arg is None and isinstance(keyword.value, ast.Name) and keyword.value.id == kwargs:
                    found.add(f"**{kwargs}")
                elif keyword.arg is not None:
                    values.append(keyword.value)
        else:
            values = [arg.comparators[0] for arg in node.args if isinstance(arg, ast.Compare)
                      and len(arg.ops) == 1 and isinstance(arg.ops[0], ast.Eq) and isinstance(arg.left, ast.Attribute)]
        found.update(value.id for value in values if isinstance(value, ast.Name) and value.id in params)
    return sorted(found)


# == Arguments read off loaded rows (ORM201) =======================================================
# `TaskMap.expand(ti.task, self.run_id)` in a `DagRun` method, `Dashboard.export(ids)` with
# `ids` filled from `dashboard.id` of every queried `Dashboard`: the callee that looks the row
# up again by that key finds it (`project/summaries.py`, `callers`, and ORM201).
_RUNS_ROWS = frozenset({"all", "scalars", "unique", "yield_per"})


def _row_key_arguments(scanner: "_FunctionScanner") -> List[List[object]]:
    """`[callee, line, position | keyword, class as written, attribute, each]` for each call
    argument that is a column of a row this function holds: `self.attr` in a method (not
    `__init__`: a row being built), `row.attr` of a loop over a query's rows (`each` false), or a
    list/set filled only with such (`ids.add(row.id)`, `{r.id for r in q}`; `each` true)."""
    function = scanner.function
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    loop_rows: Dict[str, str] = {}  # loop variable -> class of the rows it walks
    for node in scanner.own_nodes:
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            entity = _rows_entity_of(node.iter, scanner.query_entities)
            if entity is not None:
                loop_rows[node.target.id] = entity
    filled = _collections_of_row_keys(scanner, loop_rows)
    qualname = scanner.qualname or ""
    owner = qualname.partition(".")[0] if "." in qualname and function.name != "__init__" else None
    found: List[List[object]] = []
    own = {id(node) for node in scanner.own_nodes}
    for node in scanner.inner_calls:  # nested closures too: `self` there is the method's row
        callee = dotted(node.func)
        if callee is None or callee in _BUILTINS:
            continue
        passed = [(position, argument) for position, argument in enumerate(node.args)]
        passed += [(keyword.arg, keyword.value) for keyword in node.keywords if keyword.arg is not None]
        nested = id(node) not in own  # its loop variables are the nested function's own
        for where, argument in passed:
            key = _row_key(argument, owner, {} if nested else loop_rows, {} if nested else filled)
            if key is not None:
                found.append([callee, node.lineno, where, *key])
    return found


def _row_key(argument: ast.AST, owner: Optional[str], loop_rows: Dict[str, str],
             filled: Dict[str, Tuple[str, str]]) -> Optional[List[object]]:
    if isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name):
        holder = argument.value.id
        if holder == "self" and owner is not None:
            return [owner, argument.attr, False]
        if holder in loop_rows:
            return [loop_rows[holder], argument.attr, False]
    if isinstance(argument, ast.Name) and argument.id in filled:
        return [*filled[argument.id], True]
    if isinstance(argument, (ast.ListComp, ast.SetComp)) and len(argument.generators) == 1:
        generator = argument.generators[0]
        element = argument.elt
        entity = _rows_entity_of(generator.iter, {})
        if entity is not None and not generator.ifs and isinstance(generator.target, ast.Name) \
                and isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name) \
                and element.value.id == generator.target.id:
            return [entity, element.attr, True]
    return None


def _nested_calls(scanner: "_FunctionScanner") -> List[List[object]]:
    """`[callee, line]` of the calls inside functions nested in this one."""
    own = {id(node) for node in scanner.own_nodes}
    return [[callee, node.lineno] for node in scanner.inner_calls
            if id(node) not in own and (callee := dotted(node.func)) is not None and callee not in _BUILTINS]


def _rows_entity_of(node: ast.AST, known: Dict[str, str]) -> Optional[str]:
    """The class of the rows `node` yields when iterated: a query of one class (`q`,
    `session.query(User)`, `select(User)` run by `session.scalars()`), or its `.all()`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RUNS_ROWS:
        if node.func.attr == "scalars" and node.args:
            node = node.args[0]  # `session.scalars(select(User))`
            continue
        node = node.func.value
    return _query_entity(node, known)


def _collections_of_row_keys(scanner: "_FunctionScanner",
                             loop_rows: Dict[str, str]) -> Dict[str, Tuple[str, str]]:
    """Names bound once to an empty `set()`/`[]` and filled only by `name.add(row.attr)` /
    `name.append(row.attr)` of rows one loop walks: name -> (class, attribute)."""
    empty: Set[str] = set()
    bound: Dict[str, int] = {}
    for node in scanner.own_nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, (ast.List, ast.Set)) and not value.elts or isinstance(value, ast.Call) \
                    and isinstance(value.func, ast.Name) and value.func.id in ("set", "list") and not value.args:
                empty.add(node.targets[0].id)
    keys: Dict[str, Set[Tuple[str, str]]] = {}
    spoiled: Set[str] = set()
    for node in scanner.own_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in empty):
            continue
        name = node.func.value.id
        element = node.args[0] if len(node.args) == 1 else None
        if node.func.attr in ("add", "append") and isinstance(element, ast.Attribute) \
                and isinstance(element.value, ast.Name) and element.value.id in loop_rows:
            keys.setdefault(name, set()).add((loop_rows[element.value.id], element.attr))
        elif node.func.attr not in ("copy", "count", "index"):
            spoiled.add(name)
    return {name: next(iter(found)) for name, found in keys.items()
            if len(found) == 1 and name not in spoiled and bound.get(name) == 1}


def _annotated_query(annotation: Optional[ast.AST]) -> Optional[str]:
    """`Query` / `orm.Query` of `-> Query` (the project checks it names SQLAlchemy's)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        text = annotation.value.strip()
    else:
        text = dotted(annotation) if annotation is not None else None
    return text if text and text.rpartition(".")[2] == "Query" and text.replace(".", "").isidentifier() else None


def _returns_page(scanner: "_FunctionScanner") -> bool:
    """The function returns a query (or its rows) cut to a page, `.slice(start, stop)` or
    `.offset(n)`, before any `.order_by()`: which rows the page holds is up to the database."""
    if not scanner.returns & {"query", "rows"}:
        return False
    cuts: List[Tuple[int, int]] = []
    orders: List[Tuple[int, int]] = []
    for node in scanner.own_nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("slice", "offset", "order_by") \
                and _on_query(node.func.value, scanner.query_names):
            where = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
            (orders if node.func.attr == "order_by" else cuts).append(where)
    return bool(cuts) and not any(order < min(cuts) for order in orders)


def _on_query(node: ast.AST, query_names: Set[str]) -> bool:
    """`node` is a query: a chain through `.query(...)`, `.query`, `select(...)`, or a local
    name bound to a query."""
    while True:
        if isinstance(node, ast.Call):
            if _last_name(node.func) in ("query", "select"):
                return True
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "query":
                return True
            node = node.value
        else:
            return isinstance(node, ast.Name) and node.id in query_names
# == end of mapped classes ========================================================================


# == Rows of a known class (ORM30x) ================================================================
# Which class the row a function returns is of (`return session.query(Build)...first()`), and
# which class the rows of a list it fills and returns are of (`found = []`, then
# `found.append(hc)` of rows it looked up): the rows rules then know the class of a loop's
# item, and so which of its attributes are relationships, through a helper. Flow-insensitive
# like every fact: a name counts only when each of its assignments says the same.

# Methods returning one row of the query or result they are called on, or the row a key picks.
_ONE_ROW = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "first_or_404",
                      "one_or_404", "get", "get_or_404", "get_one"})
# What turns a statement into rows: `session.scalars(stmt)`, `session.execute(stmt)`, `.scalar(stmt)`.
_RUNS_STATEMENT = frozenset({"scalars", "execute", "scalar"})


def returned_row_entity(nodes: List[ast.AST]) -> Optional[str]:
    """The mapped class (as the module writes it) of the one row the function returns: `return
    q.first()`, `return session.get(Build, id)`, `return session.scalars(select(X)...).one()`,
    or a local bound only to such a row; None when its returns name no class or two."""
    queries, rows = _row_names(nodes)
    found: Set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            entity = rows.get(value.id) if isinstance(value, ast.Name) else _one_row_entity(value, queries)
            if entity:
                found.add(entity)
    return found.pop() if len(found) == 1 else None


def filled_rows(nodes: List[ast.AST]) -> List[str]:
    """What the items of the list the function fills and returns are: `result = []` (or
    `list()`, or a copy `list(self.host.categories)`), then only `result.append(item)`, and
    `return result`. Each item is a row of a class the module names (`X`), a row some project
    function returns (`call:<callee>`, resolved by the project), or a loop's row of a query of
    one class. Empty when anything else goes into the list or when it is not what is returned."""
    queries, rows = _row_names(nodes)
    returned = {node.value.id for node in nodes if isinstance(node, ast.Return) and isinstance(node.value, ast.Name)}
    if len(returned) != 1:
        return []
    name = returned.pop()
    stores = [node for node in nodes if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)]
    starts = [node for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name and _starts_a_list(node.value)]
    if not starts or len(starts) != len(stores):
        return []  # bound some other way too (a loop target, a second value)
    kinds: Set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name \
                and node.attr not in ("append", "copy", "count", "index", "sort", "reverse"):
            return []  # `extend()`, `insert()`, `+=`: items we cannot name
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == name):
            continue
        item = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if isinstance(item, ast.Name):
            kind = _item_kind(item, nodes, queries, rows)
        else:
            kind = _one_row_entity(item, queries) or _looked_up(item) if item is not None else None
        if kind is None:
            return []
        kinds.add(kind)
    if any(isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name
           for node in nodes):
        return []
    return sorted(kinds)


def _calls_options(nodes: List[ast.AST]) -> bool:
    """`.options(selectinload(...))` somewhere in the function: its rows come with relatives."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "options"
               for node in nodes)


def _starts_a_list(value: ast.AST) -> bool:
    """`[]`, `list()`, or `list(<attribute path>)` (a copy of a collection, a relationship's)."""
    if isinstance(value, ast.List):
        return not value.elts
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
            and not value.keywords and (not value.args or len(value.args) == 1 and isinstance(value.args[0], ast.Attribute)
                                        and dotted(value.args[0]) is not None))


def _item_kind(item: ast.Name, nodes: List[ast.AST], queries: Dict[str, str], rows: Dict[str, str]) -> Optional[str]:
    """What the name `item` appended to the list holds: a class name, or `call:<callee>`."""
    if item.id in rows:
        return rows[item.id]
    values: Set[str] = set()
    bound = 0
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id == item.id:
            kind = _looked_up(node.value)
            if kind is None:
                return None
            values.add(kind)
            bound += 1
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name) \
                and node.target.id == item.id:
            entity = _rows_of(node.iter, queries)
            if entity is None:
                return None
            values.add(entity)
            bound += 1
    if bound != _stores(nodes).get(item.id, 0):
        return None  # bound some other way too (`with ... as item`, a tuple target, a walrus)
    return values.pop() if len(values) == 1 else None


def _looked_up(value: ast.AST) -> Optional[str]:
    """`call:<callee>` for the call of a project function, perhaps one returning a row (the
    project decides); None for a builtin (`list(...)`), a class (`User(...)`: a new object, no
    row) or anything that is no call."""
    if isinstance(value, ast.Await):
        value = value.value
    callee = dotted(value.func) if isinstance(value, ast.Call) else None
    if callee is None or callee in _BUILTINS or callee.rpartition(".")[2][:1].isupper():
        return None
    return f"call:{callee}"


def _stores(nodes: List[ast.AST]) -> Dict[str, int]:
    """How many times the function binds each local name."""
    found: Dict[str, int] = {}
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found[node.id] = found.get(node.id, 0) + 1
    return found


def _row_names(nodes: List[ast.AST]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """({name: class} of locals bound only to a query, a statement or a result of one class,
    {name: class} of locals bound only to one row of such a query)."""
    queries: Dict[str, str] = {}
    rows: Dict[str, str] = {}
    counts: Dict[str, int] = {}
    spoilt: Set[str] = set()
    ordered = sorted((node for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
                      and isinstance(node.targets[0], ast.Name)), key=lambda node: (node.lineno, node.col_offset))
    for node in ordered:
        name = node.targets[0].id  # type: ignore[attr-defined]
        counts[name] = counts.get(name, 0) + 1
        query = _rows_of(node.value, queries)  # a query, a statement, or the result of running one
        row = _one_row_entity(node.value, queries)
        if query is not None and queries.get(name, query) == query and name not in rows:
            queries[name] = query
        elif row is not None and rows.get(name, row) == row and name not in queries:
            rows[name] = row
        else:
            spoilt.add(name)
    stores = _stores(nodes)
    spoilt.update(name for name, count in counts.items() if stores.get(name, 0) != count)
    return ({k: v for k, v in queries.items() if k not in spoilt}, {k: v for k, v in rows.items() if k not in spoilt})


def _one_row_entity(node: ast.AST, queries: Dict[str, str]) -> Optional[str]:
    """`Build` of `session.query(Build).filter(...).first()`, `session.get(Build, id)`,
    `Build.query.get(id)`, `session.scalars(select(Build)...).one_or_none()`,
    `session.scalar(select(Build)...)`."""
    if isinstance(node, ast.Await):
        node = node.value
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method, receiver = node.func.attr, node.func.value
    if method == "scalar" and len(node.args) == 1:
        return _statement_entity(node.args[0], queries)
    if method not in _ONE_ROW:
        return None
    if method in ("get", "get_or_404", "get_one") and len(node.args) == 2:
        entity = dotted(node.args[0])  # `session.get(Build, id)`
        return entity if _is_get(node) and entity and entity.rpartition(".")[2][:1].isupper() else None
    return _rows_of(receiver, queries)


def _rows_of(node: ast.AST, queries: Dict[str, str]) -> Optional[str]:
    """The class of the rows the query, statement result or `X.query` chain `node` yields."""
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("all", "fetchall") \
            and not node.args:
        return _rows_of(node.func.value, queries)  # `session.query(X).all()`
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RUNS_STATEMENT:
        if len(node.args) == 1:
            return _statement_entity(node.args[0], queries)  # `session.scalars(stmt)`
        if not node.args and isinstance(node.func.value, ast.Call):
            return _rows_of(node.func.value, queries)  # `session.execute(stmt).scalars()`
        return None
    return _statement_entity(node, queries)


def _statement_entity(node: ast.AST, queries: Dict[str, str]) -> Optional[str]:
    """`X` of a `select(X)` / `session.query(X)` chain, of a name bound to one, or of
    Flask-SQLAlchemy's `X.query` chain."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_BUILDERS:
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr == "query":
        entity = dotted(node.value)
        return entity if entity and entity.rpartition(".")[2][:1].isupper() else None
    entity = _query_entity(node, queries)
    return entity if entity != "cls" else None
