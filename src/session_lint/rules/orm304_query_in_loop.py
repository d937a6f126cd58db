from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, Optional, Set

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic import names
from ..semantic import SemanticModel
from ..semantic.queries import QUERY, STATEMENT, QueryValues
from ..semantic.loops import LoopVariables
from ..semantic.relationships import LAZY, Relationship, Relationships
from ..semantic.rows import RowAnalysis, loop_targets, names_in, uncopied
from .orm30x_shapes import COMPREHENSIONS, is_one_off_module, quote, reportable
from ..semantic.nodes import method_name
from ..semantic.scopes import receiver_method
from ..semantic.tree import iter_children

HINT = "N items make N round trips to the database; one query with `.in_(...)` makes one"
# Builder methods whose arguments are conditions on the rows, and those whose arguments are
# the values that pick them. A loop variable that only reaches `.offset()`/`.limit()` pages
# through one query on purpose, and is not looked at.
_CONDITIONS = frozenset({"where", "filter", "having", "join", "outerjoin"})
_PICKING = frozenset({"filter_by", "get", "get_one", "get_or_404", "with_parent", "params"})
# Session methods that run a statement, and the ones that load by primary key.
_RUNS_STATEMENT = names.RUNS_STATEMENT | names.RUNS_OR_404
_BY_PRIMARY_KEY = frozenset({"get", "get_one", "get_or_404"})
# Column operators whose argument is the value compared with the column.
_COMPARING_METHODS = frozenset({"like", "ilike", "contains", "startswith", "endswith", "between",
                                "is_", "is_not", "isnot", "match", "regexp_match", "any_", "has", "any"})
_BATCHING_METHODS = frozenset({"in_", "not_in", "notin_"})
_BOOLEAN_FUNCTIONS = frozenset({"and_", "or_", "not_"})
# Statements are followed through this many local names (`stmt = select(...)`).
_MAX_NAME_HOPS = 4
# `range(n)` up to this, or a written-out tuple or list up to that, is a fixed, small set.
_SMALL_RANGE = 10
_SMALL_DISPLAY = 20
PICKS, BATCHED, CHOOSES_TABLE = "picks", "batched", "chooses-table"
# What a selector is: a value (`session.get(User, <value>)`, `filter_by(id=<value>)`), a
# condition (`.where(<condition>)`, whose value sides `_roles` finds), or what the query
# selects from (`select(<entity>)`, `session.get(<Model>, ...)`).
VALUE, CONDITION, ENTITY = "value", "condition", "entity"


@dataclass(frozen=True)
class Selector:
    """An expression that decides which rows a query returns."""

    node: cst.BaseExpression
    kind: str


