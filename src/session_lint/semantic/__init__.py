"""The semantic model every rule can ask: scopes, sessions, transactions, query values.

Each part is built on first use and then shared, so a rule that only needs the tree does
not pay for scopes, and two rules that need sessions pay once.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar

import libcst as cst

from ..project_index import EMPTY_INDEX, ProjectIndex
from .positions import Positions
from .scopes import ScopeAnalysis
from .sessions import SessionAnalysis
from .tree import TreeIndex

if TYPE_CHECKING:
    from .transactions import TransactionAnalysis

_WHITESPACE = re.compile(r"\s+")
A = TypeVar("A")


class AnalysisTimeout(Exception):
    """The file's analysis ran past its time budget (`file-time-budget`)."""


class SemanticModel:
    def __init__(
        self,
        module: cst.Module,
        filename: Optional[str] = None,
        index: ProjectIndex = EMPTY_INDEX,
        noreturn_functions: Tuple[str, ...] = (),
    ) -> None:
        self.module = module
        self.filename = filename
        self.index = index
        self.noreturn_functions = frozenset(noreturn_functions)
        self._tree: Optional[TreeIndex] = None
        self._scopes: Optional[ScopeAnalysis] = None
        self._sessions: Optional[SessionAnalysis] = None
        self._transactions: Optional["TransactionAnalysis"] = None
        self.positions = Positions(module)
        self._analyses: Dict[Any, Any] = {}
        # `time.monotonic()` after which the analyses stop (None: no limit); set by the engine.
        self.deadline: Optional[float] = None

    def check_deadline(self) -> None:
        """Raise AnalysisTimeout once the file's time budget is spent: the long-running
        loops (every statement of a flow, every analysis built) ask, so a pathological file
        stops in time instead of holding up the run."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise AnalysisTimeout()

    def release(self) -> None:
        """Forget the tree and every analysis once the rules are done with this file.

        The analyses and the model refer to each other, so without this the whole file's
        tree waits for the cycle collector, and a worker could hold two large files at once.
        """
        scopes = self.__dict__.get("_scopes")
        if scopes is not None:
            for scope in scopes.scopes.values():
                scope.bindings.clear()  # a binding refers back to its scope
        self.__dict__.clear()

    def get(self, analysis: Callable[["SemanticModel"], A]) -> A:
        """The shared instance of an analysis, built on first use: `model.get(QueryValues)`.

        Any class (or function) taking the model is an analysis; built-in rules and plugin
        rules use this to share work without the model having to know about them.
        """
        found = self._analyses.get(analysis)
        if found is None:
            self.check_deadline()
            found = analysis(self)
            self._analyses[analysis] = found
        return found

    @property
    def tree(self) -> TreeIndex:
        if self._tree is None:
            self._tree = TreeIndex(self.module)
        return self._tree

    @property
    def scopes(self) -> ScopeAnalysis:
        if self._scopes is None:
            self._scopes = ScopeAnalysis(self.tree)
        return self._scopes

    @property
    def sessions(self) -> SessionAnalysis:
        if self._sessions is None:
            self._sessions = SessionAnalysis(self.scopes, self.source_of, self.index, self.filename)
            from .members import MemberSessions

            self._sessions.member_session = lambda node: self.get(MemberSessions).member_session(node)
            if self.index.module_key(self.filename) is not None:
                from .project_calls import ProjectCalls

                self._sessions.project_session = lambda call: self.get(ProjectCalls).makes_session(call)
        return self._sessions

    @property
    def transactions(self) -> "TransactionAnalysis":
        if self._transactions is None:
            from .transactions import TransactionAnalysis

            self._transactions = TransactionAnalysis(self)
        return self._transactions

    def source_of(self, node: cst.CSTNode) -> str:
        """Source text of a node, folded onto one line."""
        return _WHITESPACE.sub(" ", self.module.code_for_node(node)).strip()

    def line_of(self, node: cst.CSTNode) -> int:
        return self.positions.start(node).line

    def ends_path(self, node: cst.BaseExpression) -> bool:
        """A call after which no path goes on: the configured `noreturn-functions`
        (`sys.exit()`, Flask's `abort()`, resolved through imports) and helpers of this
        module that cannot return (`-> NoReturn`, or a body that always raises)."""
        from .exits import NeverReturns

        return self.get(NeverReturns).call(node)
