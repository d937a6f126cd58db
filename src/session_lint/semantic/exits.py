"""Which calls end a path: the one answer to "does this call return?" (`model.ends_path`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List

import libcst as cst

from .enclosing import SCOPE_BOUNDARY, local_function
from .members import MemberSessions
from .tree import iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# Return annotations that say a function never returns.
_NORETURN_TYPES = frozenset({
    "typing.NoReturn", "typing_extensions.NoReturn", "typing.Never", "typing_extensions.Never",
})


class NeverReturns:
    """Calls that never return; rules and analyses ask `model.ends_path(node)`.

    The configured `noreturn-functions` (`abort()`, `sys.exit()`, resolved through imports),
    and functions or methods (`self._raise_not_found(...)`) defined in this module that
    cannot return: annotated `-> NoReturn` / `-> Never`, or whose body ends in a `raise`
    statement and holds no `return` or `yield`. What the helper is called does not matter.
    """

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._class_of_self = model.get(MemberSessions).class_of_self
        self._local: Dict[cst.FunctionDef, bool] = {}

    def call(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call):
            return False
        if self.model.scopes.qualified_name(node.func) in self.model.noreturn_functions:
            return True
        function = local_function(self.model, node.func, self._class_of_self)
        if function is None:
            return False
        if function not in self._local:
            self._local[function] = self._annotated(function) or _always_raises(function)
        return self._local[function]

    def _annotated(self, function: cst.FunctionDef) -> bool:
        returns = function.returns
        if returns is None:
            return False
        return self.model.scopes.qualified_name(returns.annotation) in _NORETURN_TYPES


def _always_raises(function: cst.FunctionDef) -> bool:
    """The body ends in `raise` and nothing in it returns or yields (nested functions aside)."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    last = body.body[-1]
    if not (isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Raise)):
        return False
    stack: List[cst.CSTNode] = [statement for statement in body.body if not isinstance(statement, SCOPE_BOUNDARY)]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Return, cst.Yield)):
            return False
        stack.extend(child for child in iter_children(current) if not isinstance(child, SCOPE_BOUNDARY))
    return True


