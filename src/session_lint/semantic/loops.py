"""Which names carry a loop's items: `model.get(LoopVariables).names_of(loop)`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional

import libcst as cst

from .rows import loop_targets, names_in
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
