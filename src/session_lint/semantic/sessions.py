"""Which expressions are SQLAlchemy sessions, how each was made, and who owns it.

Resolution goes through imports and bindings, never through spelling alone: `session.add()`
on a name that is not provably a session is not a session operation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..project_index import FactoryInfo, ProjectIndex
from . import names
from .scopes import Binding, Scope, ScopeAnalysis, dotted_name
from .tree import TreeIndex, iter_children



class Origin(str, Enum):
    """How a session came to be, which decides who ends its life (equal to its string value,
    so `ref.origin == "with"` keeps working for plugin rules)."""

    WITH = "with"  # target of `with <new session> as s`: the block ends it
    LOCAL = "local"  # `s = Session(...)` in this function: the function ends it (or close())
    PARAM = "param"  # a parameter annotated as a session: the caller owns it
    FRAMEWORK = "framework"  # Flask-SQLAlchemy `db.session`, a scoped_session registry: the request ends it
    GLOBAL = "global"  # a module-level session object: nobody in particular
    MEMBER = "member"  # `self.<attribute>` of an object that keeps its session: it outlives the method
    TRANSACTION = "transaction"  # `t` in `t = session.begin()`: stands for the session's transaction
    SAVEPOINT = "savepoint"  # `t` in `t = session.begin_nested()`: its commit() only releases the savepoint


WITH, LOCAL, PARAM, FRAMEWORK, GLOBAL = Origin.WITH, Origin.LOCAL, Origin.PARAM, Origin.FRAMEWORK, Origin.GLOBAL
MEMBER, TRANSACTION, SAVEPOINT = Origin.MEMBER, Origin.TRANSACTION, Origin.SAVEPOINT

_ASYNC_SESSION_ANNOTATIONS = names.ASYNC_SESSION_CLASSES | frozenset({
    "sqlalchemy.ext.asyncio.async_scoped_session",
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session",
})
# Session methods that return an object standing for its (outer or nested) transaction.
TRANSACTION_GETTERS = frozenset({"begin", "begin_nested", "get_transaction", "get_nested_transaction"})
# Session-scope helpers are generator-based context managers.
_CONTEXT_MANAGER_DECORATORS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


# Unannotated parameters that hold a session when the body uses them as one.
_SESSION_PARAMETER_NAMES = frozenset({"session", "db_session", "dbsession", "sa_session"})
_SESSION_ONLY_METHODS = frozenset({"commit", "flush", "rollback", "query", "add_all", "scalars", "begin_nested"})
_SESSION_METHODS = _SESSION_ONLY_METHODS | frozenset({
    "add", "delete", "merge", "execute", "scalar", "get", "refresh", "expire", "expire_all", "expunge",
    "expunge_all", "close", "begin", "get_bind", "connection", "no_autoflush", "bulk_save_objects",
    "bulk_insert_mappings", "bulk_update_mappings", "is_modified", "in_transaction", "get_one", "exec"})


@dataclass(frozen=True)
class Factory:
    """Something that makes sessions, or a session class itself."""

    # session-class | sessionmaker | scoped_session | flask_sqlalchemy | session-scope
    kind: str
    is_async: bool
    label: str
    info: Optional[FactoryInfo] = None  # when it came from another module
    # The `sessionmaker(...)` call when this module shows it: its keywords configure sessions.
    call: Optional[cst.Call] = field(default=None, repr=False, compare=False)
    # A session-scope context manager of this module: how it makes the session it yields.
    inner: Optional["Creation"] = field(default=None, repr=False, compare=False)
    # A project class or function made it, and the `with` block's end closes it: its
    # sessions expire on commit as the project's factories say.
    closed_by_project: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Creation:
    """An expression that produces a session: `Session(engine)`, `maker()`, `maker.begin()`."""

    node: cst.BaseExpression = field(repr=False)
    factory: Factory
    # `maker.begin()`: the block commits by itself when it ends without an error.
    autocommit: bool
    # scoped sessions return the registry's session: its life is the framework's business.
    scoped: bool


@dataclass(frozen=True)
class SessionRef:
    """A session as seen from one use site."""

    key: str  # identity inside one function: two refs with the same key are the same session
    label: str  # how messages name it: "session", "db.session"
    origin: Origin
    creation: Optional[Creation] = field(default=None, repr=False)
    binding: Optional[Binding] = field(default=None, repr=False)


class SessionAnalysis:
    def __init__(self, scopes: ScopeAnalysis, source_of: Callable[[cst.CSTNode], str],
                 index: ProjectIndex, filename: Optional[str]) -> None:
        self.scopes = scopes
        self.source_of = source_of
        self.index = index
        # `from .models import *` at module level: (module, level), found when first needed.
        self._star_imports: Optional[List[Tuple[str, int]]] = None
        self.filename = filename
        # names whose bindings are being followed right now: `a = b; b = a` must not loop
        self._following: Set[Tuple[int, str]] = set()
        self._factory_cache: Dict[cst.CSTNode, Optional[Factory]] = {}
        self._scope_cache: Dict[cst.CSTNode, Optional[Creation]] = {}
        # Sessions kept on an object (`self.session`): set by the model, which owns the
        # class-level analysis (`members.MemberSessions`) this needs.
        self.member_session: Optional[Callable[[cst.Attribute], Optional[SessionRef]]] = None
        # "Does this call run a project function that returns a new session?" (the project
        # summaries answer it; set by the model).
        self.project_session: Optional[Callable[[cst.Call], Optional[str]]] = None
        self._param_methods: Optional[Dict[int, Set[str]]] = None  # id(param binding) -> methods called on it

    # -- factories --------------------------------------------------------------------------
    def factory(self, node: cst.BaseExpression) -> Optional[Factory]:
        """`node` names a session class, a sessionmaker, a scoped_session or Flask-SQLAlchemy's `db`."""
        if node in self._factory_cache:
            return self._factory_cache[node]
        self._factory_cache[node] = None  # cycles (`a = b; b = a`) end here
        result = self._factory(node)
        self._factory_cache[node] = result
        return result

    def _factory(self, node: cst.BaseExpression) -> Optional[Factory]:
        label = self.source_of(node)
        qualified = self.scopes.qualified_name(node)
        if qualified in names.SESSION_CLASSES:
            return Factory("session-class", False, label)
        if qualified in names.ASYNC_SESSION_CLASSES:
            return Factory("session-class", True, label)
        if qualified in names.FRAMEWORK_SESSIONMAKERS:
            return Factory("sessionmaker", False, label)
        if isinstance(node, cst.Call):
            return self._factory_from_call(node, label)
        if isinstance(node, cst.Attribute) and node.attr.value == "Session":
            # Flask-SQLAlchemy's `db` re-exports SQLAlchemy: `db.Session` is the Session class.
            return Factory("session-class", False, label) if self.is_flask_db(node.value) else None
        if isinstance(node, cst.Name):
            _, bindings = self.scopes.bindings_of(node)
            # `db = None` (or `db: SQLAlchemy = None`) declares a name an init function fills.
            return self._factory_from_bindings([b for b in bindings if not _assigns_none(b)], label)
        return None

    def is_flask_db(self, node: cst.BaseExpression) -> bool:
        """`node` is Flask-SQLAlchemy's `db` (`db = SQLAlchemy(app)`, here or imported)."""
        factory = self.factory(node)
        return factory is not None and factory.kind == "flask_sqlalchemy"

    def _factory_from_call(self, call: cst.Call, label: str) -> Optional[Factory]:
        qualified = self.scopes.qualified_name(call.func)
        if qualified in names.SESSIONMAKERS:
            # `sessionmaker(engine, class_=AsyncSession)` makes async sessions.
            return Factory("sessionmaker", self._makes_async_sessions(call), label, call=call)
        if qualified in names.ASYNC_SESSIONMAKERS:
            return Factory("sessionmaker", True, label, call=call)
        if qualified in names.SCOPED_SESSIONS:
            return Factory("scoped_session", "async" in (qualified or ""), label)
        if qualified in names.FLASK_SQLALCHEMY:
            return Factory("flask_sqlalchemy", False, label)
        return None

    def _factory_from_bindings(self, bindings: Sequence[Binding], label: str) -> Optional[Factory]:
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        if binding.kind in ("assign", "annassign") and isinstance(binding.value, cst.Call):
            found = self._factory_from_call(binding.value, label)
            return found
        if binding.kind == "import" and binding.imported:
            info = self.index.lookup(self.filename, binding.module or "", binding.level, binding.imported)
            if info is not None:
                kind = {
                    "sessionmaker": ("sessionmaker", False),
                    "async_sessionmaker": ("sessionmaker", True),
                    "scoped_session": ("scoped_session", False),
                    "flask_sqlalchemy": ("flask_sqlalchemy", False),
                }.get(info.kind)
                if kind is not None:
                    is_async = kind[1] or (info.kind == "sessionmaker" and info.makes_async_sessions)
                    return Factory(kind[0], is_async, label, info)
        return None

    def _makes_async_sessions(self, call: cst.Call) -> bool:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "class_":
                return self.scopes.qualified_name(arg.value) in names.ASYNC_SESSION_CLASSES
        return False

    # -- creations --------------------------------------------------------------------------
    def creation(self, node: Optional[cst.BaseExpression]) -> Optional[Creation]:
        """`node` evaluates to a new (or registry) session."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        made = self.factory(func)
        if made is not None:
            if made.kind == "session-class":
                return Creation(node, made, autocommit=False, scoped=False)
            if made.kind == "sessionmaker":
                return Creation(node, made, autocommit=False, scoped=False)
            if made.kind == "scoped_session":
                return Creation(node, made, autocommit=False, scoped=True)
            return None
        if isinstance(func, cst.Attribute) and func.attr.value == "begin" and not node.args:
            maker = self.factory(func.value)
            if maker is not None and maker.kind == "sessionmaker":
                return Creation(node, maker, autocommit=True, scoped=False)
        made_by_project = self.project_session(node) if self.project_session is not None else None
        # A session scope the index describes (its factory's options, what it does at the
        # end) says more than the summary: `session_scope()` answers for it.
        if made_by_project is not None and self.session_scope(node) is None:
            label = self.source_of(func)
            made, _, closes = made_by_project.partition("+")
            return Creation(node, Factory("sessionmaker", False, label, closed_by_project=bool(closes)),
                            autocommit=made == "commits", scoped=False)
        return None

    # -- session-scope context managers ---------------------------------------------------
    def session_scope(self, node: Optional[cst.BaseExpression]) -> Optional[Creation]:
        """`session_scope()` in `with session_scope() as s:`: a context manager that yields a
        session and, once the block is done, commits and ends it.

        Only as a `with` item: calling it returns a context manager, not a session. Seen in
        this module, or in another one through the project index.
        """
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name):
            return None
        _, bindings = self.scopes.bindings_of(node.func)
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        label = self.source_of(node.func)
        factory: Optional[Factory] = None
        if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
            inner = self._scope_yields(binding.node)
            if inner is not None:
                factory = Factory("session-scope", inner.factory.is_async, label, inner=inner)
        elif binding.kind == "import" and binding.qualified in names.LIBRARY_SESSION_SCOPES:
            library = FactoryInfo("session_scope", binding.imported or label, (), binding.qualified.split(".")[0], 0)
            factory = Factory("session-scope", False, label, library)
        elif binding.kind == "import" and binding.imported:
            info = self.index.lookup(self.filename, binding.module or "", binding.level, binding.imported)
            if info is not None and info.kind == "session_scope":
                factory = Factory("session-scope", info.option("async") == "True", label, info)
        if factory is None:
            return None
        return Creation(node, factory, autocommit=True, scoped=False)

    def _scope_yields(self, function: cst.FunctionDef) -> Optional[Creation]:
        """How a committing session-scope context manager makes its session, or None when
        `function` is not one (not a context manager, no single session yielded, no commit
        after the yield on the normal path, or the session outlives the block)."""
        if function in self._scope_cache:
            return self._scope_cache[function]
        self._scope_cache[function] = None
        found = self._find_scope_yields(function)
        self._scope_cache[function] = found
        return found

    def _find_scope_yields(self, function: cst.FunctionDef) -> Optional[Creation]:
        if not any(self.scopes.qualified_name(_decorator_callee(d.decorator)) in _CONTEXT_MANAGER_DECORATORS
                   for d in function.decorators):
            return None
        tree = self.scopes.tree
        yields = [node for node in tree.of_type(cst.Yield) if self._owned_by(node, function)]
        if len(yields) != 1 or not isinstance(yields[0].value, cst.BaseExpression):
            return None
        the_yield = yields[0]
        ref = self.session_of(the_yield.value)
        if ref is None or ref.creation is None or ref.origin not in (WITH, LOCAL):
            return None
        calls = [call for call in tree.of_type(cst.Call) if self._owned_by(call, function)
                 and isinstance(call.func, cst.Attribute) and self._same_session(call.func.value, ref)]
        commits = ref.creation.autocommit or any(
            call.func.attr.value == "commit" and _comes_after(tree, call, the_yield)  # type: ignore[attr-defined]
            and not any(isinstance(a, cst.ExceptHandler) for a in tree.ancestors(call))
            for call in calls
        )
        ends = (ref.origin == WITH and ref.binding is not None and ref.binding.statement is not None
                and self._encloses(ref.binding.statement, the_yield)) or any(
            call.func.attr.value == "close" for call in calls)  # type: ignore[attr-defined]
        return ref.creation if commits and ends else None

    def _owned_by(self, node: cst.CSTNode, function: cst.FunctionDef) -> bool:
        """`node` runs as part of `function` itself, not of a function nested in it."""
        for ancestor in self.scopes.tree.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return ancestor is function
        return False

    def _same_session(self, node: cst.BaseExpression, ref: SessionRef) -> bool:
        other = self.session_of(node)
        return other is not None and other.key == ref.key

    # -- sessions at use sites --------------------------------------------------------------
    def session_of(self, node: cst.BaseExpression) -> Optional[SessionRef]:
        """The session that `node` evaluates to, when that is certain."""
        if isinstance(node, cst.Name):
            return self._session_of_name(node)
        if isinstance(node, cst.Attribute):
            if node.attr.value == "session" and self.is_flask_db(node.value):
                label = self.source_of(node)
                return SessionRef(label, label, FRAMEWORK)
            if node.attr.value == "dbsession" and isinstance(node.value, cst.Name) and node.value.value == "request":
                # Pyramid's request-scoped session (pyramid_tm commits it when the request ends).
                label = self.source_of(node)
                return SessionRef(label, label, FRAMEWORK)
            return self.member_session(node) if self.member_session is not None else None
        if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "getSession":
            # `database.db.getSession()`: an accessor of the thread's shared session.
            label = self.source_of(node)
            return SessionRef(label, label, FRAMEWORK)
        if isinstance(node, cst.Call) and not node.args:
            # `db.session()` and `ScopedSession()` hand out the registry's session.
            made = self.creation(node)
            if made is not None and made.scoped:
                label = self.source_of(node.func)
                return SessionRef(label, label, FRAMEWORK, made)
        return None

    def transaction_of(self, node: cst.BaseExpression) -> Optional[Tuple[str, SessionRef]]:
        """`t` in `t = session.begin()` (or `begin_nested()`, `get_transaction()`,
        `get_nested_transaction()`): the method that made it and the session it belongs to."""
        if not isinstance(node, cst.Name):
            return None
        _, bindings = self.scopes.bindings_of(node)
        if len(bindings) != 1 or bindings[0].kind not in ("assign", "annassign"):
            return None
        value = bindings[0].value
        if isinstance(value, cst.Await):
            value = value.expression
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and not value.args
                and value.func.attr.value in TRANSACTION_GETTERS):
            session = self.session_of(value.func.value)
            if session is not None:
                return value.func.attr.value, session
        return None

    def _session_of_name(self, node: cst.Name) -> Optional[SessionRef]:
        scope, bindings = self.scopes.bindings_of(node)
        if scope is None or not bindings:
            return self._star_imported_registry(node) if scope is None else None
        # The scoped_session registry object itself proxies add()/commit() to its session.
        maker = self._factory_from_bindings(bindings, node.value) if len(bindings) == 1 else None
        if maker is not None and maker.kind == "scoped_session":
            return SessionRef(node.value, node.value, FRAMEWORK)
        # `with Session() as s:` twice in one function: the use belongs to the enclosing block.
        with_statements = {id(b.statement): b for b in bindings if b.kind == "with" and b.statement is not None}
        if with_statements:
            # The innermost enclosing one: one walk up, not one per binding.
            for ancestor in self.scopes.tree.ancestors(node):
                binding = with_statements.get(id(ancestor))
                if binding is not None:
                    bindings = [binding]
                    break
        following = (id(scope.node), node.value)
        if following in self._following:
            return None  # an alias cycle: nothing in it is certainly a session
        self._following.add(following)
        try:
            refs = [self._session_of_binding(binding, scope) for binding in bindings
                    if not _assigns_none(binding)]
        finally:
            self._following.discard(following)
        if not refs or any(ref is None for ref in refs):
            return None
        origins = {ref.origin for ref in refs if ref is not None}
        if len(origins) != 1:
            return None
        first = refs[0]
        assert first is not None
        if scope.kind == "module" and first.origin == LOCAL:
            return SessionRef(first.key, first.label, GLOBAL, first.creation, first.binding)
        if first.origin == WITH and len(refs) > 1:
            return None  # used outside every with-block that binds it: not certain
        return first

    def _star_imported_registry(self, node: cst.Name) -> Optional[SessionRef]:
        """`DBSession` bound by no statement of this module, in a module that does
        `from .models import *`: the scoped session registry that module defines."""
        if self._star_imports is None:
            self._star_imports = [
                ((dotted_name(statement.module) or "") if statement.module is not None else "",
                 len(statement.relative))
                for statement in self.scopes.tree.of_type(cst.ImportFrom)
                if isinstance(statement.names, cst.ImportStar)
                and isinstance(self.scopes.tree.owner_of(statement), cst.Module)]
        for module, level in self._star_imports:
            info = self.index.lookup(self.filename, module, level, node.value)
            if info is not None and info.kind == "scoped_session":
                return SessionRef(node.value, node.value, FRAMEWORK)
        return None

    def _encloses(self, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
        return self.scopes.tree.inside(node, outer)

    def _session_of_binding(self, binding: Binding, scope: Scope) -> Optional[SessionRef]:
        name = binding.name
        key = f"{name}@{id(scope.node)}"
        if binding.kind == "with":
            made = self.creation(binding.value) or self.session_scope(binding.value)
            if made is None:
                return None
            return SessionRef(f"{key}@{id(binding.statement)}", name,
                              FRAMEWORK if made.scoped else WITH, made, binding)
        if binding.kind in ("assign", "annassign", "walrus"):
            made = self.creation(binding.value)
            if made is not None:
                return SessionRef(key, name, FRAMEWORK if made.scoped else LOCAL, made, binding)
            if binding.value is not None and binding.kind != "walrus":
                # `s = db.session` is the same session under another name.
                alias = self.session_of(binding.value)
                if alias is not None and alias.origin == FRAMEWORK:
                    return SessionRef(alias.key, name, FRAMEWORK, alias.creation, binding)
            if binding.kind == "annassign" and binding.value is None and self.is_session_annotation(binding.annotation):
                return SessionRef(key, name, PARAM, None, binding)
            return None
        if binding.kind == "param":
            if self.is_session_annotation(binding.annotation):
                return SessionRef(key, name, PARAM, None, binding)
            if binding.annotation is None and name in _SESSION_PARAMETER_NAMES and self._used_as_session(binding):
                # `def create_default_status(session):` whose body commits/flushes/queries it.
                return SessionRef(key, name, PARAM, None, binding)
            return None
        if binding.kind == "import" and binding.imported:
            info = self.index.lookup(self.filename, binding.module or "", binding.level, binding.imported)
            if info is not None and info.kind in ("session", "async_session"):
                return SessionRef(key, name, GLOBAL, None, binding)
        return None

    def _used_as_session(self, binding: Binding) -> bool:
        """The function calls methods only a session has on the parameter (commit, flush,
        rollback, query...), and none it would not."""
        if self._param_methods is None:
            # One pass over the module's calls, not one per parameter.
            found: Dict[int, Set[str]] = {}
            for call in self.scopes.tree.of_type(cst.Call):
                func = call.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                        and func.value.value in _SESSION_PARAMETER_NAMES:
                    for bound in self.scopes.bindings_of(func.value)[1]:
                        if bound.kind == "param":
                            found.setdefault(id(bound), set()).add(func.attr.value)
            self._param_methods = found
        methods = self._param_methods.get(id(binding), set())
        return bool(methods & _SESSION_ONLY_METHODS) and methods <= _SESSION_METHODS

    def is_session_annotation(self, annotation: Optional[cst.BaseExpression]) -> bool:
        return self._annotation_is_session(annotation, self.scopes.qualified_name)

    def is_async_session_annotation(self, annotation: Optional[cst.BaseExpression]) -> bool:
        """`AsyncSession`, `Optional[AsyncSession]`, `Annotated[AsyncSession, Depends()]`..."""
        return self._annotation_is_session(annotation, self.scopes.qualified_name, _ASYNC_SESSION_ANNOTATIONS)

    def _annotation_is_session(self, annotation: Optional[cst.BaseExpression],
                               resolve: Callable[[cst.BaseExpression], Optional[str]],
                               accepted: FrozenSet[str] = names.SESSION_ANNOTATIONS) -> bool:
        if annotation is None:
            return False
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            if not isinstance(text, str):
                return False
            try:
                parsed = cst.parse_expression(text)
            except Exception:
                return False
            # A string annotation is resolved later, in the module's namespace.
            return self._annotation_is_session(parsed, self._module_qualified_name, accepted)
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            return (self._annotation_is_session(annotation.left, resolve, accepted)
                    or self._annotation_is_session(annotation.right, resolve, accepted))
        if isinstance(annotation, cst.Subscript):
            if resolve(annotation.value) in names.TRANSPARENT_ANNOTATIONS:
                return any(
                    isinstance(element.slice, cst.Index)
                    and self._annotation_is_session(element.slice.value, resolve, accepted)
                    for element in annotation.slice
                )
            return False
        return resolve(annotation) in accepted

    def _module_qualified_name(self, expression: cst.BaseExpression) -> Optional[str]:
        from .scopes import dotted_name

        dotted = dotted_name(expression)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        bindings = self.scopes.module_scope.bindings.get(head, [])
        if len(bindings) != 1 or bindings[0].kind != "import" or bindings[0].qualified is None:
            return None
        return bindings[0].qualified + ("." + rest if rest else "")


def _decorator_callee(decorator: cst.BaseExpression) -> cst.BaseExpression:
    return decorator.func if isinstance(decorator, cst.Call) else decorator


def _comes_after(tree: TreeIndex, later: cst.CSTNode, earlier: cst.CSTNode) -> bool:
    """`later` starts after `earlier` ends, in source order."""
    later_path = [later, *tree.ancestors(later)]
    earlier_path = [earlier, *tree.ancestors(earlier)]
    earlier_ids = {id(node): index for index, node in enumerate(earlier_path)}
    for index, node in enumerate(later_path):
        if id(node) in earlier_ids:
            earlier_position = earlier_ids[id(node)]
            if index == 0 or earlier_position == 0:
                return False  # one holds the other
            later_child = later_path[index - 1]
            earlier_child = earlier_path[earlier_position - 1]
            for child in iter_children(node):
                if child is earlier_child:
                    return True
                if child is later_child:
                    return False
            return False
    return False


def _assigns_none(binding: Binding) -> bool:
    return binding.kind in ("assign", "annassign") and isinstance(binding.value, cst.Name) and binding.value.value == "None"
