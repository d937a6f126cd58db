"""The question "what does the project function this call runs do with sessions?", asked
from one module's libcst tree and answered by the project's function summaries
(`project/summaries.py`), which see every module."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from ..project.call_sites import every_call_site
from .scopes import dotted_name

_UNSET = object()

if TYPE_CHECKING:
    from ..project.mapped_classes import ProjectClasses
    from ..project.summaries import ProjectSummaries, Summary
    from . import SemanticModel

_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


class ProjectCalls:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.module = model.index.module_key(model.filename)
        self._callees: Dict[int, Optional["Summary"]] = {}
        self._classes: Dict[str, object] = {}

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

    def has_query_property(self, node: cst.BaseExpression, attribute: str = "query") -> bool:
        """`Submission` in `Submission.query`, where a base class of the project got
        `Base.query = db_session.query_property()`; `Switch` in `Switch.q`, where the
        metaclass of its base has a property `q` returning `session.query(cls)`."""
        summaries = self.summaries
        target = dotted_name(node)
        if summaries is None or target is None:
            return False
        if attribute == "query" and summaries.has_query_property(self.module, target):  # type: ignore[arg-type]
            return True
        key = self.mapped_class(target)
        return key is not None and self.classes.query_attribute(key, attribute)  # type: ignore[union-attr]

    # -- mapped classes of other modules (ORM30x) ---------------------------------------------------
    @property
    def classes(self) -> Optional["ProjectClasses"]:
        summaries = self.summaries
        if summaries is None:
            return None
        from ..project.mapped_classes import project_classes

        return project_classes(summaries)

    def mapped_class(self, dotted: str) -> Optional[Tuple[str, str]]:
        """The project class (file, name) that `dotted`, as written in this module, names."""
        classes = self.classes
        if classes is None:
            return None
        key = self._classes.get(dotted, _UNSET)
        if key is _UNSET:
            key = classes.resolve(self.module, dotted)  # type: ignore[arg-type]
            self._classes[dotted] = key
        return key  # type: ignore[return-value]

    def returns_page(self, callee: "Summary") -> bool:
        """The function returns a query or rows cut to a page before any order (`page` facts)."""
        path, qualname = callee.key
        return bool(self.summaries.facts[path]["functions"][qualname].get("page"))  # type: ignore[union-attr]

    def annotated_query(self, callee: "Summary") -> bool:
        """The function says it returns SQLAlchemy's legacy `Query` (`-> Query`, with `Query`
        imported from `sqlalchemy.orm` or Flask-SQLAlchemy, or `orm.Query`)."""
        path, qualname = callee.key
        module = self.summaries.facts[path]  # type: ignore[union-attr]
        text = module["functions"][qualname].get("annotated_query")
        if not text:
            return False
        head = text.split(".")[0]
        if head in module["classes"] or head in module.get("assigned", {}):
            return False  # the module's own `Query`
        imported = module["imports"].get(head)
        origin = (imported[0] or "") + "." + (imported[1] or "") if imported else ""
        return origin.startswith(("sqlalchemy", "flask_sqlalchemy"))

    def loads_options(self, callee: "Summary") -> bool:
        """The rows the function returns come from a query with loader `.options(...)`."""
        path, qualname = callee.key
        return bool(self.summaries.facts[path]["functions"][qualname].get("rows_options"))  # type: ignore[union-attr]

    def rows_entity(self, call: cst.Call) -> Optional[str]:
        """The class whose rows the project function `call` runs returns (`return
        session.query(User)....all()`), by its name; for `Model.all(...)` of a classmethod
        that queries `cls`, the class it is called on."""
        callee = self.callee(call)
        if callee is None or not callee.returns_rows:
            return None
        path, qualname = callee.key
        entity = self.summaries.facts[path]["functions"][qualname].get("rows_entity")  # type: ignore[union-attr]
        if not entity:
            return None
        if entity == "cls":
            receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
            return dotted_name(receiver) if receiver is not None else None
        key = self.classes.resolve(path, entity) if self.classes is not None else None
        return key[1] if key is not None else None

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
        `asynccontextmanager(get_db)()`, `with GetDB() as db` (a class whose `__enter__`
        returns a session it made). "commits" when it commits that session when the block
        ends, "plain" otherwise, with "+closes" when the block's end surely closes it; None
        when `call` makes no session we know of."""
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
            return self._session_wrapper(call)
        if callee.returns_session:
            return "plain"
        return _scope(callee) if callee.context_manager else None


    def _session_wrapper(self, call: cst.Call) -> Optional[str]:
        """`GetDB()` in `with GetDB() as db:`, a project class whose `__enter__` returns a
        session it made and whose `__exit__` ends it."""
        summaries = self.summaries
        target = dotted_name(call.func)
        if summaries is None or target is None or not isinstance(self.model.tree.parent_of(call), cst.WithItem):
            return None
        wrapper = summaries.session_wrapper(self.module, target)  # type: ignore[arg-type]
        return f"{wrapper}+closes" if wrapper is not None else None

    def instance_returners(self) -> FrozenSet[str]:
        """The last names of the project functions that return an object they committed in
        the caller's session (a cheap first test before resolving a call)."""
        summaries = self.summaries
        return summaries.instance_returners() if summaries is not None else frozenset()

    def returned_instance(self, call: cst.Call) -> Optional[Tuple[cst.Arg, str, Optional[Tuple[str, str]]]]:
        """`crud.create_user(db, user)` returns an object it added to `db` and committed:
        (the argument that passes the session, "expired" | "refreshed", the project class
        the object is an instance of when known)."""
        callee = self.callee(call)
        if callee is None or callee.returns_instance is None:
            return None
        slot, state = callee.returns_instance
        for argument in call.args:
            if self.parameter_for(call, argument, callee) == slot:
                classes = self.classes if callee.instance_class else None
                key = classes.resolve(callee.key[0], callee.instance_class) if classes is not None else None  # type: ignore[arg-type]
                return argument, state, key
        return None

    def keys_every_caller_passes(self, function: cst.FunctionDef,
                                 parameter: str) -> Optional[List[Tuple[Tuple[str, str], str, bool]]]:
        """What every project call of `function` (of this module) passes for `parameter`, when
        each passes a column of a row it holds (`self.run_id` in a `DagRun` method, ids added
        from every queried `Dashboard`): (the row's class as (file, name), the attribute, one
        value or a collection of them) per call; None when some call passes anything else,
        or the project has no call of it."""
        summaries = self.summaries
        qualname = self.qualname(function)
        if summaries is None or qualname is None:
            return None
        target = (self.module, qualname)
        callee = summaries.summaries.get(target)  # type: ignore[arg-type]
        sites = every_call_site(summaries, target)  # type: ignore[arg-type]
        if callee is None or not sites:
            return None
        params = list(callee.params)
        if "." in qualname and params and params[0] in ("self", "cls"):
            params = params[1:]
        found: List[Tuple[Tuple[str, str], str, bool]] = []
        for (path, caller), line in sites:
            passed = [key for key in summaries.facts[path]["functions"][caller].get("row_keys", ())
                      if key[1] == line and self._binds(key[2], parameter, params)
                      and self._resolves_to(path, caller, key[0], target)]
            if len(passed) != 1:
                return None
            _, _, _, written, attribute, each = passed[0]
            classes = self.classes
            resolved = classes.resolve(path, written) if classes is not None else None
            if resolved is None:
                return None
            found.append((resolved, attribute, each))
        return found

    @staticmethod
    def _binds(where: object, parameter: str, params: List[str]) -> bool:
        if isinstance(where, int):
            return where < len(params) and params[where] == parameter
        return where == parameter

    def _resolves_to(self, path: str, caller: str, callee: str, target: Tuple[str, str]) -> bool:
        summaries = self.summaries
        assert summaries is not None
        found = summaries.resolve(path, caller, callee)
        if found is None and "." in callee:
            found = summaries.unique_method(callee.rpartition(".")[2])
        return found == target


def _scope(summary: Optional["Summary"]) -> Optional[str]:
    if summary is None or not summary.yields_session:
        return None
    return "commits" if summary.commits_own else "plain"