class QueryInLoop(Rule):
    """A query run once per item of a loop, selecting by the loop's item (N+1 queries).

    Flags `session.get(Model, item)`, `session.execute/scalars/scalar(select(...).where(...item...))`,
    `Model.query.get(item)` / `.filter_by(x=item).first()` and Flask-SQLAlchemy's
    `db.get_or_404(Model, item)` inside a `for` body or a comprehension, when a value that
    picks the rows comes from the loop variable (directly or through locals assigned in the
    loop). Silent for loops over a few literals, for batches (`.in_(batch)`), for loop
    variables that choose a table or a column rather than a value, for paging
    (`.offset()`/`.limit()`), for statements that are not `select()` (per-row updates) and
    for fallbacks in `except` blocks.
    """

    code = "ORM304"
    name = "query-in-loop"
    summary = "a query run once per loop item, selecting by that item (N+1 queries)"
    tokens = ("query", "execute", "scalar", "get", "_or_404")
    requires = SQLALCHEMY_EVIDENCE
    # Whether a loop runs 3 times or 10,000 is rarely visible in the code: on real projects
    # most findings were small per-item loops (docs/accuracy.md), so it runs when selected.
    opt_in = True

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        queries = model.get(QueryValues)
        yield from reportable(model, (self._query_in_loop(model, queries, call)
                                      for call in model.tree.of_type(cst.Call)))
        # One finding per relationship (or querying property) and loop: `event.asset.name`,
        # `event.asset.uri` on the same row load `event.asset` once.
        reported: Set[tuple] = set()
        for finding in reportable(model, (self._lazy_load_in_loop(model, attribute)
                                          for attribute in model.tree.of_type(cst.Attribute))):
            read = finding.node
            key = (model.tree.order_of(_lazy_loop(model, read)), model.source_of(read)) \
                if isinstance(read, cst.Attribute) else None
            if key is None or key not in reported:
                reported.add(key)
                yield finding
        yield from reportable(model, (self._same_query_every_turn(model, queries, name)
                                      for name in _query_runs(model, queries)))

    # -- a query that does not change, run on every turn ---------------------------------------
    def _same_query_every_turn(self, model: SemanticModel, queries: QueryValues,
                               name: cst.Name) -> Optional[Finding]:
        """`q = session.query(Tag)...` before the loop, then `for t in q:` or `q.all()` inside
        it: a legacy `Query` runs again each time it is iterated, so every turn fetches the
        same rows."""
        binding = model.get(RowAnalysis).reaching_binding(name)
        if binding is None or binding.value is None or queries.kind_of(binding.value) != QUERY:
            return None
        child: cst.CSTNode = name
        for ancestor in model.tree.ancestors(name):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            if isinstance(ancestor, (cst.For,) + COMPREHENSIONS) and _runs_per_item(model, ancestor, child, name) \
                    and not model.tree.inside(binding.node, ancestor):
                if _fixed_few(model, _iterable(ancestor)) or _writes_in(ancestor) \
                        or names_in(binding.value) & model.get(LoopVariables).names_of(ancestor):
                    return None
                return Finding(
                    node=name,
                    message=(f"`{name.value}` is a query, run again on every turn of the loop over "
                             f"{quote(model, _iterable(ancestor))} (line {model.line_of(binding.node)} builds it; "
                             f"it does not depend on the loop): run it once before the loop and keep "
                             f"its result (`{name.value}_rows = {name.value}.all()`)"),
                    hint="a legacy `Query` runs its SQL each time it is iterated or `.all()` is called",
                )
            child = ancestor
        return None

    # -- lazy loads ---------------------------------------------------------------------------
    def _lazy_load_in_loop(self, model: SemanticModel, attribute: cst.Attribute) -> Optional[Finding]:
        """`for post in posts: post.author.name`: reading a relationship that loads on first
        read (`lazy="select"`, the default) on every row of a query runs one SELECT per row."""
        rows = model.get(RowAnalysis)
        relationship = rows.relationship_of(attribute)
        if relationship is None:
            return self._querying_property_in_loop(model, attribute)
        if relationship.loading != LAZY or _is_assigned(model, attribute) or _used_as_query(model, attribute):
            return None
        loop = _item_loop(model, attribute.value, attribute)
        if loop is None or _one_parent_for_all(model, attribute.value, relationship, loop):
            return None
        return _lazy_finding(model, attribute, attribute, relationship, loop)

    def _querying_property_in_loop(self, model: SemanticModel, attribute: cst.Attribute) -> Optional[Finding]:
        """`[s for s in submissions if not s.seen]`, where `seen` is a Python property of the
        row's class (in another module) whose body runs a query: one query per row."""
        if not isinstance(attribute.value, cst.Name) or not model.get(Relationships).may_query(attribute.attr.value) \
                or _is_assigned(model, attribute):
            return None
        rows = model.get(RowAnalysis)
        entity = rows.instance_entity(attribute.value)
        if entity is None or not model.get(Relationships).property_queries(entity, attribute.attr.value):
            return None
        loop = _item_loop(model, attribute.value, attribute)
        if loop is None:
            return None
        return Finding(
            node=attribute,
            message=(f"{quote(model, attribute)} is a property of `{entity}` that runs a query, read once per "
                     f"row of {quote(model, _iterable(loop))}: one query per row; compute it for every row "
                     f"in the query that loads them (a join, a correlated subquery or a `column_property()`)"),
            hint=HINT,
        )

    def _query_in_loop(self, model: SemanticModel, queries: QueryValues, call: cst.Call) -> Optional[Finding]:
        selectors = _selectors(model, queries, call)
        if not selectors:
            return self._helper_in_loop(model, queries, call)
        if _latest_of_each(queries, call):
            return None
        loop = _loop_feeding(model, call, selectors)
        return self._finding(model, call, loop, selectors) if loop is not None else None

    def _helper_in_loop(self, model: SemanticModel, queries: QueryValues, call: cst.Call) -> Optional[Finding]:
        """`_build_row(item)` in a loop, where the function (of this module) runs a query whose
        rows its parameter picks, or reads a lazy relationship of the row it is given: the
        loop runs that query once per item."""
        if not _in_a_loop(model, call):
            return None
        helper = _local_function(model, call)
        if helper is None:
            return self._project_lookup_in_loop(model, call)
        arguments = _arguments_by_parameter(helper, call)
        lazy = _lazy_load_through(model, helper, call, arguments)
        if lazy is not None:
            return lazy
        picking = _picking_queries(model, queries, helper)
        if not picking:
            return None
        loop = _loop_passing(model, call, {p: arguments[p] for p in picking if p in arguments})
        if loop is None:
            return None
        parameter = next(p for p in picking if p in arguments
                         and names_in(arguments[p]) & model.get(LoopVariables).names_of(loop))
        query = picking[parameter]
        return Finding(
            node=call,
            message=(f"{quote(model, call)} runs one query per item of {quote(model, _iterable(loop))}: "
                     f"`{helper.name.value}()` selects rows by `{parameter}` (line {model.line_of(query)}); "
                     f"load them all in one query with `.in_(...)` over every item, then look the rows "
                     f"up in a dict"),
            hint=HINT,
        )

    def _project_lookup_in_loop(self, model: SemanticModel, call: cst.Call) -> Optional[Finding]:
        """`Mailbox.get(mailbox_id)` in a loop over ids, where the function (of another module,
        or a classmethod of a base) looks rows up by the parameter the loop's item reaches."""
        picked = _project_picks(model, call)
        loop = _loop_passing(model, call, picked)
        if loop is None:
            return None
        names = model.get(LoopVariables).names_of(loop)
        parameter = next(p for p, argument in picked.items() if names_in(argument) & names)
        shown = "its keyword arguments" if parameter.startswith("**") else f"`{parameter}`"
        return Finding(
            node=call,
            message=(f"{quote(model, call)} runs one query per item of {quote(model, _iterable(loop))}: "
                     f"the project function selects rows by {shown}; load them all in one query with "
                     f"`.in_(...)` over every item, then look the rows up in a dict"),
            hint=HINT,
        )

    def _finding(self, model: SemanticModel, call: cst.Call, loop: cst.CSTNode,
                 selectors: List[Selector]) -> Finding:
        iterable = _iterable(loop)
        loads_rows = isinstance(call.func, cst.Attribute) and call.func.attr.value not in ("count", "scalar")
        per_row = loads_rows and model.get(RowAnalysis).source(iterable) is not None
        related = " (for rows related to each row of a query, `selectinload()` does the same)" if per_row else ""
        return Finding(
            node=call,
            message=(f"{quote(model, call)} runs one query per item of {quote(model, iterable)}: "
                     f"load them all in one query with {_in_suggestion(model, call, loop, selectors)}"
                     f"{related}"),
            hint=HINT,
        )


