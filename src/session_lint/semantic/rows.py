"""Which iterables hold rows loaded from the database, and whether they serve anything else.

The python-side rules (ORM301-ORM304) all start from the same two questions:

- *Is this iterable a row source?* A query, an executed `select()`, or a loaded list (see
  :mod:`.queries` for the evidence each needs), directly or through a local name, with what
  the query selects (`select(User)` -> entity `User`; `select(User.id, User.name)` -> the
  columns `id` and `name`) so a rule can write the SQL it suggests.
- *Were the rows loaded only for this?* Moving a filter, a sort or a count into the query
  only saves work when nothing else needs the full list. A local list used a second time,
  or reused on every turn of an enclosing loop, is loaded anyway: the Python work on it is
  then cheaper than another query, and the rules stay silent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from .queries import ONE, OPTIONAL, ROW_SOURCES, ROWS, QueryValue, QueryValues
from .relationships import LAZY, Relationship, Relationships
from .nodes import callee_name
from .scopes import Binding, dotted_name
from .tree import iter_children

if TYPE_CHECKING:
    from ..project.mapped_classes import ProjectClasses
    from . import SemanticModel

# Loops whose body runs more than once: a value read inside is read on every turn.
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# How a statement filtered on `id` bounds its rows.
ONE_ROW = "one row"
ONE_ROW_PER_VALUE = "one row per value"
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_UNSET = object()
# How many `name = <expression>` steps `locks_rows` follows back from a statement.
_MAX_NAME_HOPS = 4
# Loader options that load a relationship with its objects.
_EAGER_OPTIONS = frozenset({"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager"})


@dataclass(frozen=True)
class RowSource:
    """An iterable of database rows as written at one use site."""

    node: cst.BaseExpression = field(repr=False)
    value: QueryValue
    # `User` when the query selects one entity, so `u.email` is the column `User.email`.
    entity: Optional[str] = None
    # Row attribute -> column expression, when the query selects columns (`select(User.id)`).
    columns: Mapping[str, str] = field(default_factory=dict)
    # A legacy `Query` is narrowed with `.filter()`; a `select()` with `.where()`.
    legacy: bool = False
    # `GROUP BY`: each row is a group, and its columns may be aggregates.
    grouped: bool = False
    # The local name the rows were loaded into, when the iterable is a name.
    name: Optional[cst.Name] = field(default=None, repr=False)
    # The statement filters on the `id` column (see `RowAnalysis.by_identity`): ONE_ROW for
    # `id == value`, ONE_ROW_PER_VALUE for `id.in_(values)`; None otherwise.
    by_identity: Optional[str] = None
    # For a relationship collection (`bill.owers`): the SQL condition selecting the same rows,
    # `with_parent(bill, Bill.owers)`; a statement then starts from `select(<entity>)`.
    related: Optional[str] = None

    @property
    def is_small(self) -> bool:
        """The database already returns few rows, so Python work on them costs little."""
        return self.value.is_limited or "fetchmany" in self.value.methods or self.by_identity == ONE_ROW

    @property
    def is_loaded(self) -> bool:
        """Every row is already in a Python list (`.all()`, `.fetchall()`, `list(...)`)."""
        return self.value.kind == ROWS

    @property
    def selects_rows(self) -> bool:
        """The query selects an entity or named columns, so it returns one row per match.

        `select(func.count())` or `text("...")` may return a single row: slicing or
        counting its result costs nothing.
        """
        return not self.grouped and (self.entity is not None or bool(self.columns))

    @property
    def where_method(self) -> str:
        return "filter" if self.legacy else "where"

    def column(self, attribute: str) -> Optional[str]:
        """The column expression behind `row.<attribute>`, when the query says which it is."""
        if attribute in self.columns:
            # `.scalars()` of `select(User.name)` yields the names themselves, not rows.
            return None if "scalars" in self.value.methods else self.columns[attribute]
        if self.entity is not None:
            return f"{self.entity}.{attribute}"
        return None


class RowAnalysis:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.queries: QueryValues = model.get(QueryValues)
        self._loads: Optional[Dict[str, List[cst.Name]]] = None
        self._reaching: Dict[cst.Name, object] = {}
        self._eager: Optional[Set[Tuple[str, str]]] = None

    # -- row sources ------------------------------------------------------------------------------
    def source(self, node: cst.BaseExpression) -> Optional[RowSource]:
        """`node`, when iterating it yields rows from the database (not batches of rows).

        A name rebound in the function (`history = []`, then `history = q.all()` in one
        branch) holds what the assignment reaching it in straight-line code assigned (see
        `reaching_binding`), when there is one."""
        if isinstance(node, cst.Attribute):
            return self._related_rows(node)
        expression = self._assigned(node)
        copied = uncopied(self.model, expression)
        if copied is not expression and isinstance(copied, cst.Attribute):
            related = self._related_rows(copied)  # `list(hc.directories)`: the relationship's rows
            if related is not None:
                return related
        value = self.queries.value_of(expression)
        if value is None or value.kind not in ROW_SOURCES:
            return None
        if "partitions" in value.methods:
            return None  # each item is a list of rows
        entity, columns, grouped = self._selected(value)
        name = node if isinstance(node, cst.Name) else None
        return RowSource(node, value, entity, columns, self._is_legacy(value), grouped, name,
                         self.by_identity(expression))

    def _related_rows(self, node: cst.Attribute) -> Optional[RowSource]:
        """`bill.owers`, a collection relationship loaded by its own SELECT on first read
        (`lazy="select"`, the default), of a class declared in this module."""
        found = self.relationship_of(node)
        if found is None or not found.collection or found.loading != LAZY:
            return None
        if self._handed_in(node.value) and (found.owner, found.attribute) in self._eager_loads():
            # `def check(info): [t for t in info.tags if ...]` in a module that loads
            # `selectinload(Info.tags)`: the callers' objects come with their rows.
            return None
        value = QueryValue(ROWS, ("relationship",), node)
        related = f"with_parent({self.model.source_of(node.value)}, {found.owner}.{found.attribute})"
        return RowSource(node, value, found.target, {}, False, False, None, None, related)

    def _handed_in(self, node: cst.BaseExpression) -> bool:
        """`node` is a parameter of a private helper (`def _is_db_backed(self, info)`): the
        module's own callers hand it the object, loaded as they load it. Not `self`: a model
        method is called from anywhere (ihatemoney's `Bill.pay_each()` summed `self.owers`
        in Python although one query of the module had `subqueryload(Bill.owers)`)."""
        if not isinstance(node, cst.Name) or node.value in ("self", "cls"):
            return False
        _, bindings = self.model.scopes.bindings_of(node)
        if len(bindings) != 1 or bindings[0].kind != "param":
            return False
        function = self.model.tree.enclosing(node, (cst.FunctionDef,))
        return function is not None and function.name.value.startswith("_") \
            and not function.name.value.startswith("__")

    def _eager_loads(self) -> Set[Tuple[str, str]]:
        """(class, relationship) pairs this module loads with their objects somewhere:
        `selectinload(Info.tags)`, `joinedload(...)`, `subqueryload(...)`, ..."""
        if self._eager is None:
            self._eager = set()
            for call in self.model.tree.of_type(cst.Call):
                if callee_name(call) not in _EAGER_OPTIONS:
                    continue
                for argument in call.args:
                    target = argument.value
                    owner = dotted_name(target.value) if isinstance(target, cst.Attribute) else None
                    if owner is not None:
                        self._eager.add((owner.rpartition(".")[2], target.attr.value))  # type: ignore[union-attr]
        return self._eager

    def relationship_of(self, node: cst.Attribute) -> Optional[Relationship]:
        """The relationship `node` reads on an instance whose class this module declares."""
        if not self.model.get(Relationships).may_be(node.attr.value):
            return None
        entity = self.instance_entity(node.value)
        return self.model.get(Relationships).of(entity, node.attr.value) if entity is not None else None

    def instance_entity(self, node: cst.BaseExpression) -> Optional[str]:
        """The mapped class of the instance `node` holds, when the code says which: `self` in
        a method of the class, a parameter annotated with it, one row of a query
        (`session.get(User, i)`, `.first()`, `.one()`), or the variable of a loop over rows of
        a query selecting it."""
        if not isinstance(node, cst.Name):
            return None
        relationships = self.model.get(Relationships)
        owner = relationships.class_of_receiver(node)
        if owner is not None:
            return owner
        binding = self.binding_of(node)
        if binding is None:
            return None
        entity: Optional[str] = None
        if binding.kind == "param" and binding.annotation is not None:
            annotation = binding.annotation
            if isinstance(annotation, cst.SimpleString):
                text = annotation.evaluated_value
                entity = text if isinstance(text, str) and text.isidentifier() else None
            elif isinstance(annotation, cst.Name):
                entity = annotation.value
        elif binding.kind in ("assign", "annassign") and binding.value is not None:
            value = self.queries.value_of(binding.value)
            if value is not None and value.kind in (OPTIONAL, ONE):
                entity = self.queries.entity_of(binding.value)
            if entity is None:
                # `build = self.build_to_compare(package)`: a project function returning one
                # row of a class (`return q.first()`, or what a function it calls returns).
                entity = self.returned_row_entity(binding.value)
        elif binding.kind in ("for", "comprehension", "unpack") and isinstance(binding.node, (cst.For, cst.CompFor)):
            entity = self._loop_item_entity(binding.node, node.value)
        return entity if entity is not None and relationships.knows(entity) else None

    def binding_of(self, name: cst.Name) -> Optional[Binding]:
        """The binding a read of `name` sees: its only one; else the plain assignment reaching
        it in straight-line code (`reaching_binding`), or the `for` loop around it whose target
        binds it (`loop_binding`). A function often reuses a name (`for hc, d in keys:` and
        later `for hc in categories:`): each read sees the binding its own loop made."""
        _, bindings = self.model.scopes.bindings_of(name)
        if len(bindings) == 1:
            return bindings[0]
        if not bindings:
            return None
        return self.reaching_binding(name) or self.loop_binding(name)

    def loop_binding(self, name: cst.Name) -> Optional[Binding]:
        """The binding of the innermost `for` whose body holds the read `name` and whose target
        binds the name, when nothing in that body binds it again: every turn starts by binding
        the target, so the body sees it (a comprehension's own target has its own scope)."""
        _, bindings = self.model.scopes.bindings_of(name)
        if len(bindings) == 1:
            return bindings[0] if isinstance(bindings[0].node, (cst.For, cst.CompFor)) else None
        child: cst.CSTNode = name
        for ancestor in self.model.tree.ancestors(name):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                return None
            if isinstance(ancestor, cst.For) and child is ancestor.body:
                own = [b for b in bindings if b.node is ancestor]
                if own:
                    again = [b for b in bindings if b.node is not ancestor and self._is_inside(b.node, ancestor.body)]
                    return own[0] if not again else None
            child = ancestor
        return None

    def _loop_item_entity(self, head: cst.CSTNode, name: str) -> Optional[str]:
        """The class of the row a loop binds to `name`: `for u in <rows of User>`, or one
        element of a tuple target: `for p, b in session.query(Package, Build)`, `for u, t in
        zip(users, teams)`, `for i, u in enumerate(users)`."""
        target, iterable = head.target, head.iter  # type: ignore[attr-defined]
        if isinstance(target, cst.Name):
            return self.items_entity(iterable)
        if not isinstance(target, (cst.Tuple, cst.List)):
            return None
        elements = [element.value for element in target.elements]
        position = next((i for i, element in enumerate(elements)
                         if isinstance(element, cst.Name) and element.value == name), None)
        if position is None:
            return None
        return self._element_entity(iterable, position, len(elements))

    def items_entity(self, iterable: cst.BaseExpression) -> Optional[str]:
        """The mapped class of the rows `iterable` yields: a query or statement of one class, a
        relationship's collection, a project function's rows (its query's, or the rows it
        appends to the list it returns), through a local name and a copy (`list(...)`)."""
        expression = uncopied(self.model, self._assigned(iterable))
        source = self.source(expression)
        if source is not None:
            entity = source.entity
            if entity is None and isinstance(source.value.root, cst.Call) and "helper" in source.value.methods:
                # `for user in crud.get_users(db)`: a project function returning rows of one
                # class. (Only the rows' class: the rules that rewrite a query leave a
                # helper's rows alone, its query serves other callers.)
                from .project_calls import ProjectCalls

                entity = self.model.get(ProjectCalls).rows_entity(source.value.root)
            return entity
        return self._items_of_project_function(expression)

    def items_load_related(self, iterable: cst.BaseExpression) -> bool:
        """The rows of the project function's list `iterable` holds (see `items_entity`) come
        from queries with loader options: their relationships may be loaded with them."""
        found = self._project_function(uncopied(self.model, self._assigned(iterable)))
        return found is not None and found[0].items_options(found[1])

    def lookup_loads_related(self, value: cst.BaseExpression) -> bool:
        """The one row `value` looks up comes from a query with loader options
        (`.options(subqueryload(Dashboard.slices))`), its own or a project function's: its
        relationships may be loaded with it."""
        query = self.queries.value_of(value)
        if query is not None and "options" in query.methods:
            return True
        found = self._project_function(value)
        return found is not None and found[0].row_options(found[1])

    def returned_row_entity(self, value: cst.BaseExpression) -> Optional[str]:
        """The mapped class of the one row the project function `value` calls returns."""
        found = self._project_function(value)
        key = found[0].row_class(found[1]) if found is not None else None
        return key[1] if key is not None else None

    def _items_of_project_function(self, node: cst.BaseExpression) -> Optional[str]:
        """The mapped class of the rows in the list the project function `node` calls returns."""
        found = self._project_function(node)
        key = found[0].items_class(found[1]) if found is not None else None
        return key[1] if key is not None else None

    def _project_function(self, node: cst.BaseExpression) -> Optional[Tuple["ProjectClasses", Tuple[str, str]]]:
        """(the project's mapped classes, the function) for a call of a project function."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call):
            return None
        from .project_calls import ProjectCalls

        calls = self.model.get(ProjectCalls)
        callee = calls.callee(node)
        classes = calls.classes if callee is not None else None
        return (classes, callee.key) if classes is not None and callee is not None else None

    def _element_entity(self, iterable: cst.BaseExpression, position: int, size: int) -> Optional[str]:
        """The class of element `position` of the `size`-tuples `iterable` yields."""
        expression = self._assigned(iterable)
        if isinstance(expression, cst.Call):
            qualified = self.model.scopes.qualified_name(expression.func)
            positional = [a.value for a in expression.args if a.keyword is None and not a.star]
            if qualified == "builtins.zip" and len(positional) == size == len(expression.args):
                return self.items_entity(positional[position])
            if qualified == "builtins.enumerate" and size == 2 and position == 1 and positional:
                return self.items_entity(positional[0])
        source = self.source(expression)
        root = source.value.root if source is not None else None
        if root is None or "scalars" in source.value.methods:  # type: ignore[union-attr]
            return None  # `.scalars()` yields the first selected entity alone
        selected = self.queries.selected_columns(root)
        if selected is None or selected[1] or len(selected[0]) != size:
            return None
        chosen = selected[0][position]
        return self.model.source_of(chosen) if _names_entity(chosen) else None

    def _assigned(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """The value the assignment reaching the name `node` assigned; `node` otherwise."""
        if isinstance(node, cst.Name):
            binding = self.reaching_binding(node)
            if binding is not None and binding.value is not None:
                return binding.value
        return node

    def loaded_list(self, node: cst.BaseExpression) -> Optional[RowSource]:
        """`node` is a list holding every row of a query (`.all()`, `.fetchall()`, `list(...)`)."""
        found = self.source(node)
        return found if found is not None and found.is_loaded else None

    def _is_legacy(self, value: QueryValue) -> bool:
        root = value.root
        if isinstance(root, cst.Attribute):
            # Flask-SQLAlchemy's `User.query`, a `query_property()`, a metaclass's `Model.q`
            return "relationship" not in value.methods
        return (isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute)
                and root.func.attr.value == "query")

    def _selected(self, value: QueryValue) -> Tuple[Optional[str], Dict[str, str], bool]:
        """What the query selects: one entity, or named columns; and whether it groups rows."""
        root = value.root
        if isinstance(root, cst.Attribute) and "relationship" not in value.methods:
            # `User.query`, `Switch.q`: a class attribute that is a Query of the class
            arguments: Tuple[cst.BaseExpression, ...] = (root.value,)
            grouped = "group_by" in value.methods
        else:
            selected = self.queries.selected_columns(root) if root is not None else None
            if selected is None:
                return None, {}, False
            arguments, grouped = selected
            grouped = grouped or "group_by" in value.methods
        if len(arguments) == 1 and _names_entity(arguments[0]):
            return self.model.source_of(arguments[0]), {}, grouped
        columns: Dict[str, str] = {}
        for argument in arguments:
            if not isinstance(argument, cst.Attribute):
                continue
            if _names_entity(argument.value) or _is_table_columns(argument.value):
                columns[argument.attr.value] = self.model.source_of(argument)
        return None, columns, grouped

    def by_identity(self, node: cst.BaseExpression) -> Optional[str]:
        """How the statement `node` runs bounds its rows through the `id` column, the primary
        key by the convention nearly every schema follows: ONE_ROW when it keeps the row whose
        `id` equals a value (`.where(User.id == user_id)`, `.filter_by(id=...)`,
        `users.c.id == 5`, also inside `and_()` or through a local name), ONE_ROW_PER_VALUE
        when it keeps the rows whose `id` is in a list the code sends (`User.id.in_(ids)`: no
        more rows than values the code already holds, though a filter may still drop most of
        them). A comparison with another column (`A.id == B.a_id`, a join) or under `or_()`
        does not count."""
        return self._column_bound(node, "id") or self._unique_bound(node)

    def pins_column(self, iterable: cst.BaseExpression, column: str) -> bool:
        """The statement whose rows `iterable` holds keeps only the rows whose `column` equals
        one value (`.filter(Version.scorer_id == scorer.id)`, `.filter_by(scorer_id=...)`):
        every row then has the same `column`, so the same row a foreign key named so refers to."""
        return self._column_bound(self._assigned(iterable), column) == ONE_ROW

    def _column_bound(self, node: cst.BaseExpression, column: str) -> Optional[str]:
        found: Optional[str] = None
        for call in self.queries.statement_calls(node):
            if not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if method == "filter_by" and any(arg.keyword is not None and arg.keyword.value == column
                                             for arg in call.args):
                return ONE_ROW
            if method in ("where", "filter"):
                for arg in call.args:
                    if arg.keyword or arg.star:
                        continue
                    bound = self._value_bound(arg.value, 0, column)
                    if bound == ONE_ROW:
                        return ONE_ROW
                    found = found or bound
        return found

    def _unique_bound(self, node: cst.BaseExpression) -> Optional[str]:
        """The same bounds through a unique set of columns the project declares for the
        model or Core table (`UniqueConstraint("table_id", "column_name")`, `unique=True`, a
        composite primary key, `Index(..., unique=True)`): ONE_ROW when `==` conditions cover one, ONE_ROW_PER_VALUE when they do
        with one column given as `.in_(values)` (superset `validate_columns_uniqueness`:
        `TableColumn.table_id == id, TableColumn.column_name.in_(names)`)."""
        equal: Set[str] = set()
        listed: Set[str] = set()
        classes: Dict[str, cst.BaseExpression] = {}  # the source of each `X` of `X.column`, and its node
        for call in self.queries.statement_calls(node):
            if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in ("where", "filter"):
                continue
            for arg in call.args:
                if arg.keyword or arg.star:
                    continue
                test = arg.value
                if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) \
                        and test.func.attr.value == "in_" and _is_column(test.func.value):
                    column = test.func.value
                    listed.add(column.attr.value)  # type: ignore[attr-defined]
                elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
                        and isinstance(test.comparisons[0].operator, cst.Equal) and _is_column(test.left) \
                        and not _is_column(test.comparisons[0].comparator):
                    column = test.left
                    equal.add(column.attr.value)  # type: ignore[attr-defined]
                else:
                    continue
                classes[self.model.source_of(column.value)] = column.value  # type: ignore[attr-defined]
        if len(classes) != 1 or len(listed) > 1 or not equal | listed:
            return None
        for unique in self._unique_sets(classes.popitem()[1]):
            if unique <= equal:
                return ONE_ROW
            if listed and unique <= equal | listed:
                return ONE_ROW_PER_VALUE
        return None

    def _unique_sets(self, columns_of: cst.BaseExpression) -> List[FrozenSet[str]]:
        """The unique column sets of what `columns_of` names: a mapped class (`User` of
        `User.email`) or a Core table's column collection (`users.c`, where `users` may be a
        local name for `self.db.model.users`)."""
        from .project_calls import ProjectCalls

        project = self.model.get(ProjectCalls)
        mapped = project.classes
        if mapped is None:
            return []
        if _is_table_columns(columns_of):
            table = columns_of.value  # type: ignore[attr-defined]
            if isinstance(table, cst.Name):
                table = self.model.scopes.single_value(table) or table
            name = table.attr.value if isinstance(table, cst.Attribute) \
                else table.value if isinstance(table, cst.Name) else None
            return mapped.table_unique_sets(name) if name is not None else []
        key = mapped.resolve(project.module, self.model.source_of(columns_of))  # type: ignore[arg-type]
        return mapped.unique_sets(key) if key is not None else []

    def _value_bound(self, node: cst.BaseExpression, hops: int, column: str = "id") -> Optional[str]:
        if isinstance(node, cst.Name) and hops < _MAX_NAME_HOPS:
            value = self.model.scopes.single_value(node)
            return self._value_bound(value, hops + 1, column) if value is not None else None
        if isinstance(node, cst.Call) and _is_sqlalchemy_and(self.model.scopes.qualified_name(node.func)):
            bounds = {self._value_bound(arg.value, hops, column) for arg in node.args if not arg.star}
            return ONE_ROW if ONE_ROW in bounds else ONE_ROW_PER_VALUE if ONE_ROW_PER_VALUE in bounds else None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "in_":
            return ONE_ROW_PER_VALUE if _is_column_named(node.func.value, column) else None
        if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
            return None
        target = node.comparisons[0]
        if not isinstance(target.operator, cst.Equal):
            return None
        left, right = node.left, target.comparator
        if (_is_column_named(left, column) and not _is_column(right)) \
                or (_is_column_named(right, column) and not _is_column(left)):
            return ONE_ROW
        return None

    def locks_rows(self, source: RowSource) -> bool:
        """The rows come from a locking read (`SELECT ... FOR UPDATE`): `.with_for_update()`
        on the statement, or on a CTE or subquery it reads (`locked = select(...)
        .with_for_update().cte()` then `select(locked.c.id, locked.c.status)`). Such a read
        locks every row it returns, so which rows it returns is part of what it does."""
        if "with_for_update" in source.value.methods:
            return True
        root = source.value.root
        return root is not None and self._mentions_locking(root, set(), 0)

    def _mentions_locking(self, node: cst.CSTNode, seen: Set[str], depth: int) -> bool:
        stack: List[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Attribute) and current.attr.value == "with_for_update":
                return True
            if isinstance(current, cst.Name) and depth < _MAX_NAME_HOPS and current.value not in seen:
                seen.add(current.value)
                _, bindings = self.model.scopes.bindings_of(current)
                for binding in bindings:
                    if binding.kind in ("assign", "annassign") and binding.value is not None \
                            and self._mentions_locking(binding.value, seen, depth + 1):
                        return True
            stack.extend(iter_children(current))
        return False

    # -- were the rows loaded only for this? ------------------------------------------------------
    def loaded_only_for(self, source: RowSource, use: cst.CSTNode,
                        also_allowed: Optional[Callable[[cst.Name], bool]] = None) -> bool:
        """Nothing but `use` needs the rows: moving its work into the query loses nothing.

        `use` is the expression that holds `source.node` (the call, loop or subscript).
        Reads that only ask whether there are rows (`if not rows:`, `len(rows) == 0`) are
        allowed, and so are reads after the name is reassigned to the result of `use`
        (`users = [u for u in users if ...]`): they see the new value. `also_allowed`
        accepts more kinds of reads (ORM303 lets every `len(rows)` share one count).
        """
        if source.related is not None:
            return self._relationship_read_only_for(source, use, also_allowed)
        name = source.name
        if name is None:
            return True
        binding = self._single_scope_binding(name)
        if binding is None:
            return False
        if self._reused_by_enclosing_loop(use, binding):
            return False
        replaced_at = self._replacement_position(name, use)
        for read in self.reads_reached(name, binding):
            if read is name or self._is_inside(read, use):
                continue
            if replaced_at is not None and self.position(read) > replaced_at:
                continue
            if self.only_checks_presence(read) or (also_allowed is not None and also_allowed(read)):
                continue
            return False
        return True

    def _relationship_read_only_for(self, source: RowSource, use: cst.CSTNode,
                                    also_allowed: Optional[Callable[[cst.Name], bool]]) -> bool:
        """The function reads the relationship (`self.owers`) nowhere else but in `use` and in
        tests of whether it has rows, and not on every turn of a loop around `use` (the
        collection is loaded once per instance, then kept)."""
        node = source.node
        if not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Name):
            return False
        if self._loops_around(use):
            return False
        owner = self.model.tree.owner_of(node)
        receiver, attribute = node.value.value, node.attr.value
        for other in self.model.tree.of_type(cst.Attribute):
            if other is node or other.attr.value != attribute or not isinstance(other.value, cst.Name) \
                    or other.value.value != receiver or self.model.tree.owner_of(other) is not owner:
                continue
            if self._is_inside(other, use) or self._is_truth_test(other):
                continue
            parent = self.model.tree.parent_of(other)
            if self.is_len_of(parent) and self.len_tests_emptiness(self.model.tree.parent_of(parent)):
                continue
            return False
        return True

    def reads_after_only(self, source: RowSource, use: cst.CSTNode) -> bool:
        """Every other read of the rows comes after `use` (an in-place `rows.sort()`)."""
        name = source.name
        if name is None:
            return True
        binding = self._single_scope_binding(name)
        if binding is None or self._reused_by_enclosing_loop(use, binding):
            return False
        where = self.position(use)
        for read in self.reads_reached(name, binding):
            if read is name or self._is_inside(read, use) or self.only_checks_presence(read):
                continue
            if self.position(read) < where or self._in_loop_around(read, use):
                return False
        return True

    def only_checks_presence(self, read: cst.Name) -> bool:
        """`if rows:`, `if not rows:`, `len(rows) == 0`: whether there is a row at all."""
        tree = self.model.tree
        parent = tree.parent_of(read)
        if self.is_len_of(parent):
            call = tree.parent_of(parent)
            return call is not None and self.len_tests_emptiness(call)
        return self._is_truth_test(read)

    def len_tests_emptiness(self, call: cst.CSTNode) -> bool:
        """`len(x) == 0`, `len(x) > 0`, `if len(x):` and the like: "is there any?"."""
        comparison = self.model.tree.parent_of(call)
        if isinstance(comparison, cst.Comparison) and comparison.left is call and _tests_emptiness(comparison):
            return True
        return self._is_truth_test(call)

    def _is_truth_test(self, node: cst.CSTNode) -> bool:
        """Only the truth of `node` is used: the test of an `if`, `while`, conditional
        expression or `assert`, the argument of `bool()`, an operand of `not` (whose value is
        a bool), or an operand of `and`/`or` that is itself only tested."""
        tree = self.model.tree
        parent = tree.parent_of(node)
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            return self._is_truth_test(parent)
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)):
            return parent.test is node
        if isinstance(parent, cst.Arg) and parent.value is node and parent.keyword is None:
            call = tree.parent_of(parent)
            return (isinstance(call, cst.Call) and len(call.args) == 1
                    and self.model.scopes.qualified_name(call.func) == "builtins.bool")
        return False

    def tested_for_presence(self, node: cst.BaseExpression) -> bool:
        """`node` holds every row of a query and is only asked whether there is one: tested
        where it is loaded (`if q.all():`, `bool(q.all())`), or loaded into a local name whose
        every read only tests it (`found = q.all()` then `if found:`)."""
        if self._is_truth_test(node):
            return True
        parent = self.model.tree.parent_of(node)
        if not (isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1):
            return False
        target = parent.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        scope, bindings = self.model.scopes.bindings_of(target)
        binding = next((b for b in bindings if b.node is parent), None)
        if scope is None or scope.kind != "function" or binding is None:
            return False
        reads = self.reads_reached(target, binding)
        if not reads:
            return False
        for read in reads:
            if self.reaching_binding(read) is not binding or not self._is_truth_test(read):
                return False
        return True

    def is_counted(self, read: cst.Name) -> bool:
        """`len(rows)`: a count of the list, which one count query answers."""
        return self.is_len_of(self.model.tree.parent_of(read))

    def is_total(self, read: cst.Name) -> bool:
        """`total = len(rows)`, `return len(rows), page`, `render(count=len(rows))`: the count
        is kept as a number (a total beside a page), not tested (`if len(rows) > 1: raise`
        checks that one row is all there is, which `.one()` says, not a count)."""
        tree = self.model.tree
        arg = tree.parent_of(read)
        if not self.is_len_of(arg):
            return False
        call = tree.parent_of(arg)
        parent = tree.parent_of(call) if call is not None else None
        if isinstance(parent, cst.Element):
            parent = tree.parent_of(parent)
            return isinstance(parent, (cst.Tuple, cst.List)) and isinstance(
                tree.parent_of(parent), (cst.Return, cst.Assign))
        if isinstance(parent, cst.DictElement):
            return parent.value is call
        if isinstance(parent, cst.Arg):
            return parent.keyword is not None
        return isinstance(parent, (cst.Assign, cst.AnnAssign, cst.Return)) and parent.value is call

    def is_len_of(self, argument: Optional[cst.CSTNode]) -> bool:
        """`argument` is the only argument of a call to the builtin `len`."""
        call = self.model.tree.parent_of(argument) if isinstance(argument, cst.Arg) else None
        return (isinstance(call, cst.Call) and len(call.args) == 1
                and self.model.scopes.qualified_name(call.func) == "builtins.len")

    def reads_of(self, name: cst.Name) -> List[cst.Name]:
        """Every read of the variable `name` refers to, in its scope and nested ones."""
        scope, bindings = self.model.scopes.bindings_of(name)
        if scope is None:
            return []
        found = []
        for candidate in self._all_loads().get(name.value, ()):
            other_scope, _ = self.model.scopes.bindings_of(candidate)
            if other_scope is scope:
                found.append(candidate)
        return found

    def _single_scope_binding(self, name: cst.Name) -> Optional[Binding]:
        """The assignment that loaded the rows, when it lives in a function of this module:
        the one reaching `name` in straight-line code, or else the only kind of binding the
        name has."""
        scope, bindings = self.model.scopes.bindings_of(name)
        if scope is None or scope.kind != "function":
            return None  # a module-level list may be read anywhere
        reaching = self.reaching_binding(name)
        if reaching is not None:
            return reaching
        assigned = [b for b in bindings if b.kind in ("assign", "annassign", "walrus")]
        if len(assigned) != len(bindings) or not assigned:
            return None
        ancestors = set(map(id, self.model.tree.ancestors(name)))
        earlier = [b for b in assigned if id(b.node) not in ancestors]
        return earlier[0] if earlier else None

    # -- which assignment a read sees ---------------------------------------------------------------
    def reaching_binding(self, read: cst.Name) -> Optional[Binding]:
        """The plain assignment (`name = value`) that every path to `read` passes last, found
        in straight-line code: walking back from `read` through the statements before it, its
        enclosing blocks and theirs, the first statement that binds the name must be that
        assignment alone. None when the name is not a local of a function, when a branch,
        loop, `with` or `try` before `read` also binds it, or when `read` is in a loop that
        binds it (the value may come from the turn before)."""
        scope, bindings = self.model.scopes.bindings_of(read)
        if scope is None or scope.kind != "function" or not bindings:
            return None
        cached = self._reaching.get(read, _UNSET)
        if cached is not _UNSET:
            return cached  # type: ignore[return-value]
        found = self._find_reaching(read, bindings)
        self._reaching[read] = found
        return found

    def binding_before(self, name: str, statement: cst.CSTNode) -> Optional[Binding]:
        """The plain assignment of the local `name` that reaches `statement` (a loop, say) in
        straight-line code, as `reaching_binding` finds it for a read."""
        scope, bindings = self.model.scopes.lookup(name, self.model.scopes.scope_of(statement))
        if scope is None or scope.kind != "function" or not bindings:
            return None
        return self._find_reaching(statement, bindings)

    def _find_reaching(self, read: cst.CSTNode, bindings: Sequence[Binding]) -> Optional[Binding]:
        tree = self.model.tree
        child: cst.CSTNode = read
        for parent in tree.ancestors(read):
            if isinstance(parent, _SCOPE_BOUNDARIES):
                return None
            if isinstance(parent, _COMPREHENSIONS) and not any(self._is_inside(b.node, parent) for b in bindings):
                # A comprehension runs where it stands; a name of the function read in it
                # sees what the function bound before (a walrus inside would rebind it).
                child = parent
                continue
            inside = [b for b in bindings if self._is_inside(b.node, parent) and not self._is_inside(b.node, child)]
            if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                before = list(parent.body)[: _index_of(parent.body, child)]
                for statement in reversed(before):
                    here = [b for b in inside if self._is_inside(b.node, statement)]
                    if here:
                        return _plain_assignment(statement, here)
            elif isinstance(parent, (cst.For, cst.While)):
                if any(self._is_inside(b.node, parent) for b in bindings):
                    return None  # bound in the loop: a later statement reaches the next turn
            elif isinstance(parent, (cst.If, cst.Else)):
                # Other branches are exclusive; a walrus in the test is not followed.
                test = parent.test if isinstance(parent, cst.If) else None
                if test is not None and any(self._is_inside(b.node, test) for b in bindings):
                    return None
            elif inside and not isinstance(parent, (cst.SimpleStatementLine, cst.Expr, cst.Assign)):
                return None  # a `try` body before a handler, a `with` item, a match case...
            # (A read in the value of the assignment that rebinds it, `rows = rows[:4]`, sees
            # what was bound before that statement: the walk goes on past it.)
            child = parent
        return None

    def reads_reached(self, name: cst.Name, binding: Binding) -> List[cst.Name]:
        """The reads of `name`'s variable that may see what `binding` assigned: those after
        it in source order up to the first statement of the same block that plainly assigns
        the name again (reads in that statement's value included), and every read of a loop
        around the binding (they run again after it)."""
        reads = self.reads_of(name)
        start = self.position(binding.node)
        block, statement = self._block_of(binding.node)
        cut: Optional[cst.CSTNode] = None
        if block is not None and statement is not None:
            body = list(block.body)
            for later in body[_index_of(body, statement) + 1:]:
                if _plain_assignment(later, [b for b in self.model.scopes.bindings_of(name)[1]
                                             if self._is_inside(b.node, later)]) is not None:
                    cut = later
                    break
        loops = self._loops_around(binding.node)
        found = []
        for read in reads:
            if any(self._is_inside(read, loop) for loop in loops):
                found.append(read)
                continue
            where = self.position(read)
            if where <= start or self._is_inside(read, binding.node):
                continue  # before the binding, or in its own value (`rows = rows.all()`)
            if cut is not None and where > self.position(cut) and not self._is_inside(read, cut):
                continue
            found.append(read)
        return found

    def _block_of(self, node: cst.CSTNode) -> Tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
        """(the block, the statement of that block) holding `node`."""
        child = node
        for parent in self.model.tree.ancestors(node):
            if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module)):
                return parent, child
            child = parent
        return None, None

    def _replacement_position(self, name: cst.Name, use: cst.CSTNode) -> Optional[int]:
        """`users = <use>`: the statement where the name starts holding the result of `use`."""
        assign = self.model.tree.enclosing(use, (cst.Assign, cst.BaseCompoundStatement))
        if not isinstance(assign, cst.Assign) or assign.value is not use:
            return None
        targets = [t.target for t in assign.targets]
        if any(isinstance(t, cst.Name) and t.value == name.value for t in targets):
            return self.position(assign)
        return None

    def _reused_by_enclosing_loop(self, use: cst.CSTNode, binding: Binding) -> bool:
        """The rows were loaded once outside a loop whose every turn does the work again."""
        for loop in self._loops_around(use):
            if not self._is_inside(binding.node, loop):
                return True
        return False

    def _in_loop_around(self, read: cst.CSTNode, use: cst.CSTNode) -> bool:
        return any(self._is_inside(read, loop) for loop in self._loops_around(use))

    def _loops_around(self, node: cst.CSTNode) -> List[cst.CSTNode]:
        """Loops that run `node` more than once, up to the enclosing function."""
        found = []
        child = node
        for ancestor in self.model.tree.ancestors(node):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, _LOOPS) and not self._runs_once(ancestor, child, node):
                found.append(ancestor)
            child = ancestor
        return found

    def _runs_once(self, loop: cst.CSTNode, child: cst.CSTNode, node: cst.CSTNode) -> bool:
        """`node` is in the part of `loop` evaluated once: the iterable, or a `for`'s else."""
        if isinstance(loop, cst.For):
            return child is loop.iter or child is loop.target or child is loop.orelse
        if isinstance(loop, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return self._is_inside(node, loop.for_in.iter)
        return False

    # -- positions and containment ----------------------------------------------------------------
    def position(self, node: cst.CSTNode) -> int:
        """Source order of `node`, from the tree's pre-order walk (no position metadata needed)."""
        return self.model.tree.order_of(node)

    def _is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or self.model.tree.inside(node, container)

    def _all_loads(self) -> Dict[str, List[cst.Name]]:
        if self._loads is None:
            loads: Dict[str, List[cst.Name]] = {}
            tree = self.model.tree
            for name in tree.of_type(cst.Name):
                if _is_load(name, tree.parent_of(name)):
                    loads.setdefault(name.value, []).append(name)
            self._loads = loads
        return self._loads


def uncopied(model: "SemanticModel", node: cst.BaseExpression) -> cst.BaseExpression:
    """`rows` of `list(rows)`: a copy that yields the same items; `node` otherwise."""
    if isinstance(node, cst.Call) and len(node.args) == 1 and node.args[0].keyword is None \
            and not node.args[0].star and model.scopes.qualified_name(node.func) == "builtins.list":
        return node.args[0].value
    return node


def _index_of(body: Sequence[cst.CSTNode], child: cst.CSTNode) -> int:
    for index, statement in enumerate(body):
        if statement is child:
            return index
    return len(body)


def _plain_assignment(statement: cst.CSTNode, bindings: Sequence[Binding]) -> Optional[Binding]:
    """The binding, when `statement` binds the name once and only by `name = value` (or
    `name: T = value`) as a statement line of its own."""
    if len(bindings) != 1 or not isinstance(statement, cst.SimpleStatementLine):
        return None
    binding = bindings[0]
    node = binding.node
    if binding.kind == "assign" and isinstance(node, cst.Assign) and len(node.targets) == 1 \
            and isinstance(node.targets[0].target, cst.Name):
        return binding
    if binding.kind == "annassign" and isinstance(node, cst.AnnAssign) and node.value is not None:
        return binding
    return None


def is_page(subscript: cst.Subscript) -> bool:
    """`rows[0]`, `rows[:n]`, `rows[m:n]` (bounds a name, an attribute or a number): the
    first row or a window that `.limit()`/`.offset()` fetch alone."""
    if len(subscript.slice) != 1:
        return False
    part = subscript.slice[0].slice
    if isinstance(part, cst.Index):
        return isinstance(part.value, cst.Integer) and part.value.value == "0"
    plain = (cst.Integer, cst.Name, cst.Attribute)
    return (part.step is None and isinstance(part.upper, plain)
            and (part.lower is None or isinstance(part.lower, plain)))


def row_target(target: cst.BaseAssignTargetExpression) -> Optional[str]:
    """The name a loop binds each row to; tuple targets unpack columns and are left alone."""
    return target.value if isinstance(target, cst.Name) else None


def names_in(node: cst.CSTNode) -> FrozenSet[str]:
    """Every identifier read in `node` (a cheap, scope-blind view for "does it mention x?")."""
    found = set()
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)  # `.attr` is not a variable
            continue
        elif isinstance(current, cst.Arg):
            stack.append(current.value)  # the keyword is not a variable
            continue
        stack.extend(iter_children(current))
    return frozenset(found)


def loop_targets(node: cst.CSTNode) -> FrozenSet[str]:
    """Names bound by a `for` target or comprehension target (tuple targets included)."""
    target = node.target if isinstance(node, (cst.For, cst.CompFor)) else None
    return names_in(target) if target is not None else frozenset()


def _is_table_columns(node: cst.BaseExpression) -> bool:
    """`users.c` in `users.c.name`: a Core table's column collection."""
    return isinstance(node, cst.Attribute) and node.attr.value in ("c", "columns")


def _is_sqlalchemy_and(qualified: Optional[str]) -> bool:
    """`sqlalchemy.and_`, or the same function from `sqlalchemy.sql` / `sqlalchemy.sql.expression`."""
    return qualified is not None and qualified.startswith("sqlalchemy.") and qualified.endswith(".and_")


def _is_column(node: cst.BaseExpression) -> bool:
    """`User.email`, `models.User.email` or `users.c.email`."""
    return isinstance(node, cst.Attribute) and (_names_entity(node.value) or _is_table_columns(node.value))


def _is_id_column(node: cst.BaseExpression) -> bool:
    return _is_column_named(node, "id")


def _is_column_named(node: cst.BaseExpression, column: str) -> bool:
    return _is_column(node) and isinstance(node, cst.Attribute) and node.attr.value == column


def _tests_emptiness(comparison: cst.Comparison) -> bool:
    """`len(x) == 0`, `!= 0`, `> 0`, `>= 1`, `< 1`, `<= 0` (but not `> 1`: that needs a count)."""
    if len(comparison.comparisons) != 1:
        return False
    target = comparison.comparisons[0]
    if not isinstance(target.comparator, cst.Integer):
        return False
    bound = target.comparator.value
    operator = target.operator
    if bound == "0":
        return isinstance(operator, (cst.Equal, cst.NotEqual, cst.GreaterThan, cst.LessThanEqual))
    if bound == "1":
        return isinstance(operator, (cst.GreaterThanEqual, cst.LessThan))
    return False


def _names_entity(node: cst.BaseExpression) -> bool:
    """`User` or `models.User`: a mapped class, by the CamelCase convention of model names."""
    if isinstance(node, cst.Name):
        return node.value[:1].isupper()
    if isinstance(node, cst.Attribute):
        return node.attr.value[:1].isupper() and isinstance(node.value, (cst.Name, cst.Attribute))
    return False


def _is_load(name: cst.Name, parent: Optional[cst.CSTNode]) -> bool:
    """`name` reads a variable (not an attribute, keyword, parameter or assignment target)."""
    if isinstance(parent, cst.Attribute):
        return parent.value is name
    if isinstance(parent, cst.Arg):
        return parent.value is name
    if isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName,
                           cst.AssignTarget, cst.Global, cst.Nonlocal, cst.NameItem)):
        return False
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.target is not name
    if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)):
        return parent.target is not name
    # Names inside a tuple target (`a, rows = ...`) count as reads: the binding is then an
    # unpacking one, which `_single_scope_binding` refuses anyway.
    return True
