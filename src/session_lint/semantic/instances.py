"""Which names hold ORM instances of which session, and what the session's commit and end
do to them.

`commit()` expires every instance of the session unless its factory says
`expire_on_commit=False`: the next attribute read loads the row again. On a sync session that
has ended by then the load cannot run (`DetachedInstanceError`); on an `AsyncSession` it
cannot run either, open or not, because a plain attribute read cannot await
(`MissingGreenlet`). So per function we follow, in statement order:

- where instances come from: `session.add(x)`/`add_all([...])`, `session.get(Model, ...)`,
  `session.merge(...)`, and query chains that return entities (`session.scalars(select(User))
  .first()`, `session.query(User).all()`, `session.execute(select(User)).scalar_one()`), with
  loops over lists of them;
- what happens to them: a commit (explicit, or the end of a `begin()` block, `maker.begin()`
  block or session-scope context manager) expires them, `refresh()` loads them again, the
  end of the session (`with` block, `close()`, also in `finally`) detaches them;
- where instances are collected: `by_id[k] = x`, `found.append(x)` (the container then
  holds them as a list does);
- where an expired one is used: `x.attr`, `return x`, `return session.scalars(...).all()`
  (the `with` block or `finally:` the return passes through commits and ends the session
  after the load), `Schema.model_validate(x)`.

Writes (`x.attr = v`) load nothing, and make that attribute readable again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from . import queries
from . import sessions as origins
from .flow import RETURN as RETURN_EXIT, ForwardAnalysis, State
from ..project_index import FactoryInfo
from .sessions import Creation, SessionRef
from .tree import SCOPE_BOUNDARY, iter_children
from .nodes import method_name

if TYPE_CHECKING:
    from . import SemanticModel

# Ways an expired instance is used.
READ, RETURN, SERIALIZE = "read", "return", "serialize"
# Attributes served without a load: the class, the instance state, AsyncAttrs' awaitable proxy.
_UNLOADED_ATTRIBUTES = frozenset({"awaitable_attrs", "_sa_instance_state", "_sa_class_manager"})
# Readers of every attribute of the object they are given.
_SERIALIZER_METHODS = frozenset({"model_validate", "from_orm"})
_SERIALIZER_FUNCTIONS = frozenset({"fastapi.encoders.jsonable_encoder"})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# `packages.append(package)`: the list holds the instance from now on.
_COLLECTING_METHODS = frozenset({"append"})
# The value of a `return` statement that is not a plain name, while the path leaves through it.
_RETURNED = "<return>"
_ENTITY_RESULT_METHODS = frozenset({"scalars", "scalar_one", "scalar_one_or_none", "scalar"})
# Statements that return no ORM objects, so they refresh nothing.
_NON_LOADING_STATEMENTS = frozenset(
    f"{module}.{name}" for module in ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlmodel")
    for name in ("text", "insert", "update", "delete")
)


@dataclass(frozen=True)
class Expiry:
    """What a session's commit does to the instances it holds."""

    is_async: bool
    expires: bool  # expire_on_commit
    # Where `expire_on_commit=False` would go: "`SessionLocal` (db.py:4)", "`Session(engine)`".
    configured_at: str


@dataclass(frozen=True)
class Source:
    """An expression that evaluates to instances of a session: one, or an iterable of them."""

    session: SessionRef
    many: bool
    model: Optional[str] = None  # the mapped class's name, when the code shows it


@dataclass(frozen=True)
class Load:
    """A session call that loads rows of `model` (None: of any class) into the identity map."""

    model: Optional[str]


@dataclass(frozen=True)
class ExpiredUse:
    """A use of an instance that a commit of its session has expired."""

    node: cst.CSTNode  # the attribute read, the `return`, or the serializer call
    kind: str  # read | return | serialize
    name: str
    session: SessionRef
    expiry: Expiry
    # The commit: a `session.commit()` call, or the `with` statement whose end commits.
    expired_by: cst.CSTNode = field(repr=False)
    # The end of the session (the `with` statement, a `close()` call); None while it is open.
    ended_by: Optional[cst.CSTNode] = field(repr=False)
    owner: cst.CSTNode = field(repr=False)  # the function (or module) it happens in
    # The read is of a lazy relationship: `refresh()` after the commit would not load it.
    relationship: bool = False
    # `refresh()` after the commit loaded the columns: only a lazy relationship fails.
    columns_only: bool = False


