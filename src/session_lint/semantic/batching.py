"""Commits that run once per item of a `for` loop which adds or merges one object per item
(ORM103's question).

The commit counts when it runs on every iteration: it sits in the loop's own body, not
under an `if` (a commit every N rows is batching), not in a `try` with handlers (a
per-item transaction that isolates failures on purpose), not in a `begin()`/
`begin_nested()` block, and not on a session made inside the loop (one session per item
is isolation too). The `add()`/`merge()` may be anywhere in the same loop body, except in
an inner loop (then the commit closes a batch). A body that always ends in `break`,
`return` or `raise` runs once. `while` loops are left alone: they are queue consumers and
pollers, which must commit each item as it arrives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional

import libcst as cst

from . import sessions as origins
from .enclosing import climb, in_transaction_block, innermost_loop
from .members import MemberSessions
from .queries import MAYBE_NONE, ONE_OR_RAISE
from .rows import RowAnalysis
from .sessions import SessionRef

if TYPE_CHECKING:
    from . import SemanticModel

PER_ROW_METHODS = frozenset({"add", "merge"})
# Calls that return a row already in the database, whatever they are called on.
_LOOKUPS = MAYBE_NONE | ONE_OR_RAISE | frozenset({"get", "get_one"})
# Between the loop body and the commit, only these keep "runs on every iteration".
_UNCONDITIONAL = (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.Expr,
                  cst.Await, cst.With)


@dataclass(frozen=True)
class CommitPerRow:
    commit: cst.Call
    session: SessionRef
    loop: cst.For
    work: cst.Call  # the add()/merge() of the same iteration


class BatchingAnalysis:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.members = model.get(MemberSessions)
        self._found: Optional[List[CommitPerRow]] = None

    def commits_per_row(self) -> List[CommitPerRow]:
        if self._found is None:
            self._found = [found for loop in self.model.tree.of_type(cst.For)
                           for found in self._in_loop(loop)]
        return self._found

    def _in_loop(self, loop: cst.For) -> List[CommitPerRow]:
        if _runs_once(loop):
            return []
        tree = self.model.tree
        work: Dict[str, cst.Call] = {}
        commits: List[cst.Call] = []
        refs: Dict[str, SessionRef] = {}
        for event in self.model.transactions.events_in(loop.body, self.model.sessions.session_of):
            if not isinstance(event.node, cst.Call) or innermost_loop(tree, event.node) is not loop:
                continue
            key = event.session.key
            refs[key] = event.session
            if event.method in PER_ROW_METHODS and not self._loaded_before(event.node, loop):
                work.setdefault(key, event.node)
            elif event.method == "commit":
                commits.append(event.node)
        found: List[CommitPerRow] = []
        for commit in commits:
            ref = self.model.sessions.session_of(commit.func.value)  # type: ignore[attr-defined]
            if ref is None or ref.key not in work:
                continue
            if self._every_iteration(commit, loop, ref) and not self._made_per_item(ref, loop):
                found.append(CommitPerRow(commit, ref, loop, work[ref.key]))
        return found

    def _loaded_before(self, work: cst.Call, loop: cst.For) -> bool:
        """`session.add(setting)` where the loop just read `setting` from the database (`x =
        ....first()`/`.one()`/`.get(...)`, or the loop iterates query rows): add() of a loaded
        instance is a no-op, so the loop updates rows one by one rather than inserting one per
        item, which is not what this analysis is about."""
        if not work.args or not isinstance(work.args[0].value, cst.Name):
            return False
        _, bindings = self.model.scopes.bindings_of(work.args[0].value)
        inside_loop = [b for b in bindings if b.node is loop or self.model.tree.inside(b.node, loop)]
        return bool(inside_loop) and all(self._is_lookup(b.value) for b in inside_loop)

    def _is_lookup(self, value: Optional[cst.BaseExpression]) -> bool:
        if isinstance(value, cst.Await):
            value = value.expression
        if value is None:
            return False
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value in _LOOKUPS:
            return True
        return self.model.get(RowAnalysis).source(value) is not None

    def _every_iteration(self, commit: cst.Call, loop: cst.For, ref: SessionRef) -> bool:
        for ancestor, _ in climb(self.model.tree, commit, stop=loop):
            if not isinstance(ancestor, _UNCONDITIONAL):
                return False
        return not in_transaction_block(self.model, commit, ref.key, self.model.sessions.session_of, stop=loop)

    def _made_per_item(self, ref: SessionRef, loop: cst.For) -> bool:
        if ref.origin not in (origins.WITH, origins.LOCAL) or ref.binding is None:
            return False
        return self.model.tree.inside(ref.binding.node, loop)


def _runs_once(loop: cst.For) -> bool:
    """The body always ends in `break`, `return` or `raise`: a search or a retry, not a batch."""
    if not isinstance(loop.body, cst.IndentedBlock) or not loop.body.body:
        return False
    last = loop.body.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(statement, (cst.Break, cst.Return, cst.Raise)) for statement in last.body
    )
