"""Which names carry a loop's items: `model.get(LoopVariables).names_of(loop)`; whether a
local collection is filled after it is written (`LoopVariables.grows(name)`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional

import libcst as cst

from .rows import RowAnalysis, loop_targets, names_in
from .tree import iter_children

if TYPE_CHECKING:
    from . import SemanticModel


class LoopVariables:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        # Asked once per call inside a loop: answered once per loop.
        self._names: Dict[cst.CSTNode, FrozenSet[str]] = {}

    def names_of(self, loop: cst.CSTNode) -> FrozenSet[str]:
        """The loop's variables, and locals assigned in its body from them (`uid = item["id"]`);
        for a comprehension, the targets of all its `for` clauses."""
        found = self._names.get(loop)
        if found is None:
            found = self._names[loop] = _loop_names(loop)
        return found

    def grows(self, name: cst.Name) -> bool:
        """The collection `name` holds may gain items after its binding: a method that adds
        (`items.append(x)`, `groups.setdefault(k, []).append(x)`, `seen.update(...)`), an item
        stored (`by_id[k] = x`, `ranges[-1] = ...`). `items = []` followed by such calls is
        as long as the data makes it, not as the source writes it. (A collection handed to a
        function is taken as read, not filled.)"""
        rows = self.model.get(RowAnalysis)
        tree = self.model.tree
        for read in rows.reads_of(name):
            parent = tree.parent_of(read)
            if isinstance(parent, cst.Attribute) and parent.value is read:
                call = tree.parent_of(parent)
                if isinstance(call, cst.Call) and call.func is parent \
                        and parent.attr.value not in _READING_METHODS:
                    return True
            elif isinstance(parent, cst.Subscript) and parent.value is read:
                if _is_store(tree.parent_of(parent), parent):
                    return True
        return False


# Methods that read a collection without adding to it.
_READING_METHODS = frozenset({"items", "keys", "values", "get", "copy", "count", "index",
                              "__contains__", "__len__", "__iter__", "__getitem__"})


def _is_store(parent: Optional[cst.CSTNode], subscript: cst.Subscript) -> bool:
    """`x[k] = v`, `x[k] += v` or `del x[k]` changes the collection `x`."""
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)):
        return parent.target is subscript
    return isinstance(parent, cst.Del)


def _loop_names(loop: cst.CSTNode) -> FrozenSet[str]:
    if not isinstance(loop, cst.For):
        names: FrozenSet[str] = frozenset()
        compfor: Optional[cst.CompFor] = loop.for_in  # type: ignore[attr-defined]
        while compfor is not None:
            names |= loop_targets(compfor)
            compfor = compfor.inner_for_in
        return names
    names = loop_targets(loop)
    assignments = [node for node in _walk(loop.body) if isinstance(node, cst.Assign)]
    for _ in range(3):  # a short chain of derived locals is enough in practice
        grown = names
        for assignment in assignments:
            if names_in(assignment.value) & grown:
                for target in assignment.targets:
                    grown = grown | names_in(target.target)
        if grown == names:
            break
        names = grown
    return names


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(iter_children(current))