class InstanceAnalysis:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.sessions = model.sessions
        self.values = model.get(queries.QueryValues)
        self._expiry: Dict[str, Optional[Expiry]] = {}
        self._uses: Optional[List[ExpiredUse]] = None
        self._reassigned: Optional[Set[str]] = None

    # -- how a session treats its instances at commit ---------------------------------------
    def expiry(self, ref: SessionRef) -> Optional[Expiry]:
        """None when it cannot be known: a session of unknown origin, `**options`, a variable."""
        if ref.key not in self._expiry:
            found = self._find_expiry(ref)
            if found is not None and ref.key in self._reassigned_keys():
                found = None  # `session.expire_on_commit = False` somewhere
            self._expiry[ref.key] = found
        return self._expiry[ref.key]

    def _find_expiry(self, ref: SessionRef) -> Optional[Expiry]:
        if ref.origin == origins.FRAMEWORK:
            return None  # the framework's session outlives the function: never detached here
        if ref.creation is not None:
            return self._expiry_of_creation(ref.creation)
        binding = ref.binding
        if ref.origin == origins.PARAM and binding is not None:
            # The caller's factory is not visible: assume what the project's factories do.
            is_async = self.sessions.is_async_session_annotation(binding.annotation)
            return Expiry(is_async, self._project_default(is_async), "the session factory")
        if ref.origin == origins.GLOBAL and binding is not None and binding.kind == "import":
            info = self.model.index.lookup(self.model.filename, binding.module or "", binding.level,
                                           binding.imported or "")
            if info is not None:
                return _expiry_from_info(info, info.kind == "async_session")
        return None

    def _expiry_of_creation(self, creation: Creation) -> Optional[Expiry]:
        factory = creation.factory
        if factory.kind == "session-scope":
            if factory.inner is not None:
                return self._expiry_of_creation(factory.inner)
            return _expiry_from_info(factory.info, factory.is_async) if factory.info is not None else None
        own = _keyword(creation.node, "expire_on_commit")
        if own is not None or factory.kind == "session-class":
            # `Session(engine, ...)`, or `maker(expire_on_commit=...)` overriding the factory.
            return _expiry(factory.is_async, own, f"`{self.model.source_of(creation.node)}`")
        if factory.kind != "sessionmaker":
            return None
        if factory.closed_by_project:
            # `with GetDB() as db:`: the wrapper's factory is the project's.
            return Expiry(factory.is_async, self._project_default(factory.is_async), "the session factory")
        if factory.call is not None:
            return _expiry(factory.is_async, self._maker_setting(factory.call), self._maker_label(factory.call))
        return _expiry_from_info(factory.info, factory.is_async) if factory.info is not None else None

    def _maker_setting(self, call: cst.Call) -> Setting:
        """`expire_on_commit` of a sessionmaker made here, `Maker.configure(...)` included."""
        setting = _keyword(call, "expire_on_commit")
        names = set(_assigned_names(self.model.tree.parent_of(call)))
        for other in self.model.tree.of_type(cst.Call):
            func = other.func
            if (isinstance(func, cst.Attribute) and func.attr.value == "configure"
                    and isinstance(func.value, cst.Name) and func.value.value in names):
                configured = _keyword(other, "expire_on_commit")
                if configured is not None:
                    setting = configured
        return setting

    def _maker_label(self, call: cst.Call) -> str:
        line = self.model.line_of(call)
        names = _assigned_names(self.model.tree.parent_of(call))
        return f"`{names[0]}` (line {line})" if names else f"`{self.model.source_of(call.func)}(...)` on line {line}"

    def _project_default(self, is_async: bool) -> bool:
        """A session handed in by a caller comes from one of the project's factories: when
        every factory of that kind the project defines says `expire_on_commit=False`, so does
        this session; otherwise (or with none known) SQLAlchemy's default applies."""
        settings = []
        for info in self.model.index.factories():
            makes_async = {"async_sessionmaker": True, "sessionmaker": info.makes_async_sessions,
                           "session_scope": info.option("async") == "True"}.get(info.kind)
            if makes_async is is_async:
                settings.append(_expires(info.setting("expire_on_commit")))
        return not settings or any(setting is not False for setting in settings)

    def _reassigned_keys(self) -> Set[str]:
        if self._reassigned is None:
            self._reassigned = set()
            for target in self.model.tree.of_type(cst.AssignTarget):
                node = target.target
                if isinstance(node, cst.Attribute) and node.attr.value == "expire_on_commit":
                    owner = node.value
                    if isinstance(owner, cst.Attribute) and owner.attr.value == "sync_session":
                        owner = owner.value  # the AsyncSession's underlying Session
                    ref = self.sessions.session_of(owner)
                    if ref is not None:
                        self._reassigned.add(ref.key)
        return self._reassigned

    # -- where instances come from ----------------------------------------------------------
    def source_of(self, node: cst.BaseExpression) -> Optional[Source]:
        """`node` evaluates to entities loaded by (or merged into) a session."""
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            ref = self.sessions.session_of(node.func.value)
            method = node.func.attr.value
            if ref is not None and method == "merge":
                return Source(ref, many=False)
            if ref is not None and method in ("get", "get_one"):
                model = _model_name(node.args[0].value) if node.args else None
                return Source(ref, False, model) if model is not None else None
        exec_source = self._sqlmodel_exec(node)
        if exec_source is not None:
            return exec_source
        value = self.values.value_of(node)
        if value is None or not isinstance(value.root, cst.Call) or not isinstance(value.root.func, cst.Attribute):
            return None
        root = value.root
        ref = self.sessions.session_of(root.func.value)  # type: ignore[attr-defined]
        model = self._entity_of(root, value.methods) if ref is not None else None
        if ref is None or model is None:
            return None
        if value.kind in (queries.ONE, queries.OPTIONAL):
            return Source(ref, False, model)
        if value.kind in (queries.ROWS, queries.RESULT, queries.QUERY):
            return Source(ref, True, model)
        return None

    def _sqlmodel_exec(self, node: cst.BaseExpression) -> Optional[Source]:
        """SQLModel's `session.exec(select(Hero))` yields scalars: `.first()`, `.all()`, or itself."""
        method = None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args:
            method, node = node.func.attr.value, node.func.value
            if isinstance(node, cst.Await):
                node = node.expression
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "exec" and node.args):
            return None
        ref = self.sessions.session_of(node.func.value)
        model = self._selected_entity(node.args[0].value) if ref is not None else None
        if ref is None or model is None:
            return None
        if method in (None, "all"):
            return Source(ref, True, model)
        return Source(ref, False, model) if method in ("first", "one", "one_or_none") else None

    def _entity_of(self, root: cst.Call, methods: Tuple[str, ...]) -> Optional[str]:
        """The mapped class whose whole objects the rows are (not tuples of columns)."""
        method = root.func.attr.value  # type: ignore[attr-defined]
        first = root.args[0].value if root.args else None
        if first is None:
            return None
        if method == "query":
            return _model_name(first) if len(root.args) == 1 else None
        if method in ("scalars", "scalar"):
            return self._selected_entity(first)
        if method == "execute" and methods and ("scalars" in methods or methods[-1] in _ENTITY_RESULT_METHODS):
            return self._selected_entity(first)
        return _model_name(first) if method == "get" else None

    def _selected_entity(self, statement: cst.BaseExpression) -> Optional[str]:
        """`User` for `select(User).where(...)`."""
        value = self.values.value_of(statement)
        if value is None or value.kind != queries.STATEMENT or not isinstance(value.root, cst.Call):
            return None
        args = value.root.args
        return _model_name(args[0].value) if len(args) == 1 and args[0].keyword is None else None

    def reloads(self, call: cst.Call) -> Optional[Load]:
        """A session method call that may load (and so refresh) expired instances."""
        method = method_name(call) or ""
        if method in ("get", "get_one"):
            return _load_of(call.args[:1])
        if method == "query":
            return _load_of(call.args)
        if method not in ("execute", "scalars", "scalar", "exec") or not call.args:
            return None
        statement = call.args[0].value
        value = self.values.value_of(statement)
        if value is not None and value.kind == queries.STATEMENT and isinstance(value.root, cst.Call):
            return _load_of(value.root.args)
        innermost = _innermost_call(statement)
        if innermost is not None and self.model.scopes.qualified_name(innermost.func) in _NON_LOADING_STATEMENTS:
            return None
        return Load(None)  # a statement we cannot see: it may load anything

    def constructed_model(self, name: cst.Name) -> Optional[str]:
        """`User` when every binding of `name` is `name = User(...)`."""
        _, bindings = self.model.scopes.bindings_of(name)
        models = {_model_name(b.value.func) if isinstance(b.value, cst.Call) else None for b in bindings}
        return models.pop() if len(models) == 1 else None

    # -- uses of expired instances ----------------------------------------------------------
    def expired_uses(self) -> List[ExpiredUse]:
        if self._uses is None:
            self._uses = self._find_expired_uses()
        return self._uses

    def _find_expired_uses(self) -> List[ExpiredUse]:
        found: Dict[Tuple[cst.CSTNode, str], ExpiredUse] = {}
        for owner in self._owners_with_commits():
            flow = _InstanceFlow(self, owner)
            flow.run_function(owner.body)  # type: ignore[attr-defined]
            for use in flow.uses:
                key = (use.node, use.session.key)
                if key not in found or (found[key].ended_by is None and use.ended_by is not None):
                    found[key] = use
        uses = list(found.values())
        uses.sort(key=lambda use: (self.model.line_of(use.node), self.model.positions.start(use.node).column))
        return uses

    def _owners_with_commits(self) -> List[cst.CSTNode]:
        """Functions (and the module) where a session that expires its instances commits."""
        tree = self.model.tree
        owners: Dict[cst.CSTNode, None] = {}
        for call in tree.of_type(cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "commit":
                self._add_owner(owners, call, func.value)
        for statement in tree.of_type(cst.With):
            for item in statement.items:
                if any(effect[0] == "commit" for effect in self.with_exits_of_item(item, statement)):
                    self._add_owner(owners, statement, None)
        from .project_calls import ProjectCalls

        project = self.model.get(ProjectCalls)
        returners = project.instance_returners()
        if returners:
            for call in tree.of_type(cst.Call):
                func = call.func
                last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(
                    func, cst.Name) else None
                if last in returners and project.returned_instance(call) is not None:
                    self._add_owner(owners, call, None)
        return list(owners)

    def _add_owner(self, owners: Dict[cst.CSTNode, None], node: cst.CSTNode,
                   receiver: Optional[cst.BaseExpression]) -> None:
        if receiver is not None:
            ref = self.sessions.session_of(receiver)
            if ref is None or not self.tracks(ref):
                return
        owner = self.model.tree.owner_of(node)
        if isinstance(owner, (cst.FunctionDef, cst.Module)):
            owners[owner] = None

    def tracks(self, ref: SessionRef) -> bool:
        expiry = self.expiry(ref)
        return expiry is not None and expiry.expires

    def with_exits_of_item(self, item: cst.WithItem, statement: cst.With) -> List[Tuple[str, SessionRef]]:
        """What leaving `statement` does for this item: ("commit", s) and/or ("end", s)."""
        effects: List[Tuple[str, SessionRef]] = []
        call = item.item.expression if isinstance(item.item, cst.Await) else item.item
        if method_name(call) == "begin":
            ref = self.sessions.session_of(call.func.value)
            if ref is not None and self.tracks(ref):
                effects.append(("commit", ref))
        if item.asname is not None and isinstance(item.asname.name, cst.Name):
            ref = self.sessions.session_of(item.asname.name)
            if (ref is not None and ref.origin == origins.WITH and ref.binding is not None
                    and ref.binding.statement is statement and self.tracks(ref)):
                if ref.creation is not None and ref.creation.autocommit:
                    effects.append(("commit", ref))
                effects.append(("end", ref))
        elif isinstance(call, cst.Name):
            ref = self.sessions.session_of(call)  # `with session:` closes it
            if ref is not None and self.tracks(ref):
                effects.append(("end", ref))
        return effects


class Held(NamedTuple):
    """`name` holds an instance (or, when `many`, a list) of the session `key`."""

    name: str
    key: str
    many: bool
    model: Optional[str]  # the mapped class, when known: a later load of that class refreshes it
    commit: Optional[cst.CSTNode]  # what expired it; None while it is fresh
    end: Optional[cst.CSTNode]  # what ended its session; None while the session is open
    # `refresh()` after the commit loaded its columns again, not its lazy relationships.
    columns_only: bool = False
    # The project's mapped class (file, name) of an object a project function returned.
    project_class: Optional[Tuple[str, str]] = None


class Wrote(NamedTuple):
    """`name.attribute` was assigned since the last commit: reading it loads nothing."""

    name: str
    attribute: str


# In a comprehension: which outer list a loop variable takes its elements from (None: shadowed).
Env = Dict[str, Optional[str]]


class _InstanceFlow(ForwardAnalysis):
    def __init__(self, analysis: InstanceAnalysis, owner: cst.CSTNode) -> None:
        self.analysis = analysis
        self.model = analysis.model
        self.sessions = analysis.sessions
        self.owner = owner
        self.refs: Dict[str, SessionRef] = {}
        self.uses: List[ExpiredUse] = []

    # -- facts ------------------------------------------------------------------------------
    @staticmethod
    def held(state: State, name: str) -> List[Held]:
        return [fact for fact in state if isinstance(fact, Held) and fact.name == name]

    def _hold(self, state: State, name: str, ref: SessionRef, many: bool, model: Optional[str]) -> State:
        self.refs[ref.key] = ref
        return self._forget(state, name) | {Held(name, ref.key, many, model, None, None)}

    @staticmethod
    def _forget(state: State, name: str) -> State:
        return frozenset(f for f in state if not (isinstance(f, (Held, Wrote)) and f.name == name))

    @staticmethod
    def _commit(state: State, key: str, node: cst.CSTNode) -> State:
        committed = {f.name for f in state if isinstance(f, Held) and f.key == key}
        result = set()
        for fact in state:
            if isinstance(fact, Held) and fact.key == key and fact.commit is None:
                fact = fact._replace(commit=node)
            elif isinstance(fact, Wrote) and fact.name in committed:
                continue  # the commit flushed the write and expired it again
            result.add(fact)
        return frozenset(result)

    @staticmethod
    def _reload(state: State, key: str, model: Optional[str]) -> State:
        """A load through the open session refreshes the expired instances it returns again."""
        return frozenset(
            fact._replace(commit=None, columns_only=False)
            if isinstance(fact, Held) and fact.key == key and fact.end is None
            and (model is None or fact.model is None or fact.model == model)
            else fact
            for fact in state
        )

    @staticmethod
    def _end(state: State, key: str, node: cst.CSTNode, name: Optional[str] = None) -> State:
        """The session ends (or lets go of `name` only): fresh instances are simply detached,
        expired ones become unreadable."""
        result = set()
        for fact in state:
            if isinstance(fact, Held) and fact.key == key and (name is None or fact.name == name):
                if fact.commit is None:
                    continue
                if fact.end is None:
                    fact = fact._replace(end=node)
            result.add(fact)
        return frozenset(result)

    # -- flow hooks -------------------------------------------------------------------------
    def transfer(self, statement: cst.BaseSmallStatement, state: State) -> Optional[State]:
        if isinstance(statement, (cst.Assign, cst.AnnAssign)):
            value = statement.value
            if value is not None:
                state = self._walk(value, state)
            targets = ([t.target for t in statement.targets] if isinstance(statement, cst.Assign)
                       else [statement.target])
            return self._assign(targets, value, state)
        if isinstance(statement, cst.AugAssign):
            state = self._walk(statement, state)
            return self._assign([statement.target], None, state)
        state = self._walk(statement, state)
        if isinstance(statement, cst.Return) and statement.value is not None \
                and not _returned_names(statement.value):
            # `return session.scalars(...).all()`: what the `with` exits or `finally:` blocks
            # on the way out do to these instances, the caller receives.
            source = self._source(statement.value)
            if source is not None:
                state = self._hold(state, _RETURNED, source.session, source.many, source.model)
        if isinstance(statement, cst.Del):
            for name in _bound_names(statement.target):
                state = self._forget(state, name)
        return state

    def on_expression(self, expression: Optional[cst.CSTNode], state: State) -> State:
        return state if expression is None else self._walk(expression, state)

    def iterate(self, loop: cst.For, state: State) -> State:
        # Bound once, before the first pass: every element comes from the same load, so an
        # element of a later pass is as expired as the first one after a commit.
        state = self._walk(loop.iter, state)
        refreshed = self._refreshes_each(loop)
        if refreshed is not None:
            # `for user in users: session.refresh(user)` loads every element again (an empty
            # list has nothing to load): as if done before the loop.
            state = frozenset(
                fact._replace(commit=None)
                if isinstance(fact, Held) and fact.many and fact.name == refreshed[0]
                and fact.key == refreshed[1] and fact.end is None else fact
                for fact in state
            )
        return self._bind_loop_target(loop.target, loop.iter, state)

    def _refreshes_each(self, loop: cst.For) -> Optional[Tuple[str, str]]:
        """(the list, the session key) when the loop's body refreshes each element on every
        pass: a `session.refresh(element)` statement of the body itself, not under an `if`."""
        if not (isinstance(loop.target, cst.Name) and isinstance(loop.iter, cst.Name)
                and isinstance(loop.body, cst.IndentedBlock)):
            return None
        for statement in loop.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                call = small.value if isinstance(small, cst.Expr) else None
                if isinstance(call, cst.Await):
                    call = call.expression
                if not (isinstance(call, cst.Call) and method_name(call) == "refresh" and call.args
                        and isinstance(call.args[0].value, cst.Name)
                        and call.args[0].value.value == loop.target.value):
                    continue
                ref = self.sessions.session_of(call.func.value)  # type: ignore[attr-defined]
                if ref is not None:
                    return loop.iter.value, ref.key
        return None

    def enter_with(self, statement: cst.With, state: State) -> State:
        for item in statement.items:
            if item.asname is not None:
                for name in _bound_names(item.asname.name):
                    state = self._forget(state, name)
        return state

    def exit_with(self, statement: cst.With, state: State, how: str) -> State:
        for item in reversed(statement.items):
            for effect, ref in self.analysis.with_exits_of_item(item, statement):
                self.refs[ref.key] = ref
                if effect == "commit":
                    state = self._commit(state, ref.key, statement)
                else:
                    state = self._end(state, ref.key, statement)
        return state

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        # `state` is after the `with` exits and `finally:` blocks the return passed through.
        if how == RETURN_EXIT and isinstance(node, cst.Return):
            for name in _returned_names(node.value):
                for fact in self.held(state, name.value):
                    self._use(fact, node, RETURN)
            if node.value is not None:
                for fact in self.held(state, _RETURNED):
                    self._use(fact, node, RETURN, _shortened(self.model.source_of(node.value)))

    # -- bindings ---------------------------------------------------------------------------
    def _assign(self, targets: Sequence[cst.BaseExpression], value: Optional[cst.BaseExpression],
                state: State) -> State:
        for target in targets:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                if self.held(state, target.value.value):
                    state = state | {Wrote(target.value.value, target.attr.value)}
                continue
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and value is not None:
                state = self._collect(target.value.value, value, state)  # `by_sha[p.sha256] = p`
                continue
            for name in _bound_names(target):
                state = self._forget(state, name)
            if isinstance(target, cst.Name) and value is not None:
                state = self._bind(target.value, value, state)
        return state

    def _source(self, value: cst.BaseExpression) -> Optional[Source]:
        """Instances that `value` loads now; a name (or `name[i]`) holds what the flow says."""
        if isinstance(value, cst.Name) or _subscripted_name(value) is not None:
            return None
        source = self.analysis.source_of(value)
        return source if source is not None and self.analysis.tracks(source.session) else None

    def _bind(self, name: str, value: cst.BaseExpression, state: State) -> State:
        source = self._source(value)
        if source is not None:
            return self._hold(state, name, source.session, source.many, source.model)
        returned = self._returned_by_helper(value)
        if returned is not None:
            call, ref, refreshed, project_class = returned
            return self._forget(state, name) | {Held(name, ref.key, False, None, call, None, refreshed, project_class)}
        alias = value.value if isinstance(value, cst.Name) else None
        element = _subscripted_name(value)
        copied = set()
        for fact in state:
            if not isinstance(fact, Held):
                continue
            if fact.name == alias:
                copied.add(fact._replace(name=name))
            elif fact.name == element and fact.many:
                copied.add(fact._replace(name=name, many=False))
        return state | copied

    def _returned_by_helper(self, value: cst.BaseExpression
                            ) -> Optional[Tuple[cst.Call, SessionRef, bool, Optional[Tuple[str, str]]]]:
        """`crud.create_user(db, user)`: a project function that adds the object to the
        session it is given, commits, and returns it (expired, or refreshed: columns only)."""
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return None
        from .project_calls import ProjectCalls

        found = self.model.get(ProjectCalls).returned_instance(value)
        if found is None:
            return None
        argument, how, project_class = found
        ref = self.sessions.session_of(argument.value)
        if ref is None or not self.analysis.tracks(ref):
            return None
        self.refs[ref.key] = ref
        return value, ref, how == "refreshed", project_class

    def _collect(self, container: str, element: cst.BaseExpression, state: State) -> State:
        """`container[key] = element` / `container.append(element)`: the container now holds
        that instance among its elements, in whatever state the instance is."""
        if isinstance(element, cst.Name):
            facts = [f for f in self.held(state, element.value) if not f.many]
            return state | {f._replace(name=container, many=True) for f in facts}
        source = self._source(element)
        if source is None or source.many:
            return state
        self.refs[source.session.key] = source.session
        return state | {Held(container, source.session.key, True, source.model, None, None)}

    def _bind_loop_target(self, target: cst.BaseExpression, iterable: cst.BaseExpression, state: State) -> State:
        for name in _bound_names(target):
            state = self._forget(state, name)
        if not isinstance(target, cst.Name):
            return state
        source = self._source(iterable)
        if source is not None and source.many:
            return self._hold(state, target.value, source.session, False, source.model)
        if isinstance(iterable, cst.Name):
            return state | {f._replace(name=target.value, many=False)
                            for f in self.held(state, iterable.value) if f.many}
        return state

    # -- expressions ------------------------------------------------------------------------
    def _walk(self, node: cst.CSTNode, state: State) -> State:
        """Session events and uses of held names in `node`, in evaluation order (roughly:
        a call's own event comes before its arguments are looked at, which only matters for
        `add`/`refresh`, whose arguments are plain names)."""
        stack: List[Tuple[cst.CSTNode, Env]] = [(node, {})]
        while stack:
            current, env = stack.pop()
            if isinstance(current, SCOPE_BOUNDARY):
                continue
            if isinstance(current, cst.Call):
                state = self._call(current, state, env)
            elif isinstance(current, cst.Attribute):
                state = self._attribute(current, state, env)
            elif isinstance(current, _COMPREHENSIONS):
                env = self._comprehension_env(current, state, env)
            elif isinstance(current, cst.NamedExpr) and isinstance(current.target, cst.Name):
                state = self._walk(current.value, state)
                state = self._forget(state, current.target.value)
                state = self._bind(current.target.value, current.value, state)
                continue
            stack.extend((child, env) for child in reversed(list(iter_children(current))))
        return state

    def _call(self, call: cst.Call, state: State, env: Env) -> State:
        func = call.func
        if isinstance(func, cst.Attribute):
            ref = self.sessions.session_of(func.value)
            if ref is not None:
                return self._session_event(func.attr.value, ref, call, state)
            if func.attr.value in _COLLECTING_METHODS and isinstance(func.value, cst.Name) \
                    and func.value.value not in env and len(call.args) == 1 and not call.args[0].keyword \
                    and not call.args[0].star:
                return self._collect(func.value.value, call.args[0].value, state)
        if call.args and isinstance(call.args[0].value, cst.Name) and self._is_serializer(func):
            name = call.args[0].value.value
            if name not in env:
                for fact in self.held(state, name):
                    if not fact.many:
                        self._use(fact, call, SERIALIZE)
        return state

    def _session_event(self, method: str, ref: SessionRef, call: cst.Call, state: State) -> State:
        first = call.args[0].value if call.args else None
        tracked = self.analysis.tracks(ref)
        if method == "commit" and tracked:
            self.refs[ref.key] = ref
            return self._commit(state, ref.key, call)
        if method in ("close", "expunge_all") and tracked:
            return self._end(state, ref.key, call)
        if method == "delete" and isinstance(first, cst.Name):
            return self._forget(state, first.value)  # the commit detaches it with its values intact
        if method == "expunge" and isinstance(first, cst.Name):
            for fact in self.held(state, first.value):
                state = self._end(state, fact.key, call, first.value)
            return state
        if method == "refresh" and isinstance(first, cst.Name) and len(call.args) == 1 and any(
                fact.commit is not None and fact.end is None and not fact.many for fact in self.held(state, first.value)):
            # Columns loaded again; a lazy relationship stays unloaded until it is read.
            return frozenset(fact._replace(columns_only=True) if isinstance(fact, Held) and fact.name == first.value
                             and fact.commit is not None and fact.end is None and not fact.many else fact
                             for fact in state)
        if method in ("add", "refresh") and isinstance(first, cst.Name):
            # Attached again (or loaded again): reads load from this session from now on.
            model = self.analysis.constructed_model(first)
            state = self._forget(state, first.value)
            return self._hold(state, first.value, ref, False, model) if tracked else state
        if method == "add_all" and first is not None:
            if isinstance(first, cst.Name):
                state = self._forget(state, first.value)
                return self._hold(state, first.value, ref, True, None) if tracked else state
            if isinstance(first, (cst.List, cst.Tuple)):
                for element in first.elements:
                    if isinstance(element.value, cst.Name):
                        model = self.analysis.constructed_model(element.value)
                        state = self._forget(state, element.value.value)
                        if tracked:
                            state = self._hold(state, element.value.value, ref, False, model)
            return state
        reloaded = self.analysis.reloads(call)
        if reloaded is not None:
            return self._reload(state, ref.key, reloaded.model)
        return state

    def _is_serializer(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute) and func.attr.value in _SERIALIZER_METHODS:
            return True
        return self.model.scopes.qualified_name(func) in _SERIALIZER_FUNCTIONS

    def _attribute(self, node: cst.Attribute, state: State, env: Env) -> State:
        attribute = node.attr.value
        value = node.value
        if attribute == "awaitable_attrs" and isinstance(value, cst.Name) and value.value not in env:
            # `await obj.awaitable_attrs.x` loads the expired attributes with I/O that is awaited.
            return frozenset(f._replace(commit=None) if isinstance(f, Held) and f.name == value.value
                             and not f.many and f.end is None else f for f in state)
        if attribute in _UNLOADED_ATTRIBUTES or (
                attribute.startswith("__") and attribute.endswith("__")) or not self._is_read(node):
            return state
        element = False
        if isinstance(value, cst.Subscript):
            value, element = value.value, True
        if not isinstance(value, cst.Name):
            return state
        name = value.value
        if name in env:
            outer = env[name]
            if outer is None or element:
                return state
            name, element = outer, True
        if Wrote(name, attribute) in state and not element:
            return state
        for fact in self.held(state, name):
            if fact.many != element or fact.commit is None:
                continue
            relationship = self._lazy_relationship(fact, attribute)
            if relationship or not fact.columns_only:
                self._use(fact, node, READ, self.model.source_of(node.value), relationship)
        return state

    def _lazy_relationship(self, fact: Held, attribute: str) -> bool:
        """`attribute` is a relationship loaded on first read: of the object's class when
        known (this module's, or the project's), else of some mapped class of this module or
        the project."""
        from .project_calls import ProjectCalls
        from .relationships import LAZY, Relationships

        relationships = self.model.get(Relationships)
        if not relationships.may_be(attribute):
            return False
        if fact.project_class is not None:
            classes = self.model.get(ProjectCalls).classes
            found_there = classes.relationship(fact.project_class, attribute) if classes is not None else None
            return found_there is not None and found_there.loading == LAZY
        if fact.model is not None:
            found = relationships.of(fact.model, attribute)
            if found is not None:
                return found.loading == LAZY
        return True

    def _is_read(self, node: cst.Attribute) -> bool:
        parent = self.model.tree.parent_of(node)
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return False
        if isinstance(parent, (cst.AnnAssign, cst.For, cst.CompFor, cst.AsName)):
            return getattr(parent, "target", getattr(parent, "name", None)) is not node
        return True  # `x.n += 1` reads before it writes

    def _comprehension_env(self, node: cst.CSTNode, state: State, env: Env) -> Env:
        env = dict(env)
        comp_for = getattr(node, "for_in", None)
        while isinstance(comp_for, cst.CompFor):
            iterable = comp_for.iter
            source = iterable.value if isinstance(iterable, cst.Name) else None
            if source is not None and source in env:
                source = env[source]
            has_elements = source is not None and any(f.many for f in self.held(state, source))
            for name in _bound_names(comp_for.target):
                env[name] = source if has_elements and isinstance(comp_for.target, cst.Name) else None
            comp_for = comp_for.inner_for_in
        return env

    def _use(self, fact: Held, node: cst.CSTNode, kind: str, name: Optional[str] = None,
             relationship: bool = False) -> None:
        """Record a use of the instance(s) `fact` describes, under the name the code uses."""
        if fact.commit is None or fact.columns_only and not relationship:
            return  # a refreshed object handed on: its columns are there, its relationships unknown
        ref = self.refs[fact.key]
        expiry = self.analysis.expiry(ref)
        assert expiry is not None
        self.uses.append(ExpiredUse(node, kind, name or fact.name, ref, expiry, fact.commit, fact.end, self.owner,
                                    relationship, fact.columns_only))


# -- helpers ------------------------------------------------------------------------------------
_UNKNOWN = object()  # `**options` could set it
# An option's source text, None when absent, or _UNKNOWN.
Setting = Union[Optional[str], object]


def _keyword(call: cst.CSTNode, name: str) -> Setting:
    """The source of keyword argument `name`, None when absent, _UNKNOWN behind `**kwargs`."""
    if not isinstance(call, cst.Call):
        return None
    spread = False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            value = arg.value
            return value.value if isinstance(value, cst.Name) else _UNKNOWN
        if arg.star == "**":
            spread = True
    return _UNKNOWN if spread else None


def _expires(setting: Setting) -> Optional[bool]:
    """`expire_on_commit` from its source text (absent: SQLAlchemy's default, True); None when
    it is not a literal."""
    if setting is None or setting == "True":
        return True
    if setting == "False":
        return False
    return None


def _expiry(is_async: bool, setting: Setting, where: str) -> Optional[Expiry]:
    expires = _expires(setting)
    return None if expires is None else Expiry(is_async, expires, where)


def _expiry_from_info(info: FactoryInfo, is_async: bool) -> Optional[Expiry]:
    """A factory defined in another module, as the project index recorded it."""
    where = f"`{info.name}` ({Path(info.path).name}:{info.line})" if info.line else f"`{info.name}` ({info.path})"
    return _expiry(is_async, info.setting("expire_on_commit"), where)


def _assigned_names(statement: Optional[cst.CSTNode]) -> List[str]:
    """`SessionLocal` in `SessionLocal = sessionmaker(...)`."""
    if isinstance(statement, cst.Assign):
        targets = [target.target for target in statement.targets]
    elif isinstance(statement, cst.AnnAssign):
        targets = [statement.target]
    else:
        return []
    return [target.value for target in targets if isinstance(target, cst.Name)]


def _model_name(node: cst.BaseExpression) -> Optional[str]:
    """`User` for `User` or `models.User`: a mapped class, by the naming convention every
    codebase follows (not `User.id`, not a CONSTANT)."""
    name = node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""
    return name if name[:1].isupper() and not name.isupper() else None


def _load_of(args: Sequence[cst.Arg]) -> Optional[Load]:
    """What `select(User)` / `query(User, Address)` loads; None for columns only (`User.id`)."""
    models = [_model_name(arg.value) for arg in args if arg.keyword is None]
    found = [model for model in models if model is not None]
    if not found:
        return None
    return Load(found[0] if len(models) == 1 else None)


def _innermost_call(node: cst.BaseExpression) -> Optional[cst.Call]:
    """`update(User)` in `update(User).where(...).values(...)`."""
    current = node
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
            and isinstance(current.func.value, cst.Call):
        current = current.func.value
    return current if isinstance(current, cst.Call) else None


def _bound_names(target: cst.CSTNode) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _bound_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _bound_names(target.value)
    if isinstance(target, cst.Del):
        return _bound_names(target.target)
    return []


def _subscripted_name(value: cst.BaseExpression) -> Optional[str]:
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        return value.value.value
    return None


def _returned_names(value: Optional[cst.BaseExpression]) -> List[cst.Name]:
    """`return x` and `return x, y` hand the objects themselves to the caller."""
    if isinstance(value, cst.Name):
        return [value]
    if isinstance(value, (cst.Tuple, cst.List)):
        return [element.value for element in value.elements if isinstance(element.value, cst.Name)]
    return []


def _shortened(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- words for messages -------------------------------------------------------------------------
def how_expired(use: ExpiredUse, model: "SemanticModel") -> str:
    """"`session.commit()` on line 9 expired `user`", or the block whose end committed."""
    node = use.expired_by
    if isinstance(node, cst.Call):
        awaited = isinstance(model.tree.parent_of(node), cst.Await)
        call = ("await " if awaited else "") + _shortened(model.source_of(node))
        if method_name(node) != "commit":  # a project function that commits the session it is given
            state = "with only its columns loaded again" if use.columns_only else "expired"
            return (f"`{call}` on line {model.line_of(node)} commits `{use.session.label}` "
                    f"and returns `{use.name}` {state}")
        return f"`{call}` on line {model.line_of(node)} expired `{use.name}`"
    end = model.positions.range(node).end.line
    return f"the `{with_header(node, model)}` block committed when it ended on line {end}, expiring `{use.name}`"


def how_expired_and_ended(use: ExpiredUse, model: "SemanticModel") -> str:
    if use.ended_by is use.expired_by:
        node = use.expired_by
        end = model.positions.range(node).end.line
        when = ("as the function returns" if _returns_from(use, node, model)
                else f"when it ended on line {end}")
        return (f"the `{with_header(node, model)}` block committed (expiring `{use.name}`) "
                f"and closed the session {when}")
    return f"{how_expired(use, model)} and {how_ended(use, model)}"


def _returns_from(use: ExpiredUse, block: cst.CSTNode, model: "SemanticModel") -> bool:
    return use.kind == RETURN and model.tree.inside(use.node, block)


def how_ended(use: ExpiredUse, model: "SemanticModel") -> str:
    """"the `with Session(engine) as session` block closed the session when it ended on line 12"."""
    node = use.ended_by
    if node is None:
        return "the session is still open"
    if isinstance(node, cst.Call):
        method = method_name(node) or ""
        what = "detached it" if method == "expunge" else "closed the session"
        return f"`{model.source_of(node)}` on line {model.line_of(node)} {what}"
    if _returns_from(use, node, model):
        return f"the `{with_header(node, model)}` block closes the session as the function returns"
    end = model.positions.range(node).end.line
    return f"the `{with_header(node, model)}` block closed the session when it ended on line {end}"


def names_an_object(use: ExpiredUse) -> bool:
    """`user`, `users[0]`: something `refresh()` can be given; not a returned query's rows."""
    return not (use.kind == RETURN and isinstance(use.node, cst.Return) and use.node.value is not None
                and not _returned_names(use.node.value))


def commits_at_block_end(use: ExpiredUse) -> bool:
    """Expired by a block's own commit: there is no point after it to call `refresh()`."""
    return not isinstance(use.expired_by, cst.Call)


def with_header(statement: cst.CSTNode, model: "SemanticModel", limit: int = 60) -> str:
    assert isinstance(statement, cst.With)
    items = ", ".join(model.source_of(item).rstrip(", ") for item in statement.items)
    text = ("async with " if statement.asynchronous is not None else "with ") + items
    return text if len(text) <= limit else text[: limit - 3] + "..."
