"""One fast pass over a libcst tree: parent links and nodes grouped by type.

libcst's visitor dispatch costs a Python call per node and per hook; walking the dataclass
fields directly, and skipping whitespace and punctuation, is several times cheaper and
every later analysis can ask for "all calls" or "the parent of this node" for free.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple, Type, TypeVar

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)

_TRIVIA_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "colon", "dot", "equal", "semicolon", "star",
        "leading_lines", "lines_after_decorators", "header", "footer", "newline",
        "trailing_whitespace", "lbrace", "lbracket", "rbrace", "rbracket", "first_colon",
        "second_colon", "default_indent", "default_newline", "empty_lines", "encoding",
        "has_trailing_newline", "indent", "comment", "asynchronous", "operator",
        "trailing_comma", "posonly_ind", "leading_whitespace", "first_line", "last_line",
        "whitespace",
    }
)

_FIELDS_BY_TYPE: Dict[type, Tuple[str, ...]] = {}
# Code inside these runs later, or never: not as part of the statements around it.
SCOPE_BOUNDARY = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _child_fields(node_type: type) -> Tuple[str, ...]:
    names = _FIELDS_BY_TYPE.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _TRIVIA_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS_BY_TYPE[node_type] = names
    return names


def iter_children(node: cst.CSTNode):
    """The meaningful children of `node` in source order (no whitespace or punctuation)."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


class TreeIndex:
    """Parent links and per-type node lists for one module, built in one walk."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.parent: Dict[cst.CSTNode, cst.CSTNode] = {}
        self._by_type: Dict[type, List[cst.CSTNode]] = defaultdict(list)
        self._walk(module)

    def _walk(self, root: cst.CSTNode) -> None:
        parent = self.parent
        by_type = self._by_type
        # Explicit stack: deeply nested expressions must not hit the recursion limit.
        stack: List[cst.CSTNode] = [root]
        order: List[cst.CSTNode] = []
        while stack:
            node = stack.pop()
            order.append(node)
            children = list(iter_children(node))
            for child in children:
                parent[child] = node
            stack.extend(reversed(children))
        # `order` is a pre-order walk, so every per-type list is in source order.
        for node in order:
            by_type[type(node)].append(node)
        self._order: Dict[cst.CSTNode, int] = {node: index for index, node in enumerate(order)}

    def order_of(self, node: cst.CSTNode) -> int:
        """Source order (pre-order index) of `node`: compares two nodes' places in the file
        without the position metadata, a whole extra pass a file pays only to report."""
        return self._order.get(node, -1)

    def of_type(self, node_type: Type[N]) -> Sequence[N]:
        return self._by_type.get(node_type, ())  # type: ignore[return-value]

    def parent_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parent.get(node)

    def ancestors(self, node: cst.CSTNode):
        current = self.parent.get(node)
        while current is not None:
            yield current
            current = self.parent.get(current)

    def enclosing(self, node: cst.CSTNode, types: Tuple[type, ...]) -> Optional[cst.CSTNode]:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, types):
                return ancestor
        return None

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        """`node` is a descendant of `container`."""
        return any(ancestor is container for ancestor in self.ancestors(node))

    def owner_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The function, class or lambda (or the module) whose statements run `node`."""
        found = self.enclosing(node, SCOPE_BOUNDARY)
        return found if found is not None else self.module

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost statement holding `node` (a simple statement line or a compound one)."""
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.SimpleStatementLine)):
            current: Optional[cst.CSTNode] = node
        else:
            current = self.enclosing(node, (cst.BaseCompoundStatement, cst.SimpleStatementLine))
        if isinstance(current, cst.BaseSmallStatement):
            current = self.parent.get(current, current)
        return current if current is not None else node
