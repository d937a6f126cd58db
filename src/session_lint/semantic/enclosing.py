"""What surrounds a node inside its function: loops, `try` bodies, transaction blocks.

Structural questions only (no paths): they are asked about one statement and the blocks
between it and some outer statement, never beyond the enclosing function.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator, Optional, Tuple, Union

import libcst as cst

from .sessions import SessionRef
from .tree import TreeIndex, iter_children

if TYPE_CHECKING:
    from . import SemanticModel

from .tree import SCOPE_BOUNDARY  # noqa: F401 - re-exported for the analyses that import it here
LOOPS = (cst.For, cst.While)
# `with session.begin():` commits or rolls back by itself; `begin_nested()` rolls back to
# its savepoint: an error inside either leaves the session usable.
TRANSACTION_BLOCKS = frozenset({"begin", "begin_nested"})
TryNode = Union[cst.Try, cst.TryStar]
Resolve = Callable[[cst.BaseExpression], Optional[SessionRef]]


def climb(tree: TreeIndex, node: cst.CSTNode,
          stop: Optional[cst.CSTNode] = None) -> Iterator[Tuple[cst.CSTNode, cst.CSTNode]]:
    """(ancestor, child it was reached from), outwards from `node`, ending before `stop`
    or at the enclosing function, class or lambda."""
    child = node
    for ancestor in tree.ancestors(node):
        if ancestor is stop or isinstance(ancestor, SCOPE_BOUNDARY):
            return
        yield ancestor, child
        child = ancestor


def innermost_loop(tree: TreeIndex, node: cst.CSTNode) -> Optional[cst.BaseCompoundStatement]:
    """The loop whose body runs `node` once per iteration (not its header or `else`)."""
    for ancestor, child in climb(tree, node):
        if isinstance(ancestor, LOOPS):
            return ancestor if child is ancestor.body else None
    return None


def guarding_tries(tree: TreeIndex, node: cst.CSTNode, stop: Optional[cst.CSTNode] = None) -> Iterator[TryNode]:
    """The `try` statements whose handlers see an exception raised at `node`, innermost first."""
    for ancestor, child in climb(tree, node, stop):
        if isinstance(ancestor, (cst.Try, cst.TryStar)) and child is ancestor.body and ancestor.handlers:
            yield ancestor


def transaction_block(statement: cst.With, resolve: Resolve) -> Iterator[Tuple[str, SessionRef]]:
    """(method, session) for each `session.begin()` / `begin_nested()` item of a `with`."""
    for item in statement.items:
        call = item.item.expression if isinstance(item.item, cst.Await) else item.item
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in TRANSACTION_BLOCKS):
            ref = resolve(call.func.value)
            if ref is not None:
                yield call.func.attr.value, ref


def in_transaction_block(model: "SemanticModel", node: cst.CSTNode, key: str, resolve: Resolve,
                         stop: Optional[cst.CSTNode] = None) -> bool:
    """`node` runs inside `with <session key>.begin():` or `.begin_nested():` (below `stop`)."""
    for ancestor, child in climb(model.tree, node, stop):
        if isinstance(ancestor, cst.With) and child is ancestor.body:
            if any(ref.key == key for _, ref in transaction_block(ancestor, resolve)):
                return True
    return False


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """The calls evaluated by `node` itself, not by functions or lambdas defined in it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(child for child in iter_children(current) if not isinstance(child, SCOPE_BOUNDARY))


def local_function(model: "SemanticModel", func: cst.BaseExpression,
                   class_of_self: Callable[[cst.Name], Optional[cst.ClassDef]]) -> Optional[cst.FunctionDef]:
    """The definition in this module that `func(...)` or `self.func(...)` calls."""
    if isinstance(func, cst.Name):
        _, bindings = model.scopes.bindings_of(func)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.FunctionDef):
            return bindings[0].node
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        owner = class_of_self(func.value)
        if owner is not None and isinstance(owner.body, cst.IndentedBlock):
            for statement in owner.body.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == func.attr.value:
                    return statement
    return None