# -- what runs a query, and what selects its rows ------------------------------------------------
def _selectors(model: SemanticModel, queries: QueryValues, call: cst.Call) -> List[Selector]:
    """What chooses the rows of the query `call` runs (empty when it runs none)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return []
    method = func.attr.value
    receiver = func.value
    # `conn.execute(select(...))` on a receiver we cannot resolve: the statement is the evidence.
    if _is_session_like(model, receiver) or (method in _RUNS_STATEMENT and queries.kind_of(receiver) is None):
        if method in _BY_PRIMARY_KEY and len(call.args) >= 2 and _names_model(call.args[0].value):
            return [Selector(call.args[0].value, ENTITY), Selector(call.args[1].value, VALUE)]
        if method in _RUNS_STATEMENT and call.args:
            statement = call.args[0].value
            if queries.kind_of(statement) != STATEMENT:
                return []  # `update()`, `text()`: per-row writes or raw SQL, not a lookup
            parameters = [Selector(a.value, VALUE) for a in call.args[1:]]
            return _chain_selectors(queries, statement, 0) + parameters
        return []
    if queries.kind_of(receiver) == QUERY and queries.value_of(call) is not None and queries.kind_of(call) != QUERY:
        # `.first()`, `.all()`, `.get(i)`, `.count()` run a legacy query.
        return _method_selectors(call) + _chain_selectors(queries, receiver, 0)
    return []


def _is_session_like(model: SemanticModel, receiver: cst.BaseExpression) -> bool:
    """A session, or Flask-SQLAlchemy's `db` (its `get_or_404()` runs a query too)."""
    return model.sessions.session_of(receiver) is not None or model.sessions.is_flask_db(receiver)


def _chain_selectors(queries: QueryValues, node: cst.BaseExpression, hops: int) -> List[Selector]:
    """The selectors along a builder chain, through local names (`stmt = select(...)`)."""
    found: List[Selector] = []
    current: Optional[cst.BaseExpression] = node
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
        found.extend(_method_selectors(current))
        current = current.func.value
    if isinstance(current, cst.Call):
        found.extend(Selector(arg.value, ENTITY) for arg in current.args)  # `select(User)`
    elif isinstance(current, cst.Attribute) and current.attr.value == "query":
        found.append(Selector(current.value, ENTITY))  # Flask-SQLAlchemy's `User.query`
    if isinstance(current, cst.Name) and hops < _MAX_NAME_HOPS:
        _, bindings = queries.model.scopes.bindings_of(current)
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None and binding.value is not node:
                found.extend(_chain_selectors(queries, binding.value, hops + 1))
    return found


def _method_selectors(call: cst.Call) -> List[Selector]:
    method = method_name(call) or ""
    if method in _CONDITIONS:
        return [Selector(arg.value, CONDITION) for arg in call.args if not arg.star]
    if method in _PICKING:
        # `filter_by(**params)` chooses the columns too: not one column's values.
        return [Selector(arg.value, VALUE) for arg in call.args if not arg.star]
    if method in ("query", "select", "with_entities", "add_columns"):
        return [Selector(arg.value, ENTITY) for arg in call.args]
    return []


def _latest_of_each(queries: QueryValues, call: cst.Call) -> bool:
    """`.order_by(...).first()` per item: the newest row of each group, which `.in_()` alone
    cannot fetch (it takes a window function or a lateral join)."""
    value = queries.value_of(call)
    return value is not None and value.is_ordered and value.is_limited


