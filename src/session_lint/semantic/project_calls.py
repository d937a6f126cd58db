"""The question "what does the project function this call runs do with sessions?", asked
from one module's libcst tree and answered by the project's function summaries
(`project/summaries.py`), which see every module."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional

import libcst as cst

from .scopes import dotted_name

if TYPE_CHECKING:
    from ..project.summaries import ProjectSummaries, Summary
    from . import SemanticModel

_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


class ProjectCalls:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.module = model.index.module_key(model.filename)
        self._callees: Dict[int, Optional["Summary"]] = {}

    @property
    def summaries(self) -> Optional["ProjectSummaries"]:
        return self.model.index.summaries if self.module is not None else None

    def qualname(self, function: cst.CSTNode) -> Optional[str]:
        """`name` for a module-level function, `Class.name` for a method of a module-level
        class; None for anything nested deeper (the summaries do not name those)."""
        if not isinstance(function, cst.FunctionDef):
            return None
        tree = self.model.tree
        parent = tree.parent_of(function)
        if parent is self.model.module:
            return function.name.value
        if isinstance(parent, cst.IndentedBlock):
            owner = tree.parent_of(parent)
            if isinstance(owner, cst.ClassDef) and tree.parent_of(owner) is self.model.module:
                return f"{owner.name.value}.{function.name.value}"
        return None

    def of_function(self, function: cst.CSTNode) -> Optional["Summary"]:
        """The summary of a function defined in this module."""
        summaries = self.summaries
        qualname = self.qualname(function)
        if summaries is None or qualname is None:
            return None
        return summaries.function(self.module, qualname)  # type: ignore[arg-type]

    def callee(self, call: cst.Call) -> Optional["Summary"]:
        """The summary of the project function `call` runs, when that is certain."""
        key = id(call)
        if key not in self._callees:
            self._callees[key] = self._callee(call)
        return self._callees[key]

    def _callee(self, call: cst.Call) -> Optional["Summary"]:
        summaries = self.summaries
        if summaries is None:
            return None
        target = dotted_name(call.func)
        if target is None:
            return None
        caller = self.model.tree.enclosing(call, (cst.FunctionDef,))
        caller_name = self.qualname(caller) if caller is not None else ""
        if target.split(".")[0] in ("self", "cls") and not caller_name:
            return None
        found = summaries.resolve(self.module, caller_name or "", target)  # type: ignore[arg-type]
        return summaries.summaries.get(found) if found is not None else None

    def has_query_property(self, node: cst.BaseExpression) -> bool:
        """`Submission` in `Submission.query`, where a base class of the project got
        `Base.query = db_session.query_property()`."""
        summaries = self.summaries
        target = dotted_name(node)
        return summaries is not None and target is not None and summaries.has_query_property(
            self.module, target)  # type: ignore[arg-type]

    def parameter_for(self, call: cst.Call, argument: cst.Arg, callee: "Summary") -> Optional[str]:
        """The callee's parameter that `argument` of `call` binds, as a `p:<name>` slot."""
        params = list(callee.params)
        if "." in callee.key[1] and params and params[0] in ("self", "cls"):
            params = params[1:]
        if argument.keyword is not None:
            name = argument.keyword.value
            return f"p:{name}" if name in params else None
        if argument.star:
            return None
        position = [arg for arg in call.args if arg.keyword is None].index(argument)
        return f"p:{params[position]}" if position < len(params) else None

    def makes_session(self, call: cst.Call) -> Optional[str]:
        """A project function that makes a session: `self._create_session()` (returns one),
        `with tracked_db("op") as db` (a `@contextmanager` that yields one), or
        `asynccontextmanager(get_db)()`. "commits" when it commits that session when the
        block ends, "plain" otherwise, None when `call` makes no session we know of."""
        inner = call.func
        if isinstance(inner, cst.Call) and len(inner.args) == 1 and self.model.scopes.qualified_name(
                inner.func) in _CONTEXT_MANAGERS:
            target = dotted_name(inner.args[0].value)
            summaries = self.summaries
            if target is None or summaries is None:
                return None
            found = summaries.resolve(self.module, "", target)  # type: ignore[arg-type]
            summary = summaries.summaries.get(found) if found is not None else None
            return _scope(summary)
        callee = self.callee(call)
        if callee is None:
            return None
        if callee.returns_session:
            return "plain"
        return _scope(callee) if callee.context_manager else None


def _scope(summary: Optional["Summary"]) -> Optional[str]:
    if summary is None or not summary.yields_session:
        return None
    return "commits" if summary.commits_own else "plain"
