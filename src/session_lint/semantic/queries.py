"""Which expressions are SQL statements, query builders, results or loaded rows.

Shared by every rule that asks "does this value come from the database?". A value counts
only with evidence from its own chain: a session method (resolved through the session
analysis), an executed `select()` (resolved through imports), a legacy `.query(Model)`
call, or Flask-SQLAlchemy's `Model.query`. `.first()` on anything else — a user class,
`re.match`, a list wrapper — is not a query result.

Kinds:
  statement  `select(User).where(...)`: not executed yet
  query      legacy `session.query(User).filter(...)` / `User.query`: executes when iterated
  result     `session.execute(stmt)`, `.scalars()`: an iterator over rows, read once
  rows       `.all()`, `.fetchall()`, `list(result)`: every row loaded into a list
  optional   `.first()`, `.get()`, `.one_or_none()`, `.scalar_one_or_none()`, `.scalar()`: may be None
  one        `.one()`, `.scalar_one()`, `.first_or_404()`: a row, or an exception
  count      `.count()`: an int computed by the database
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from . import names
from .scopes import receiver_method

if TYPE_CHECKING:
    from . import SemanticModel

STATEMENT, QUERY, RESULT, ROWS, OPTIONAL, ONE, COUNT = (
    "statement", "query", "result", "rows", "optional", "one", "count",
)
ROW_SOURCES = frozenset({QUERY, RESULT, ROWS})

SELECT_FUNCTIONS = frozenset({
    "sqlalchemy.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select",
    "sqlalchemy.future.select", "sqlmodel.select", "sqlmodel.sql.expression.select",
})
STATEMENT_METHODS = frozenset("""where filter filter_by order_by limit offset join outerjoin
    join_from outerjoin_from options group_by having distinct select_from execution_options
    with_only_columns add_columns correlate with_for_update fetch slice union union_all
    params prefix_with suffix_with with_hint enable_group_by_reduction set_label_style
    """.split())
QUERY_BUILDER_METHODS = STATEMENT_METHODS | frozenset("""with_entities yield_per populate_existing
    enable_eagerloads autoflush from_self with_parent reset_joinpoint with_session
    add_entity add_column order_by filter_by""".split())
RESULT_PASSTHROUGH = frozenset({"unique", "mappings", "columns", "tuples", "yield_per", "scalars", "partitions"})
LOADING = frozenset({"all", "fetchall", "fetchmany"})
MAYBE_NONE = frozenset({"first", "one_or_none", "scalar_one_or_none", "scalar", "fetchone"})
ONE_OR_RAISE = frozenset({"one", "scalar_one", "first_or_404", "one_or_404", "get_or_404"})
AGGREGATE_FUNCTIONS = frozenset("""count sum max min avg array_agg string_agg group_concat
    json_agg jsonb_agg json_object_agg jsonb_object_agg bool_and bool_or every stddev
    stddev_pop stddev_samp variance var_pop var_samp mode percentile_cont percentile_disc""".split())
# Aggregates whose value is never NULL, even over no rows: `count()` is 0, `exists()` false.
NON_NULL_AGGREGATES = frozenset({"count", "exists"})
# Methods that pick the first selected column of each row.
_SCALAR_METHODS = frozenset({"scalar", "scalar_one_or_none", "scalars"})
# Methods whose first argument is the statement they run.
_REPLACE_COLUMNS = frozenset({"with_entities", "with_only_columns"})
# `func.count(...).label("n")`, `exists().where(...)`; not `.over()`, a window keeps every row.
_KEEPS_AGGREGATE = frozenset({"label", "cast", "where", "filter", "correlate", "correlate_except"})
_MAX_CHAIN = 50


@dataclass(frozen=True)
class QueryValue:
    kind: str
    # Method names applied after the root, in order (`["where", "order_by", "limit"]`).
    methods: Tuple[str, ...] = ()
    # The expression where the chain starts (the session call, select(), Model.query).
    root: Optional[cst.CSTNode] = field(default=None, repr=False, compare=False)

    @property
    def is_limited(self) -> bool:
        """The database already returns few rows: `.limit()`, `.first()`, `.slice()`..."""
        return any(m in ("limit", "slice", "fetch", "first", "get", "one", "one_or_none", "page") for m in self.methods)

    @property
    def is_unordered_page(self) -> bool:
        """The rows are one page of a query cut before it is ordered (`.offset(n)`,
        `.slice(a, b)`, or a helper's page): which rows the page holds is the database's
        choice, so sorting them in Python orders an arbitrary subset."""
        for method in self.methods:
            if method == "order_by":
                return False
            if method in ("page", "offset", "slice"):
                return True
        return False

    @property
    def is_filtered(self) -> bool:
        return any(m in ("where", "filter", "filter_by", "having") for m in self.methods)

    @property
    def is_ordered(self) -> bool:
        return "order_by" in self.methods

    def then(self, kind: str, method: str) -> "QueryValue":
        return QueryValue(kind, self.methods + (method,), self.root)


class QueryValues:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._cache: Dict[cst.CSTNode, Optional[QueryValue]] = {}
        self._flask: Optional[bool] = None

    # -- public questions ----------------------------------------------------------------------
    def value_of(self, node: cst.CSTNode) -> Optional[QueryValue]:
        """What `node` evaluates to, when it comes from the database (None otherwise)."""
        if node in self._cache:
            return self._cache[node]
        self._cache[node] = None  # recursion through `q = q.filter(...)` stops here
        found = self._classify(node)
        self._cache[node] = found
        return found

    def kind_of(self, node: cst.CSTNode) -> Optional[str]:
        value = self.value_of(node)
        return value.kind if value is not None else None

    def may_be_none(self, node: cst.CSTNode) -> bool:
        return self.kind_of(node) == OPTIONAL

    def optional_calls(self) -> List[cst.Call]:
        """Every call in the module that returns a database row or None."""
        return [call for call in self.model.tree.of_type(cst.Call) if self.may_be_none(call)]

    def is_never_none(self, call: cst.Call) -> bool:
        """An optional call that returns a value whatever the data: a statement without
        GROUP BY that selects only aggregates always yields exactly one row, so `.first()`
        is a row; `.scalar()` of `count()` or `exists()` is a number or a bool.
        (`.scalar()` of `max()`/`sum()` over no rows is None, and stays optional.)"""
        value = self.value_of(call)
        if value is None or value.kind != OPTIONAL or value.methods[-1:] == ("get",):
            return False
        selected = self.selected_columns(call)
        if selected is None:
            return False
        columns, grouped = selected
        if grouped or not columns:
            return False
        if any(method in _SCALAR_METHODS for method in value.methods):
            return self.aggregate_name(columns[0]) in NON_NULL_AGGREGATES
        return all(self.aggregate_name(column) is not None for column in columns)

    def selected_columns(self, node: cst.CSTNode) -> Optional[Tuple[Tuple[cst.BaseExpression, ...], bool]]:
        """The column expressions of the statement `node` runs (or is), and whether it has
        a GROUP BY; None when the statement cannot be found (a parameter, a helper's result)."""
        replaced: Optional[Tuple[cst.BaseExpression, ...]] = None
        grouped = False
        last: Optional[cst.Call] = None
        for current in self.statement_calls(node):
            last = current
            func = current.func
            arguments = tuple(arg.value for arg in current.args if not arg.keyword and not arg.star)
            if self._is_select(func):
                return (replaced if replaced is not None else arguments), grouped
            if not isinstance(func, cst.Attribute):
                # `_model_query(context, func.max(X.n))`: a project helper that hands its
                # arguments to `session.query()`; its SQL arguments are the columns.
                helper_value = self.value_of(current)
                columns = tuple(argument for argument in arguments if self.aggregate_name(argument) is not None)
                if helper_value is not None and helper_value.kind == QUERY and columns:
                    return (replaced if replaced is not None else columns), grouped
                return None
            method = func.attr.value
            if method == "query" and self.value_of(current) is not None:
                return (replaced if replaced is not None else arguments), grouped
            if method in _REPLACE_COLUMNS and replaced is None:
                replaced = arguments
            grouped = grouped or method == "group_by"
        # `User.query.with_entities(...)`: the chain starts at a query that is no call.
        root = last.func.value if last is not None and isinstance(last.func, cst.Attribute) else None
        if replaced is not None and root is not None and self.kind_of(root) == QUERY:
            return replaced, grouped
        return None

    def statement_calls(self, node: cst.CSTNode) -> Iterator[cst.Call]:
        """The calls that build and run the statement `node` evaluates, outermost first:
        `rows.fetchall()`, `conn.execute(stmt)`, `.where(...)`, ..., `select(...)`; through
        local names assigned once and the statement argument of `execute()`/`scalars()`."""
        current: Optional[cst.CSTNode] = node
        for _ in range(_MAX_CHAIN):
            if isinstance(current, cst.Await):
                current = current.expression
            if isinstance(current, cst.Name):
                current = self.model.scopes.single_value(current) or self._reaching_value(current)
            if not isinstance(current, cst.Call):
                return
            yield current
            func = current.func
            if self._is_select(func) or not isinstance(func, cst.Attribute):
                return
            arguments = [arg.value for arg in current.args if not arg.keyword and not arg.star]
            current = arguments[0] if func.attr.value in names.RUNS_STATEMENT and arguments else func.value

    def _is_select(self, func: cst.BaseExpression) -> bool:
        return self.model.scopes.qualified_name(func) in SELECT_FUNCTIONS or self._is_flask_select(func)

    def aggregate_name(self, column: cst.BaseExpression) -> Optional[str]:
        """`count` for `func.count(User.id).label("n")`, `exists` for `exists()` / `q.exists()`."""
        while isinstance(column, cst.Call) and isinstance(column.func, cst.Attribute) \
                and column.func.attr.value in _KEEPS_AGGREGATE:
            column = column.func.value
        if not isinstance(column, cst.Call):
            return None
        func = column.func
        if isinstance(func, cst.Name):
            # `from sqlalchemy import exists`, `from sqlalchemy.sql.functions import count`
            qualified = self.model.scopes.qualified_name(func) or ""
            name = qualified.rsplit(".", 1)[-1]
            known = name in AGGREGATE_FUNCTIONS or name == "exists"
            return name if known and qualified.startswith("sqlalchemy.") else None
        if not isinstance(func, cst.Attribute):
            return None
        name = func.attr.value
        if name == "exists":
            return name
        owner = func.value
        # `func.count`, `sa.func.count`, Flask-SQLAlchemy's `db.func.count`
        owner_name = owner.attr.value if isinstance(owner, cst.Attribute) else getattr(owner, "value", None)
        return name if owner_name == "func" and name in AGGREGATE_FUNCTIONS else None

    def entity_of(self, node: cst.CSTNode) -> Optional[str]:
        """The model a query reads, as written: `User` for `session.query(User.name)...`,
        `select(User)...`, `User.query...` and `session.get(User, 1)`; None when unknown."""
        value = self.value_of(node)
        if value is None:
            return None
        root = value.root
        if isinstance(root, cst.Attribute):
            return self.model.source_of(root.value)  # `User.query`
        selected = self.selected_columns(node)
        first: Optional[cst.BaseExpression] = None
        if selected is not None and selected[0]:
            first = selected[0][0]
        elif isinstance(root, cst.Call) and root.args:
            first = root.args[0].value  # `session.get(User, id)`
        while isinstance(first, cst.Attribute):
            first = first.value
        return first.value if isinstance(first, cst.Name) else None

    # -- classification -------------------------------------------------------------------------
    def _classify(self, node: cst.CSTNode) -> Optional[QueryValue]:
        if isinstance(node, cst.Await):
            return self.value_of(node.expression)
        if isinstance(node, cst.Call):
            return self._classify_call(node)
        if isinstance(node, cst.Attribute):
            if node.attr.value == "query" and (self._is_flask_model(node.value) or self._project_query_property(node.value)):
                return QueryValue(QUERY, (), node)
            if node.attr.value != "query" and _names_a_model(node.value) \
                    and self._project_query_property(node.value, node.attr.value):
                return QueryValue(QUERY, (), node)  # `Switch.q`: a metaclass property or `query_property()`
            return None
        if isinstance(node, cst.Name):
            return self._classify_name(node)
        if isinstance(node, cst.Subscript):
            # `rows[0]` raises IndexError rather than returning None.
            inner = self.value_of(node.value)
            if inner is not None and inner.kind == ROWS:
                return QueryValue(ONE, inner.methods + ("[]",), inner.root)
        return None

    def _classify_name(self, node: cst.Name) -> Optional[QueryValue]:
        _, bindings = self.model.scopes.bindings_of(node)
        values = []
        ancestors = set(map(id, self.model.tree.ancestors(node)))
        for binding in bindings:
            if id(binding.node) in ancestors:
                continue  # `q = q.filter(...)`: the right side reads the other bindings
            if self._binds_later(binding.node, node):
                continue  # `q = helper(q)` further down cannot reach this use
            if binding.kind not in ("assign", "annassign", "walrus") or binding.value is None:
                return None
            values.append(self.value_of(binding.value))
        if not values or any(v is None for v in values):
            return None
        kinds = {v.kind for v in values if v is not None}
        return values[0] if len(kinds) == 1 else None

    def _reaching_value(self, use: cst.Name) -> Optional[cst.BaseExpression]:
        """`res = conn.execute(count)` ... `res.fetchone()` ... `res = conn.execute(other)`:
        the value of the last plain assignment before the use, in straight-line code."""
        _, bindings = self.model.scopes.bindings_of(use)
        ancestors = set(map(id, self.model.tree.ancestors(use)))
        before = [binding for binding in bindings
                  if id(binding.node) not in ancestors and not self._binds_later(binding.node, use)]
        if not before or any(binding.kind not in ("assign", "annassign") or binding.value is None
                             for binding in before):
            return None
        if any(isinstance(ancestor, (cst.For, cst.While, cst.If, cst.Try)) for ancestor in self.model.tree.ancestors(use)
               if any(self.model.tree.inside(binding.node, ancestor) for binding in before)):
            return None  # which assignment reaches depends on the path taken
        order_of = self.model.tree.order_of
        last = max(before, key=lambda binding: order_of(binding.node))
        return last.value

    def _binds_later(self, binding: cst.CSTNode, use: cst.Name) -> bool:
        """The binding comes after the use in the file and no loop around the use could run
        it first."""
        order_of = self.model.tree.order_of
        if order_of(binding) <= order_of(use):
            return False
        return not any(isinstance(ancestor, (cst.For, cst.While)) and self.model.tree.inside(binding, ancestor)
                       for ancestor in self.model.tree.ancestors(use))

    def _classify_call(self, call: cst.Call) -> Optional[QueryValue]:
        func = call.func
        qualified = self.model.scopes.qualified_name(func)
        if qualified in SELECT_FUNCTIONS or self._is_flask_select(func):
            return QueryValue(STATEMENT, (), call)
        if isinstance(func, cst.Name) and func.value == "list" and len(call.args) == 1 and qualified == "builtins.list":
            inner = self.value_of(call.args[0].value)
            if inner is not None and inner.kind in (QUERY, RESULT):
                return inner.then(ROWS, "list")
            return None
        if not isinstance(func, cst.Attribute):
            return self._project_result(call)
        method = func.attr.value
        receiver = func.value
        session = self.model.sessions.session_of(receiver)
        if session is not None:
            return self._session_method(call, method)
        inner = self.value_of(receiver)
        if inner is None:
            return self._unresolved_receiver(call, method) or self._project_result(call)
        return _apply(inner, method, call)

    def _project_query_property(self, node: cst.BaseExpression, attribute: str = "query") -> bool:
        from .project_calls import ProjectCalls

        return self.model.get(ProjectCalls).has_query_property(node, attribute)

    def _project_result(self, call: cst.Call) -> Optional[QueryValue]:
        """What a project function returns, from its summary: a query (`return
        session.query(Model)`), a row or None (`return q.first()`), or loaded rows."""
        from .project_calls import ProjectCalls

        callee = self.model.get(ProjectCalls).callee(call)
        if callee is None:
            return None
        if callee.returns_none:
            return QueryValue(OPTIONAL, ("helper",), call)
        # `page`: the helper cuts its query to a page before ordering it (`.slice(start, stop)`)
        calls = self.model.get(ProjectCalls)
        page = ("page",) if calls.returns_page(callee) else ()
        if callee.returns_rows:
            options = ("options",) if calls.loads_options(callee) else ()
            return QueryValue(ROWS, ("helper",) + page + options, call)
        if callee.returns_query or calls.annotated_query(callee):
            return QueryValue(QUERY, page, call)
        if callee.refines is not None:
            from .project_calls import ProjectCalls as Calls

            for argument in call.args:
                if self.model.get(Calls).parameter_for(call, argument, callee) == f"p:{callee.refines}":
                    inner = self.value_of(argument.value)
                    return inner if inner is not None and inner.kind == QUERY else None
        return None

    def _session_method(self, call: cst.Call, method: str) -> Optional[QueryValue]:
        if method == "execute":
            argument = call.args[0].value if call.args else None
            statement = self.value_of(argument) if argument is not None else None
            if statement is None or statement.kind == STATEMENT:
                return QueryValue(RESULT, statement.methods if statement else (), call)
            return None
        if method == "scalars":
            argument = call.args[0].value if call.args else None
            statement = self.value_of(argument) if argument is not None else None
            return QueryValue(RESULT, (statement.methods if statement else ()) + ("scalars",), call)
        if method in ("scalar", "get"):
            return QueryValue(OPTIONAL, (method,), call)
        if method == "query":
            return QueryValue(QUERY, (), call)
        return None

    def _unresolved_receiver(self, call: cst.Call, method: str) -> Optional[QueryValue]:
        """`x.execute(select(...))` or `x.query(User)` on something we cannot resolve."""
        argument = call.args[0].value if call.args else None
        if argument is None:
            return None
        if method in ("execute", "scalars", "scalar"):
            statement = self.value_of(argument)
            if statement is None or statement.kind != STATEMENT:
                return None
            if method == "scalar":
                return statement.then(OPTIONAL, "scalar")
            return statement.then(RESULT, method) if method == "scalars" else QueryValue(RESULT, statement.methods, call)
        if method == "query" and _names_a_model(argument):
            return QueryValue(QUERY, (), call)
        return None

    # -- Flask-SQLAlchemy ------------------------------------------------------------------------
    def _is_flask_select(self, func: cst.BaseExpression) -> bool:
        return isinstance(func, cst.Attribute) and func.attr.value == "select" \
            and self.model.sessions.is_flask_db(func.value)

    def _is_flask_model(self, node: cst.BaseExpression) -> bool:
        """`User` in `User.query`: a CamelCase name (or `models.User`, through an imported
        module) in a module of a Flask-SQLAlchemy project, or `cls` in a classmethod of a
        class derived from `db.Model`."""
        if isinstance(node, cst.Attribute) and node.attr.value[:1].isupper() and not node.attr.value.isupper():
            # `models.Widget.query`, with `models` an imported module of the project.
            head = node.value
            while isinstance(head, cst.Attribute):
                head = head.value
            return isinstance(head, cst.Name) and self.model.scopes.import_binding(head) is not None \
                and self.uses_flask_sqlalchemy()
        if not isinstance(node, cst.Name):
            return False
        if node.value[:1].isupper():
            return self.uses_flask_sqlalchemy()
        return self._is_flask_model_receiver(node)

    def _is_flask_model_receiver(self, node: cst.Name) -> bool:
        _, bindings = self.model.scopes.bindings_of(node)
        found = receiver_method(bindings[0]) if len(bindings) == 1 else None
        if found is None:
            return False
        method, classdef = found
        if not any(self.model.scopes.qualified_name(d.decorator) == "builtins.classmethod"
                   for d in method.decorators):
            return False
        return self._derives_from_flask_model(classdef, set())

    def _derives_from_flask_model(self, classdef: cst.ClassDef, seen: Set[cst.ClassDef]) -> bool:
        """A `db.Model` base, directly or through classes of this module. Deliberately narrower
        than MappedClasses, whose evidence for imported bases reads queries (and so this)."""
        seen.add(classdef)
        for base in classdef.bases:
            value = base.value
            if isinstance(value, cst.Attribute) and value.attr.value == "Model":
                if self.model.sessions.is_flask_db(value.value):
                    return True
            elif isinstance(value, cst.Name):
                _, bindings = self.model.scopes.bindings_of(value)
                if len(bindings) == 1 and isinstance(bindings[0].node, cst.ClassDef) \
                        and bindings[0].node not in seen \
                        and self._derives_from_flask_model(bindings[0].node, seen):
                    return True
        return False

    def uses_flask_sqlalchemy(self) -> bool:
        if self._flask is None:
            self._flask = self._find_flask_evidence()
        return self._flask

    def _find_flask_evidence(self) -> bool:
        scopes = self.model.scopes
        for bindings in scopes.module_scope.bindings.values():
            for binding in bindings:
                if binding.kind == "import" and (binding.qualified or binding.module or "").startswith("flask_sqlalchemy"):
                    return True
        index = self.model.index
        return bool(index) and index.has_kind("flask_sqlalchemy")


def _apply(inner: QueryValue, method: str, call: cst.Call) -> Optional[QueryValue]:
    kind = inner.kind
    if kind == STATEMENT:
        return inner.then(STATEMENT, method) if method in STATEMENT_METHODS else None
    if kind == QUERY:
        if method in QUERY_BUILDER_METHODS:
            return inner.then(QUERY, method)
        if method in LOADING:
            return inner.then(ROWS, method)
        if method in ("first", "one_or_none", "scalar") or (method == "get" and call.args):
            return inner.then(OPTIONAL, method)
        if method in ONE_OR_RAISE:
            return inner.then(ONE, method)
        if method == "count":
            return inner.then(COUNT, method)
        return None
    if kind == RESULT:
        if method in RESULT_PASSTHROUGH:
            return inner.then(RESULT, method)
        if method in LOADING:
            return inner.then(ROWS, method)
        if method in MAYBE_NONE:
            return inner.then(OPTIONAL, method)
        if method in ONE_OR_RAISE:
            return inner.then(ONE, method)
        return None
    return None


def _names_a_model(node: cst.BaseExpression) -> bool:
    """`User`, `models.User`, `User.id`: what legacy `.query(...)` is called with."""
    if isinstance(node, cst.Name):
        return node.value[:1].isupper()
    if isinstance(node, cst.Attribute):
        return _names_a_model(node.value) or node.attr.value[:1].isupper()
    return False