def _names_model(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value[:1].isupper()
    return isinstance(node, cst.Attribute) and node.attr.value[:1].isupper()


# -- a query run on every turn ------------------------------------------------------------------
def _query_runs(model: SemanticModel, queries: QueryValues) -> Iterator[cst.Name]:
    """Names of legacy queries where they run: iterated (`for t in q`, `[... for t in q]`) or
    loaded (`q.all()`, `q.first()`, `q.count()`, `list(q)`)."""
    for loop in model.tree.of_type(cst.For):
        if isinstance(loop.iter, cst.Name):
            yield loop.iter
    for node_type in COMPREHENSIONS:
        for comprehension in model.tree.of_type(node_type):
            if isinstance(comprehension.for_in.iter, cst.Name):  # type: ignore[attr-defined]
                yield comprehension.for_in.iter  # type: ignore[attr-defined]
    for call in model.tree.of_type(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and func.attr.value in ("all", "first", "one", "one_or_none", "count", "scalar"):
            yield func.value


def _writes_in(loop: cst.CSTNode) -> bool:
    """The loop body changes rows or the session (the query may then return other rows)."""
    for node in _walk_own(loop):
        if isinstance(node, cst.Call):
            func = node.func
            name = _called_name(func)
            if name in _WRITING_CALLS or name in ("execute", "sleep"):
                return True
    return False


# -- relationships loaded once per item ----------------------------------------------------------
def _item_loop(model: SemanticModel, item: cst.BaseExpression, where: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The loop that gives `item` another row on every turn, when it runs `where` once per
    item and is not over a handful of items written out:

    - the loop whose variable `item` is (a tuple target's element too), over rows of a query
      (or of a relationship) that loads no related rows with them (`.options(...)`), or over
      rows whose class the analysis knows otherwise (a project function's list of rows,
      `zip()` of row lists);
    - the loop in whose body `item` is assigned one row of a known class looked up by the
      loop's item (`build = self.build_to_compare(package)`, `user = session.get(User,
      uid)`): each turn holds another row."""
    if not isinstance(item, cst.Name):
        return None
    rows = model.get(RowAnalysis)
    binding = rows.binding_of(item)
    if binding is None:
        return None
    head = binding.node
    if isinstance(head, (cst.For, cst.CompFor)):
        loop = model.tree.parent_of(head) if isinstance(head, cst.CompFor) else head
        while isinstance(loop, cst.CompFor):
            loop = model.tree.parent_of(loop)
        if not isinstance(loop, (cst.For,) + COMPREHENSIONS):
            return None
        iterable: cst.BaseExpression = head.iter  # type: ignore[attr-defined]
        if _fixed_few(model, iterable):
            return None
        of_item = _rows_of_item(model, item, iterable)  # `builds` of `zip(names, builds)`
        source = rows.source(of_item)
        if source is not None and _loads_related(model, source):
            return None
        if source is None and (rows.instance_entity(item) is None or rows.items_load_related(of_item)):
            return None  # not rows whose class is known, or rows loaded with their relatives
    elif binding.kind == "assign" and binding.value is not None and rows.instance_entity(item) is not None:
        if rows.lookup_loads_related(binding.value):
            return None
        loop = _looked_up_per_item(model, binding.node, binding.value)
        if loop is None:
            return None
    else:
        return None
    child: cst.CSTNode = where
    for ancestor in model.tree.ancestors(where):
        if ancestor is loop:
            return loop if _runs_per_item(model, loop, child, where) else None  # type: ignore[arg-type]
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        child = ancestor
    return None


def _looked_up_per_item(model: SemanticModel, assignment: cst.CSTNode,
                        value: cst.BaseExpression) -> Optional[cst.For]:
    """The innermost `for` loop whose body holds `assignment`, when the row it assigns is
    looked up by the loop's item (the value reads one of the loop's names) and the loop is
    not over a handful of items written out."""
    child: cst.CSTNode = assignment
    for ancestor in model.tree.ancestors(assignment):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef) + COMPREHENSIONS):
            return None
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            if names_in(value) & model.get(LoopVariables).names_of(ancestor) and not _fixed_few(model, ancestor.iter):
                return ancestor
            return None
        child = ancestor
    return None


def _loads_related(model: SemanticModel, source) -> bool:  # type: ignore[no-untyped-def]
    """The rows come with loader options (`.options(selectinload(...))`), which may load the
    relationship with them; for a relationship's rows, the options of the parent's query."""
    if "options" in source.value.methods:
        return True
    node = source.node
    if source.related is not None and isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        _, bindings = model.scopes.bindings_of(node.value)
        for binding in bindings:
            value = model.get(QueryValues).value_of(binding.value) if binding.value is not None else None
            if value is not None and "options" in value.methods:
                return True
    return False


# Methods of a query-like relationship (`lazy="dynamic"`, `WriteOnlyMapped`): a loaded
# collection (a list) has none of them.
_QUERY_METHODS = frozenset({"select", "filter", "filter_by", "where", "order_by", "all", "first", "one",
                            "one_or_none", "limit", "offset", "insert", "update", "delete"})


def _used_as_query(model: SemanticModel, attribute: cst.Attribute) -> bool:
    """`a.bs.select()`, `user.posts.filter(...)`: the code uses the relationship as a query,
    so it is a dynamic or write-only one, whatever its declaration seemed to say; reading it
    loads nothing."""
    parent = model.tree.parent_of(attribute)
    return isinstance(parent, cst.Attribute) and parent.value is attribute and parent.attr.value in _QUERY_METHODS \
        and isinstance(model.tree.parent_of(parent), cst.Call)


def _one_parent_for_all(model: SemanticModel, item: cst.BaseExpression, relationship: Relationship,
                        loop: cst.CSTNode) -> bool:
    """`for v in session.query(Version).filter(Version.scorer_id == scorer.id): v.scorer`:
    the query keeps the rows of one parent (its foreign key, named `<relationship>_id`, equals
    one value), so the many-to-one relationship is the same row for every item: loaded once
    at most (and not at all when the parent is in the session already)."""
    if relationship.collection or _lookup_of(model, item, loop) is not None:
        return False  # (a row looked up in the body: the loop's own rows say nothing of it)
    return model.get(RowAnalysis).pins_column(_iterable_rows(model, _iterable(loop)), f"{relationship.attribute}_id")


def _iterable_rows(model: SemanticModel, iterable: cst.BaseExpression) -> cst.BaseExpression:
    """The rows a loop goes over: `rows` of `enumerate(rows)` and of `list(rows)`."""
    if isinstance(iterable, cst.Call) and model.scopes.qualified_name(iterable.func) == "builtins.enumerate" \
            and iterable.args:
        iterable = iterable.args[0].value
    return uncopied(model, iterable)


def _lazy_loop(model: SemanticModel, read: cst.Attribute) -> cst.CSTNode:
    """The loop whose variable `read` reads a relationship of (the read itself otherwise)."""
    loop = _item_loop(model, read.value, read)
    return loop if loop is not None else read


def _is_assigned(model: SemanticModel, attribute: cst.Attribute) -> bool:
    """`post.author = user` sets the relationship instead of reading it."""
    parent = model.tree.parent_of(attribute)
    return isinstance(parent, (cst.AssignTarget, cst.Del)) or (
        isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is attribute)


def _lazy_load_through(model: SemanticModel, helper: cst.FunctionDef, call: cst.Call,
                       arguments: Dict[str, cst.BaseExpression]) -> Optional[Finding]:
    """`is_downloaded(episode)` in a loop over episodes, where the helper reads a lazy
    relationship of its parameter (`episode.releases`)."""
    rows = model.get(RowAnalysis)
    relationships = model.get(Relationships)
    for parameter, argument in arguments.items():
        if not isinstance(argument, cst.Name):
            continue
        entity = rows.instance_entity(argument)
        if entity is None:
            continue
        for node in _walk_own(helper.body):
            if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                    and node.value.value == parameter and model.scopes.scope_of(node.value).node is helper):
                continue
            relationship = relationships.of(entity, node.attr.value)
            if relationship is None or relationship.loading != LAZY or _is_assigned(model, node):
                continue
            loop = _item_loop(model, argument, call)
            if loop is not None:
                return _lazy_finding(model, call, node, relationship, loop)
    return None


def _lazy_finding(model: SemanticModel, node: cst.CSTNode, read: cst.Attribute, relationship: Relationship,
                  loop: cst.CSTNode) -> Finding:
    what = "rows" if relationship.collection else "row"
    through = "" if node is read else f" (it reads {quote(model, read)}, line {model.line_of(read)})"
    option = f"selectinload({relationship.owner}.{relationship.attribute})"
    iterable = _iterable(loop)
    looked_up = _lookup_of(model, read.value, loop)
    if looked_up is not None:
        # `build = self.build_to_compare(package)`, then `build.dependencies`: no query of the
        # loop loads these rows, so no loader option on it helps.
        return Finding(
            node=node,
            message=(f"{quote(model, node)} loads the related {what} of `{relationship.owner}.{relationship.attribute}` "
                     f"with one query per item of {quote(model, iterable)}{through}: "
                     f"{quote(model, read.value)} is another row on every turn ({quote(model, looked_up)}, "
                     f"line {model.line_of(looked_up)}); load the related {what} of every item's row in one query "
                     f"before the loop (`.in_(...)` over their keys, or `.options({option})` on a query that loads "
                     f"those rows together), then look them up in a dict"),
            hint="N rows make N lazy loads; one query over all of them makes one",
        )
    rows = _rows_of_item(model, read.value, iterable)
    where = "on the query" if rows is iterable else f"on the query of {quote(model, rows)}"
    listed = uncopied(model, rows)
    parent = model.get(RowAnalysis).relationship_of(listed) if isinstance(listed, cst.Attribute) else None
    if parent is not None and isinstance(listed, cst.Attribute):
        # `for episode in series.episodes`: the path starts at the query that loaded `series`.
        option = f"selectinload({parent.owner}.{parent.attribute}).{option}"
        where = f"on the query that loads {quote(model, listed.value)}"
    elif model.get(RowAnalysis).source(rows) is None:
        # A list a project function fills with rows it looks up: no one query of it loads them all.
        where = f"on one query that loads all the rows {quote(model, rows)} holds"
    return Finding(
        node=node,
        message=(f"{quote(model, node)} loads the related {what} of `{relationship.owner}.{relationship.attribute}` "
                 f"with one query per item of {quote(model, iterable)}{through}: load them for every item "
                 f"in one more query with `.options({option})` {where}"),
        hint="N rows make N lazy loads; `selectinload()` (or `joinedload()`) loads them for all rows at once",
    )


def _rows_of_item(model: SemanticModel, item: cst.BaseExpression, iterable: cst.BaseExpression) -> cst.BaseExpression:
    """The rows `item` is one of: `builds` for `b` of `for i, b in enumerate(builds)` or `for
    n, b in zip(names, builds)`; the loop's iterable otherwise."""
    binding = model.get(RowAnalysis).binding_of(item) if isinstance(item, cst.Name) else None
    head = binding.node if binding is not None else None
    target = getattr(head, "target", None)
    if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(iterable, cst.Call) \
            or getattr(head, "iter", None) is not iterable:
        return iterable
    positional = [a.value for a in iterable.args if a.keyword is None and not a.star]
    names = [e.value.value if isinstance(e.value, cst.Name) else None for e in target.elements]
    position = names.index(item.value) if item.value in names else -1  # type: ignore[attr-defined]
    qualified = model.scopes.qualified_name(iterable.func)
    if qualified == "builtins.zip" and 0 <= position < len(positional):
        return positional[position]
    if qualified == "builtins.enumerate" and position == 1 and positional:
        return positional[0]
    return iterable


def _lookup_of(model: SemanticModel, item: cst.BaseExpression, loop: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """The lookup assigned to `item` in the body of `loop` (`build = self.build_to_compare(package)`),
    when `item` is such a row rather than the loop's own variable."""
    if not isinstance(item, cst.Name):
        return None
    binding = model.get(RowAnalysis).binding_of(item)
    if binding is None or binding.kind != "assign" or binding.value is None or not model.tree.inside(binding.node, loop):
        return None
    return binding.value


# -- queries run by a helper of this module -------------------------------------------------------
def _in_a_loop(model: SemanticModel, call: cst.Call) -> bool:
    """A loop of the function around `call` (a cheap first test)."""
    for ancestor in model.tree.ancestors(call):
        if isinstance(ancestor, (cst.For, cst.While) + COMPREHENSIONS):
            return True
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
    return False


def _local_function(model: SemanticModel, call: cst.Call) -> Optional[cst.FunctionDef]:
    """The function of this module `call` runs: `helper(...)` bound by a `def` (once), or
    `self.helper(...)` / `cls.helper(...)` on a method of the class around the call."""
    func = call.func
    if isinstance(func, cst.Name):
        _, bindings = model.scopes.bindings_of(func)
        if len(bindings) == 1 and bindings[0].kind == "def" and isinstance(bindings[0].node, cst.FunctionDef):
            return bindings[0].node
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        _, bindings = model.scopes.bindings_of(func.value)
        found = receiver_method(bindings[0]) if len(bindings) == 1 else None
        if found is None:
            return None
        methods = [s for s in found[1].body.body if isinstance(s, cst.FunctionDef) and s.name.value == func.attr.value]
        if len(methods) == 1 and not any(
                model.scopes.qualified_name(d.decorator) == "builtins.staticmethod" for d in methods[0].decorators):
            return methods[0]
    return None


def _parameters(helper: cst.FunctionDef) -> List[cst.Param]:
    params = [*helper.params.posonly_params, *helper.params.params]
    in_class = isinstance(helper.body, cst.IndentedBlock) and _is_method(helper)
    return params[1:] if in_class and params else params


def _is_method(helper: cst.FunctionDef) -> bool:
    return bool(helper.params.params or helper.params.posonly_params) and \
        [*helper.params.posonly_params, *helper.params.params][0].name.value in ("self", "cls")


def _arguments_by_parameter(helper: cst.FunctionDef, call: cst.Call) -> Dict[str, cst.BaseExpression]:
    """{parameter: argument} for the arguments `call` passes by position or keyword."""
    params = _parameters(helper)
    found: Dict[str, cst.BaseExpression] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            return found  # `*args` / `**kwargs`: the rest cannot be matched
        if arg.keyword is not None:
            found[arg.keyword.value] = arg.value
        elif position < len(params):
            found[params[position].name.value] = arg.value
            position += 1
    return found


def _project_picks(model: SemanticModel, call: cst.Call) -> Dict[str, cst.BaseExpression]:
    """{parameter: argument} for the arguments of `call` that pick the rows a project lookup
    function returns (its `picks` facts); empty when it writes anything or is named for a
    change (`create_user(name)`)."""
    from ..semantic.project_calls import ProjectCalls

    calls = model.get(ProjectCalls)
    callee = calls.callee(call)
    if callee is None or callee.pending or callee.commits or callee.flushes or _is_writing_name(callee.name):
        return {}
    path, qualname = callee.key
    picks = calls.summaries.facts[path]["functions"][qualname].get("picks") or []  # type: ignore[union-attr]
    found: Dict[str, cst.BaseExpression] = {}
    if not picks:
        return found
    kwargs = next((p for p in picks if p.startswith("**")), None)
    for argument in call.args:
        if argument.star:
            continue
        slot = calls.parameter_for(call, argument, callee)
        if slot is not None and slot[2:] in picks:
            found[slot[2:]] = argument.value
        elif slot is None and kwargs is not None and argument.keyword is not None:
            found[kwargs] = argument.value  # `Summary.all(run_id=...)` into `filter_by(**kwargs)`
    return found


def _picking_queries(model: SemanticModel, queries: QueryValues,
                     helper: cst.FunctionDef) -> Dict[str, cst.Call]:
    """{parameter: the query it picks rows of} for the queries `helper` runs once per call
    (not in a loop or an `except` block of its own, not on a session it opens itself)."""
    cache = model.get(_HelperQueries).picking
    if helper in cache:
        return cache[helper]
    cache[helper] = {}  # recursion through a helper that calls itself stops here
    names = frozenset(p.name.value for p in _parameters(helper))
    found: Dict[str, cst.Call] = {}
    if names and _looks_up(model, helper):
        derived = _derived_names(helper, names)
        for call in _own_calls(model, helper):
            selectors = _selectors(model, queries, call)
            if not selectors:
                # `Summary.all(run_id=other.id)`: a project lookup picked by the parameter
                for argument in _project_picks(model, call).values():
                    for name in names:
                        if names_in(argument) & derived[name]:
                            found.setdefault(name, call)
                continue
            if _latest_of_each(queries, call) or _session_opened_in(model, call, helper):
                continue
            for name in names:
                carried = derived[name]
                roles: Set[str] = set()
                for selector in selectors:
                    roles |= _roles(model, selector, carried)
                if PICKS in roles and not roles & {BATCHED, CHOOSES_TABLE}:
                    found.setdefault(name, call)
    cache[helper] = found
    return found


# Calls that change rows or the session: a helper making them does per-item work, of which its
# lookup is a part, not a lookup a loop could batch.
_WRITING_CALLS = frozenset({"add", "add_all", "merge", "delete", "commit", "flush", "rollback", "update",
                            "insert", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings",
                            "expunge", "refresh", "begin", "begin_nested", "setattr"})


# Leading words of function names that change something (`create_descriptor`, `save_user`):
# a helper named so, or calling a function named so, does per-item work.
_WRITING_VERBS = ("add", "create", "insert", "update", "delete", "remove", "save", "set", "upsert",
                  "put", "post", "write", "commit", "flush", "persist", "store", "sync", "import",
                  "reset", "mark", "clear", "send", "apply", "register", "attach", "detach", "link",
                  "unlink", "refresh", "move", "copy", "assign", "notify")


def _is_writing_name(name: Optional[str]) -> bool:
    word = (name or "").lstrip("_").split("_", 1)[0].lower()
    return word in _WRITING_VERBS


def _looks_up(model: SemanticModel, helper: cst.FunctionDef) -> bool:
    """`helper` reads and returns what it read: it returns a value, and changes nothing
    (no `session.add()`/`delete()`/`commit()`, no `insert()`/`update()`/`delete()`
    statement, no attribute assigned, no call of a function named for a change such as
    `add_descriptor()`, and not itself so named). A loop calling it repeats a lookup, which
    one query over every item can replace; a helper that writes does per-item work."""
    if _is_writing_name(helper.name.value):
        return False
    returns_value = False
    for node in _walk_own(helper.body):
        if isinstance(node, cst.Return) and node.value is not None \
                and not (isinstance(node.value, cst.Name) and node.value.value == "None"):
            returns_value = True
        elif isinstance(node, cst.Call):
            func = node.func
            name = _called_name(func)
            if name in _WRITING_CALLS or _is_writing_name(name) and not (
                    isinstance(func, cst.Name) and (model.scopes.qualified_name(func) or "").startswith("builtins.")):
                return False  # (a builtin named like a change, `set(items)`, builds a value)
        elif isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            target = node.target if not isinstance(node, cst.Del) else node.target
            if isinstance(target, (cst.Attribute, cst.Subscript)) and not _is_local_collection(model, target):
                return False
    return returns_value


def _is_local_collection(model: SemanticModel, target: cst.BaseExpression) -> bool:
    """`data["key"] = value` on a dict or list the helper builds itself."""
    if not isinstance(target, cst.Subscript) or not isinstance(target.value, cst.Name):
        return False
    _, bindings = model.scopes.bindings_of(target.value)
    return bool(bindings) and all(b.kind == "assign" and isinstance(b.value, (cst.Dict, cst.List, cst.DictComp,
                                                                              cst.ListComp))
                                  for b in bindings)


class _HelperQueries:
    """Per module: what `_picking_queries` found for each helper, asked once per call site."""

    def __init__(self, model: SemanticModel) -> None:
        self.picking: Dict[cst.FunctionDef, Dict[str, cst.Call]] = {}


def _own_calls(model: SemanticModel, helper: cst.FunctionDef) -> Iterator[cst.Call]:
    """Calls `helper` runs once per call: not in a nested function, a loop or an `except`."""
    stack: List[cst.CSTNode] = list(iter_children(helper.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While,
                             cst.ExceptHandler, cst.ExceptStarHandler) + COMPREHENSIONS):
            continue
        if isinstance(node, cst.Call):
            yield node
        stack.extend(iter_children(node))


def _derived_names(helper: cst.FunctionDef, names: FrozenSet[str]) -> Dict[str, FrozenSet[str]]:
    """{parameter: the parameter and the locals assigned from it} (`host_id = vuln["parent"]`)."""
    assignments = [node for node in _walk_own(helper.body) if isinstance(node, cst.Assign)]
    found = {}
    for name in names:
        carried = frozenset({name})
        for _ in range(3):
            grown = carried
            for assignment in assignments:
                if names_in(assignment.value) & grown:
                    for target in assignment.targets:
                        grown = grown | names_in(target.target)
            if grown == carried:
                break
            carried = grown
        found[name] = carried
    return found


def _walk_own(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) or current is node:
            stack.extend(iter_children(current))


def _loop_passing(model: SemanticModel, call: cst.Call,
                  arguments: Dict[str, cst.BaseExpression]) -> Optional[cst.CSTNode]:
    """The innermost loop around `call` whose variables reach one of `arguments`."""
    if not arguments:
        return None
    child: cst.CSTNode = call
    for ancestor in model.tree.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if _runs_per_item(model, ancestor, child, call) and not _fixed_few(model, _iterable(ancestor)):
            names = model.get(LoopVariables).names_of(ancestor)
            if any(names_in(argument) & names for argument in arguments.values()):
                return ancestor
        child = ancestor
    return None


# -- which loop feeds the query ------------------------------------------------------------------
def _loop_feeding(model: SemanticModel, call: cst.Call, selectors: List[Selector]) -> Optional[cst.CSTNode]:
    """The innermost loop around `call` whose variable picks the query's rows."""
    child: cst.CSTNode = call
    for ancestor in model.tree.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if _runs_per_item(model, ancestor, child, call) and not _fixed_few(model, _iterable(ancestor)):
            names = model.get(LoopVariables).names_of(ancestor)
            roles: Set[str] = set()
            for selector in selectors:
                roles |= _roles(model, selector, names)
            if BATCHED in roles:
                return None  # one query per batch of items is the fix, not the problem
            if CHOOSES_TABLE in roles:
                return None  # a different table or model on every turn: no `.in_()` joins them
            if PICKS in roles:
                return None if _session_opened_in(model, call, ancestor) else ancestor
        child = ancestor
    return None


def _session_opened_in(model: SemanticModel, call: cst.Call, loop: cst.CSTNode) -> bool:
    """The query runs on a session (or connection) opened by a `with` inside the loop body:
    one session per item, on purpose (a stream that gives its connection back between items,
    work isolated per item); merging the queries means giving that up."""
    current: cst.BaseExpression = call
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
        current = current.func.value
    if not isinstance(current, cst.Name):
        return False
    _, bindings = model.scopes.bindings_of(current)
    return (len(bindings) == 1 and bindings[0].kind == "with"
            and model.tree.inside(bindings[0].node, loop))


def _roles(model: SemanticModel, selector: Selector, names: FrozenSet[str]) -> Set[str]:
    """How the loop's names take part in a selector: values that pick rows, a batch, a table."""
    if not names_in(selector.node) & names:
        return set()
    if selector.kind == ENTITY:
        return {CHOOSES_TABLE}
    if selector.kind == VALUE:
        return {PICKS}
    return _condition_roles(model, selector.node, names)


def _condition_roles(model: SemanticModel, node: cst.BaseExpression, names: FrozenSet[str]) -> Set[str]:
    if not names_in(node) & names:
        return set()
    if isinstance(node, cst.Comparison):
        roles: Set[str] = set()
        left = node.left
        for target in node.comparisons:
            roles |= _compared(left, target.comparator, names)
            left = target.comparator
        return roles
    if isinstance(node, cst.BooleanOperation) or (
            isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr))):
        return _condition_roles(model, node.left, names) | _condition_roles(model, node.right, names)
    if isinstance(node, cst.UnaryOperation):
        return _condition_roles(model, node.expression, names)
    if isinstance(node, cst.Call):
        return _call_roles(model, node, names)
    return set()  # a condition built elsewhere (`.where(cond)`): not sure what it compares


def _call_roles(model: SemanticModel, call: cst.Call, names: FrozenSet[str]) -> Set[str]:
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    arguments = [arg.value for arg in call.args if not arg.star]
    if isinstance(func, cst.Attribute) and not names_in(func.value) & names:
        if method in _BATCHING_METHODS and any(names_in(a) & names for a in arguments):
            return {BATCHED}
        if method in _COMPARING_METHODS and any(names_in(a) & names for a in arguments):
            return {PICKS}
    if method in _BOOLEAN_FUNCTIONS:
        roles: Set[str] = set()
        for argument in arguments:
            roles |= _condition_roles(model, argument, names)
        return roles
    return set()  # a helper of the application's (`_filter_for(table, chunk)`)


def _compared(left: cst.BaseExpression, right: cst.BaseExpression, names: FrozenSet[str]) -> Set[str]:
    """`Post.user_id == user.id`: the loop gives the value. `table.c.x == 1`: it gives the table."""
    in_left, in_right = bool(names_in(left) & names), bool(names_in(right) & names)
    if in_left == in_right:
        return set()
    side = left if in_left else right
    return set() if _chooses_column(side) else {PICKS}


def _chooses_column(node: cst.BaseExpression) -> bool:
    """`table.c.name` or `getattr(Model, field)`: the loop picks a table or a column, not a value."""
    current = node
    while isinstance(current, cst.Attribute):
        if current.attr.value in ("c", "columns"):
            return True
        current = current.value
    return isinstance(current, cst.Call) and getattr(current.func, "value", None) == "getattr"


def _runs_per_item(model: SemanticModel, loop: cst.CSTNode, child: cst.CSTNode, call: cst.Call) -> bool:
    """`call` runs on every turn of `loop`: in a `for` body, or a comprehension past its first iterable."""
    if isinstance(loop, cst.For):
        return child is loop.body
    if isinstance(loop, COMPREHENSIONS):
        first = loop.for_in.iter
        return call is not first and all(a is not first for a in model.tree.ancestors(call))
    return False


def _iterable(loop: cst.CSTNode) -> cst.BaseExpression:
    return loop.iter if isinstance(loop, cst.For) else loop.for_in.iter  # type: ignore[union-attr]


def _fixed_few(model: SemanticModel, iterable: cst.BaseExpression, hops: int = 0) -> bool:
    """A handful of items written out: `("admin", "user")`, `[(User, "id"), (Group, "id")]`,
    `range(3)`, or a name bound to such and never filled later (see `LoopVariables.grows`).
    Their number is fixed by the source, and small."""
    if isinstance(iterable, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
        return len(iterable.elements) <= _SMALL_DISPLAY and not any(
            isinstance(e, (cst.StarredElement, cst.StarredDictElement)) for e in iterable.elements)
    if isinstance(iterable, cst.Call):
        qualified = model.scopes.qualified_name(iterable.func)
        if qualified == "builtins.range":
            return all(isinstance(a.value, cst.Integer) and int(a.value.value, 0) <= _SMALL_RANGE
                       for a in iterable.args)
        if qualified in ("builtins.enumerate", "builtins.zip", "builtins.reversed", "builtins.sorted"):
            positional = [a.value for a in iterable.args if a.keyword is None]
            return bool(positional) and all(_fixed_few(model, a, hops) for a in positional)
        if method_name(iterable) in ("items", "keys", "values"):
            return _fixed_few(model, iterable.func.value, hops)
        return False
    if isinstance(iterable, cst.Name) and hops < _MAX_NAME_HOPS:
        if model.get(LoopVariables).grows(iterable):
            return False  # `found = {}` filled by `found.setdefault(k, []).append(x)`
        _, bindings = model.scopes.bindings_of(iterable)
        return bool(bindings) and all(
            b.kind in ("assign", "annassign") and b.value is not None and _fixed_few(model, b.value, hops + 1)
            for b in bindings)
    return False


# -- the suggestion -------------------------------------------------------------------------------
def _in_suggestion(model: SemanticModel, call: cst.Call, loop: cst.CSTNode, selectors: List[Selector]) -> str:
    """`.where(User.id.in_(ids))` when the loop variable is compared with one column."""
    head = loop if isinstance(loop, cst.For) else loop.for_in  # type: ignore[attr-defined]
    items = _Items(model.source_of(head.target), model.source_of(head.iter), loop_targets(head))
    func = call.func
    legacy = isinstance(func, cst.Attribute) and model.get(QueryValues).kind_of(func.value) == QUERY
    method = func.attr.value if isinstance(func, cst.Attribute) else ""
    values = [s.node for s in selectors if s.kind == VALUE]
    if method in _BY_PRIMARY_KEY and values:
        picked = items.of(values[-1])
        if picked is not None and legacy:
            return f"`.filter(<primary key>.in_({picked}))`"
        if picked is not None and len(call.args) >= 2:
            entity = model.source_of(call.args[0].value)
            return f"`select({entity}).where(<{entity} primary key>.in_({picked}))`"
    for selector in selectors:
        node = selector.node
        if not (selector.kind == CONDITION and isinstance(node, cst.Comparison) and len(node.comparisons) == 1
                and isinstance(node.comparisons[0].operator, cst.Equal)):
            continue
        left, right = node.left, node.comparisons[0].comparator
        for column, value in ((left, right), (right, left)):
            picked = items.of(value)
            if picked is not None and isinstance(column, cst.Attribute) and not names_in(column) & items.names:
                where = "filter" if legacy else "where"
                return f"`.{where}({model.source_of(column)}.in_({picked}))`"
    return "`.in_(...)` over every item, then look the rows up in a dict"


@dataclass(frozen=True)
class _Items:
    """The loop's items as `.in_()` would take them."""

    target: str  # the loop target as written: `i`, `(key, value)`
    iterable: str
    names: FrozenSet[str]

    def of(self, value: cst.BaseExpression) -> Optional[str]:
        """`ids` for `i`; `[u.id for u in users]` for `u.id`; None for anything else."""
        if isinstance(value, cst.Name) and value.value in self.names:
            if self.target == value.value:
                return self.iterable
            return f"[{value.value} for {self.target} in {self.iterable}]"
        if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value in self.names:
            return f"[{value.value.value}.{value.attr.value} for {self.target} in {self.iterable}]"
        return None


def _called_name(node: cst.BaseExpression) -> Optional[str]:
    """`add` for `session.add` or `add`; None for anything else (`handlers[0]`)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None
