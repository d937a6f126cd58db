"""Sessions a function creates and does not close on every way out (ORM102's question).

A session made outside a `with` block holds its connection (while a transaction is open)
and its identity map until `close()`; dropped unclosed, it waits for the garbage
collector, and pool checkouts pile up. Only sessions this function is responsible for
are followed:

- `session = Session(engine)` / `maker()` / `async_sessionmaker(...)()` in a function,
  not returned, yielded, stored or passed anywhere (`transactions.escapes`): anyone who
  receives it may close it. `contextlib.closing(session)` and `with session:` are such
  hand-offs, and close it. So is `return session.query(User)` (a lazy query or result
  that the caller reads through the session).
- a temporary that is used and dropped in one expression: `Session(engine).execute(...)`.

Silent for `with` targets, scoped sessions and Flask-SQLAlchemy's `db.session` (the
framework ends them), module-level and class-level sessions (they live as long as the
program), and sessions stored on an object (`self.session = Session()`).

An unbound `Session()` (no bind, no binds; `transactions.is_unbound`) is not followed
either: it cannot check out a connection at all (a flush or a query raises
UnboundExecutionError), so there is nothing for `close()` to give back. A sessionmaker is
not unbound: `maker.configure(bind=...)` binds it elsewhere.

The ways out are `return`, the end of the body, and an explicit `raise` that no handler
of the function catches, each after the `finally:` blocks on its way; a path through
`if session:` only closes when the session exists, which is every path that has one.
Exceptions raised by calls are not followed: closing on those paths is what `with` and
`finally:` are for, but code that closes on every normal path is not reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

import libcst as cst

from . import names
from . import sessions as origins
from .flow import State
from .session_flow import SessionFlow
from .queries import QUERY, RESULT, QueryValues
from .sessions import Creation, SessionRef
from .transactions import CLOSE_METHODS, is_unbound
from .nodes import method_name

if TYPE_CHECKING:
    from . import SemanticModel

NAMED, TEMPORARY = "named", "temporary"
# Calls that hand out a Connection: a session bound to one borrows it from its owner.
_CONNECTION_METHODS = frozenset({"connect", "connection", "begin"})
_CONNECTION_FUNCTIONS = frozenset({"alembic.op.get_bind"})
# A temporary session used like this is handed to a block that ends its transaction.
_TRANSACTION_METHODS = frozenset({"begin", "begin_nested", "close"})
# methods that end the transaction: after them the session holds no connection
_ENDING_METHODS = frozenset({"commit", "rollback"})


@dataclass(frozen=True)
class UnclosedSession:
    creation: Creation
    kind: str  # named | temporary
    session: Optional[SessionRef]  # the local name, for a named session
    how: Optional[str]  # flow.RETURN | RAISE | END, for a named session
    exit: Optional[cst.CSTNode]  # the `return` or `raise` it leaves through
    scope_name: str


class LifecycleAnalysis:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._found: Optional[List[UnclosedSession]] = None

    def unclosed_sessions(self) -> List[UnclosedSession]:
        if self._found is None:
            self._found = self._find()
        return self._found

    def _find(self) -> List[UnclosedSession]:
        tree = self.model.tree
        found: List[UnclosedSession] = []
        named: Dict[cst.CSTNode, Dict[cst.CSTNode, Tuple[Creation, SessionRef]]] = {}
        for call in tree.of_type(cst.Call):
            made = self.model.sessions.creation(call)
            if (made is None or made.scoped or made.autocommit or is_unbound(made)
                    or self._bound_to_connection(call)):
                continue
            value: cst.CSTNode = call
            parent = tree.parent_of(call)
            if isinstance(parent, cst.Await):
                value, parent = parent, tree.parent_of(parent)
            owner = tree.owner_of(call)
            if not isinstance(owner, cst.FunctionDef):
                continue
            if self._is_temporary(value, parent):
                found.append(UnclosedSession(made, TEMPORARY, None, None, None, owner.name.value))
                continue
            ref = self._local_name(value, parent, owner)
            if ref is not None:
                named.setdefault(owner, {})[parent] = (made, ref)  # type: ignore[index]
        for owner, creations in named.items():
            flow = _LifecycleFlow(self.model, owner, creations)
            flow.run_function(owner.body)  # type: ignore[attr-defined]
            found.extend(flow.reports.values())
        found.sort(key=lambda item: self.model.line_of(item.creation.node))
        return found

    def _bound_to_connection(self, call: cst.Call) -> bool:
        """`Session(bind=op.get_bind())`, `Session(connection)`: the session borrows a
        connection whose owner (a migration, a test fixture, a `with`) gives it back."""
        calls = [call, call.func] if isinstance(call.func, cst.Call) else [call]
        for made in calls:
            for index, arg in enumerate(made.args):  # type: ignore[union-attr]
                is_bind = arg.keyword.value == "bind" if arg.keyword is not None else index == 0
                if is_bind and self._is_connection(arg.value):
                    return True
        return False

    def _is_connection(self, value: cst.BaseExpression) -> bool:
        scopes = self.model.scopes
        if isinstance(value, cst.Name):
            _, bindings = scopes.bindings_of(value)
            if len(bindings) != 1:
                return False
            binding = bindings[0]
            if binding.kind == "param":
                return binding.annotation is not None and scopes.qualified_name(binding.annotation) in names.CONNECTION_TYPES
            if binding.kind not in ("assign", "annassign", "with") or binding.value is None:
                return False
            value = binding.value
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False
        if scopes.qualified_name(value.func) in _CONNECTION_FUNCTIONS:
            return True
        return method_name(value) in _CONNECTION_METHODS

    def _is_temporary(self, value: cst.CSTNode, parent: Optional[cst.CSTNode]) -> bool:
        """`Session(engine).execute(...)`: used once, then dropped without `close()`."""
        if not isinstance(parent, cst.Attribute) or parent.value is not value:
            return False
        call = self.model.tree.parent_of(parent)
        return (isinstance(call, cst.Call) and call.func is parent
                and parent.attr.value not in _TRANSACTION_METHODS)

    def _local_name(self, value: cst.CSTNode, parent: Optional[cst.CSTNode],
                    owner: cst.FunctionDef) -> Optional[SessionRef]:
        """The function-local session `name = <value>` binds, when this function alone ends it."""
        target: Optional[cst.BaseExpression] = None
        if isinstance(parent, cst.Assign) and parent.value is value and len(parent.targets) == 1:
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is value:
            target = parent.target
        if not isinstance(target, cst.Name):
            return None
        ref = self.model.sessions.session_of(target)
        if ref is None or ref.origin != origins.LOCAL or ref.binding is None or ref.binding.scope.node is not owner:
            return None
        if (self.model.transactions.escapes(ref, owner) or self._close_is_deferred(ref, owner)
                or self._returns_lazy_results(owner)):
            return None
        return ref

    def _returns_lazy_results(self, owner: cst.FunctionDef) -> bool:
        """`return session.query(User)`, `return session.execute(stmt)`: the caller reads rows
        through the session later, so closing it here would break them."""
        values = self.model.get(QueryValues)
        return any(
            statement.value is not None and values.kind_of(statement.value) in (QUERY, RESULT)
            and self.model.tree.owner_of(statement) is owner
            for statement in self.model.tree.of_type(cst.Return)
        )

    def _close_is_deferred(self, ref: SessionRef, owner: cst.FunctionDef) -> bool:
        """`atexit.register(session.close)`, `request.add_finalizer(lambda: session.close())`:
        closed later, by whoever runs the callback."""
        tree = self.model.tree
        for attribute in tree.of_type(cst.Attribute):
            if not (attribute.attr.value in CLOSE_METHODS and isinstance(attribute.value, cst.Name)
                    and attribute.value.value == ref.label and tree.inside(attribute, owner)):
                continue
            parent = tree.parent_of(attribute)
            called_here = (isinstance(parent, cst.Call) and parent.func is attribute
                           and tree.owner_of(attribute) is owner)
            if not called_here:
                return True
        return False


class _LifecycleFlow(SessionFlow):
    def __init__(self, model: "SemanticModel", owner: cst.FunctionDef,
                 creations: Dict[cst.CSTNode, Tuple[Creation, SessionRef]]) -> None:
        super().__init__(model, owner)
        self.creations = creations
        self.keys = {ref.key for _, ref in creations.values()}
        self.reports: Dict[cst.CSTNode, UnclosedSession] = {}

    def apply(self, node: cst.CSTNode, state: State) -> State:
        for event in self.model.transactions.events_in(node):
            if event.session.key not in self.keys:
                continue
            if event.method in CLOSE_METHODS or (event.method in _ENDING_METHODS and self._is_last_act(node)):
                state = frozenset(fact for fact in state if fact[0] != event.session.key)
        created = self.creations.get(node)
        if created is not None:
            state = state | {(created[1].key, node)}
        return state

    def _is_last_act(self, node: cst.CSTNode) -> bool:
        """`session.commit()` that ends the function, or is followed only by `return name`
        / `return <constant>`: the transaction is over, the connection is back in the pool,
        and nothing starts a new one before the session is dropped (measured on SQLAlchemy
        2.x: no connection stays checked out). `return user.id` after it is not: reading an
        expired attribute begins a new transaction."""
        tree = self.model.tree
        line = tree.parent_of(node)
        block = tree.parent_of(line) if line is not None else None
        if not (isinstance(line, cst.SimpleStatementLine) and line.body[-1] is node
                and isinstance(block, cst.IndentedBlock)):
            return False
        position = next(index for index, statement in enumerate(block.body) if statement is line)
        rest = block.body[position + 1:]
        if not rest:
            return tree.parent_of(block) is self.owner
        following = rest[0]
        if not (isinstance(following, cst.SimpleStatementLine) and isinstance(following.body[0], cst.Return)):
            return False
        value = following.body[0].value
        return value is None or isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.SimpleString))

    def on_exit(self, state: State, how: str, node: Optional[cst.CSTNode]) -> None:
        for _, statement in state:
            if statement not in self.reports:
                made, ref = self.creations[statement]
                name = self.owner.name.value  # type: ignore[attr-defined]
                self.reports[statement] = UnclosedSession(made, NAMED, ref, how, node, name)
