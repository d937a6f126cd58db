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
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

import libcst as cst

from .queries import ROW_SOURCES, ROWS, QueryValue, QueryValues
from .scopes import Binding
from .tree import iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# Loops whose body runs more than once: a value read inside is read on every turn.
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# How a statement filtered on `id` bounds its rows.
ONE_ROW = "one row"
ONE_ROW_PER_VALUE = "one row per value"
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
# How many `name = <expression>` steps `locks_rows` follows back from a statement.
_MAX_NAME_HOPS = 4


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
        self._order: Dict[cst.CSTNode, int] = {}

    # -- row sources ------------------------------------------------------------------------------
    def source(self, node: cst.BaseExpression) -> Optional[RowSource]:
        """`node`, when iterating it yields rows from the database (not batches of rows)."""
        value = self.queries.value_of(node)
        if value is None or value.kind not in ROW_SOURCES:
            return None
        if "partitions" in value.methods:
            return None  # each item is a list of rows
        entity, columns, grouped = self._selected(value)
        name = node if isinstance(node, cst.Name) else None
        return RowSource(node, value, entity, columns, self._is_legacy(value), grouped, name,
                         self.by_identity(node))

    def loaded_list(self, node: cst.BaseExpression) -> Optional[RowSource]:
        """`node` is a list holding every row of a query (`.all()`, `.fetchall()`, `list(...)`)."""
        found = self.source(node)
        return found if found is not None and found.is_loaded else None

    def _is_legacy(self, value: QueryValue) -> bool:
        root = value.root
        if isinstance(root, cst.Attribute):
            return root.attr.value == "query"  # Flask-SQLAlchemy's `User.query`
        return (isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute)
                and root.func.attr.value == "query")

    def _selected(self, value: QueryValue) -> Tuple[Optional[str], Dict[str, str], bool]:
        """What the query selects: one entity, or named columns; and whether it groups rows."""
        root = value.root
        if isinstance(root, cst.Attribute) and root.attr.value == "query":
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
        found: Optional[str] = None
        for call in self.queries.statement_calls(node):
            if not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if method == "filter_by" and any(arg.keyword is not None and arg.keyword.value == "id"
                                             for arg in call.args):
                return ONE_ROW
            if method in ("where", "filter"):
                for arg in call.args:
                    if arg.keyword or arg.star:
                        continue
                    bound = self._identity_bound(arg.value, 0)
                    if bound == ONE_ROW:
                        return ONE_ROW
                    found = found or bound
        return found

    def _identity_bound(self, node: cst.BaseExpression, hops: int) -> Optional[str]:
        if isinstance(node, cst.Name) and hops < _MAX_NAME_HOPS:
            value = self.model.scopes.single_value(node)
            return self._identity_bound(value, hops + 1) if value is not None else None
        if isinstance(node, cst.Call) and _is_sqlalchemy_and(self.model.scopes.qualified_name(node.func)):
            bounds = {self._identity_bound(arg.value, hops) for arg in node.args if not arg.star}
            return ONE_ROW if ONE_ROW in bounds else ONE_ROW_PER_VALUE if ONE_ROW_PER_VALUE in bounds else None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "in_":
            return ONE_ROW_PER_VALUE if _is_id_column(node.func.value) else None
        if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
            return None
        target = node.comparisons[0]
        if not isinstance(target.operator, cst.Equal):
            return None
        left, right = node.left, target.comparator
        if (_is_id_column(left) and not _is_column(right)) or (_is_id_column(right) and not _is_column(left)):
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
        name = source.name
        if name is None:
            return True
        binding = self._single_scope_binding(name)
        if binding is None:
            return False
        if self._reused_by_enclosing_loop(use, binding):
            return False
        replaced_at = self._replacement_position(name, use)
        for read in self.reads_of(name):
            if read is name or self._is_inside(read, use):
                continue
            if replaced_at is not None and self.position(read) > replaced_at:
                continue
            if self.only_checks_presence(read) or (also_allowed is not None and also_allowed(read)):
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
        for read in self.reads_of(name):
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
        tree = self.model.tree
        parent = tree.parent_of(node)
        while isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            node, parent = parent, tree.parent_of(parent)
        return isinstance(parent, (cst.If, cst.While)) and parent.test is node

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
        """The assignment that loaded the rows, when it lives in a function of this module."""
        scope, bindings = self.model.scopes.bindings_of(name)
        if scope is None or scope.kind != "function":
            return None  # a module-level list may be read anywhere
        assigned = [b for b in bindings if b.kind in ("assign", "annassign", "walrus")]
        if len(assigned) != len(bindings) or not assigned:
            return None
        ancestors = set(map(id, self.model.tree.ancestors(name)))
        earlier = [b for b in assigned if id(b.node) not in ancestors]
        return earlier[0] if earlier else None

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
        if not self._order:
            counter = 0
            stack: List[cst.CSTNode] = [self.model.module]
            while stack:
                current = stack.pop()
                self._order[current] = counter
                counter += 1
                stack.extend(reversed(list(iter_children(current))))
        return self._order.get(node, -1)

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
    return _is_column(node) and isinstance(node, cst.Attribute) and node.attr.value == "id"


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
