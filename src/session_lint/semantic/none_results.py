"""Which None-able query results are dereferenced before any check: the analysis behind
ORM201, `model.get(NoneResults).unchecked()`.

A result of `.first()`, `Session.get()`, `.one_or_none()`, `.scalar_one_or_none()` or
`.scalar()` (see `queries.QueryValues.optional_calls`) counts when it reaches a dereference
on some path before a None check (`narrowing.Narrowing`): used right away, or through local
names. Not counted: results that are never None (aggregates without GROUP BY, `count()`),
fetches inside a branch taken only when the same table has rows, and rows the code has just
made sure exist (it stored the row itself, or re-reads it after get-or-create).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

import libcst as cst

from . import names
from .enclosing import calls_in
from .nodes import callee_name
from .narrowing import Narrowing, SourceOf, dereference_of, enclosing_conditions, implies_truthy
from .queries import QueryValue, QueryValues
from .rows import RowAnalysis

if TYPE_CHECKING:
    from . import SemanticModel as SemanticModel

# scope -> local name -> each result assigned to it (the call, or `await` of it) -> the call
Assigned = Dict[cst.CSTNode, Dict[str, Dict[cst.CSTNode, cst.Call]]]


class NoneResults:
    """`model.get(NoneResults)`: the None-able results used without a check."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model

    def unchecked(self, skip=lambda call: False) -> List[Tuple[cst.Call, "FirstUse"]]:
        """Each None-able query call whose result is dereferenced before a None check, with
        its first such use; `skip(call)` leaves calls out before any flow is walked."""
        model = self.model
        queries = model.get(QueryValues)
        found: List[Tuple[cst.Call, FirstUse]] = []
        assigned: Assigned = defaultdict(lambda: defaultdict(dict))
        for call in queries.optional_calls():
            if queries.is_never_none(call) or skip(call) or _existence_checked(model, call):
                continue
            result = with_await(model, call)
            used_at_once = dereference_of(model, result)
            if used_at_once is not None and not _row_known_to_exist(model, call):
                found.append((call, FirstUse(result, *used_at_once)))
            for scope, name in _names_bound_to(model, result):
                assigned[scope][name][result] = call
        narrowing = model.get(Narrowing)
        for scope, by_name in assigned.items():
            calls = {result: call for results in by_name.values() for result, call in results.items()}
            for result, use in narrowing.unchecked_uses(scope, by_name, _source_in(by_name)).items():
                call = calls[result]  # type: ignore[index]
                if not _row_known_to_exist(model, call):
                    found.append((call, FirstUse(use.name, use.node, use.kind)))
        return found


@dataclass(frozen=True)
class FirstUse:
    """The first dereference of a result: through a name (`user.email`), or at once
    (`session.get(User, 1).email`, where `value` is the call itself)."""

    value: cst.CSTNode
    node: cst.CSTNode
    kind: str

    @property
    def subject(self) -> str:
        return self.value.value if isinstance(self.value, cst.Name) else "result"


def _existence_checked(model: "SemanticModel", call: cst.Call) -> bool:
    """The fetch runs in a branch taken only when a query on the same model found rows:
    `if not User.query.first(): ... else: user = User.query.first()`, or
    `if session.query(User).filter(...).count(): ...`. The other query's filter may differ;
    a check of the same table is trusted anyway, as its author meant it."""
    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    if entity is None:
        return False

    def same_entity(expression: cst.BaseExpression) -> bool:
        return expression is not call and isinstance(expression, cst.Call) and queries.entity_of(expression) == entity

    return any(implies_truthy(model, test, outcome, same_entity)
               for test, outcome in enclosing_conditions(model, call))


def _row_known_to_exist(model: "SemanticModel", call: cst.Call) -> bool:
    """The code around the lookup has just made sure the row is there (asked only for a
    call about to be reported): it wrote the row itself, or re-reads after get-or-create."""
    return _written_here(model, call) or _read_again_after_insert(model, call) or _stored_by_helper(model, call) \
        or _keyed_by_flush_target(model, call) or _stored_before_every_call(model, call) \
        or _keyed_by_every_caller(model, call)


def _keyed_by_every_caller(model: "SemanticModel", call: cst.Call) -> bool:
    """The lookup's key is a parameter, and every project call passes for it that column of
    a row of the same class it holds: `export(cls, ids)` looking up `Dashboard` by `id` for
    each of `ids`, called only with the ids of queried dashboards; `expand(task, run_id)`
    looking up the `DagRun` by `run_id`, called only from a `DagRun` method with
    `self.run_id`. A key read from another column (`node.parent_id`, NULL for a root) or
    from a request does not count."""
    from .project_calls import ProjectCalls

    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    value = queries.value_of(call)
    function = model.tree.enclosing(call, (cst.FunctionDef,))
    project = model.get(ProjectCalls)
    classes = project.classes
    if entity is None or value is None or not isinstance(function, cst.FunctionDef) or classes is None:
        return False
    looked_up = classes.resolve(project.module, entity)  # type: ignore[arg-type]
    if looked_up is None:
        return False
    if value.methods[-1:] == ("get",):
        key = _get_key(model, call)
        conditions: List[Tuple[Optional[str], cst.BaseExpression]] = [(None, key)] if key is not None else []
    else:
        conditions = _conditions(model, call, entity) or []
    for column, compared in conditions:
        behind = _parameter_behind(model, compared)
        if behind is None:
            continue
        parameter, each = behind
        passed = project.keys_every_caller_passes(function, parameter)
        if passed and all(row_class == looked_up and passed_each == each
                          and attribute == (column if column is not None else "id")
                          for row_class, attribute, passed_each in passed):
            return True
    return False


def _parameter_behind(model: "SemanticModel", node: cst.BaseExpression) -> Optional[Tuple[str, bool]]:
    """(parameter, False) when `node` is a parameter never rebound; (parameter, True) when
    it is the variable of a loop over such a parameter (`for key in keys:`, perhaps
    converted in place: `key = int(key)`)."""
    if not isinstance(node, cst.Name):
        return None
    scope, bindings = model.scopes.bindings_of(node)
    if scope is None or scope.kind != "function" or not bindings:
        return None
    if len(bindings) == 1 and bindings[0].kind == "param":
        return node.value, False
    loops = [b for b in bindings if b.kind == "for"]
    converted = [b for b in bindings if b.kind == "assign" and isinstance(b.value, cst.Call)
                 and callee_name(b.value) in ("int", "str", "UUID") and len(b.value.args) == 1
                 and isinstance(b.value.args[0].value, cst.Name) and b.value.args[0].value.value == node.value]
    if len(loops) != 1 or len(loops) + len(converted) != len(bindings) or not isinstance(loops[0].value, cst.Name):
        return None
    iterated = _parameter_behind(model, loops[0].value)
    return (iterated[0], True) if iterated is not None and not iterated[1] else None


def _stored_before_every_call(model: "SemanticModel", call: cst.Call) -> bool:
    """An unfiltered lookup (`select(A).order_by(A.id)`, then `.first()`) in a module-level
    function that this module alone runs, each time after storing an `A`: called directly,
    or handed to `run_sync()` (`session.add_all([A(...)]); await session.run_sync(work)`)."""
    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    value = queries.value_of(call)
    function = model.tree.enclosing(call, (cst.FunctionDef,))
    if entity is None or value is None or value.methods[-1:] == ("get",) or _restrictions(model, call) != [] \
            or not isinstance(function, cst.FunctionDef) or model.tree.parent_of(function) is not model.tree.module:
        return False
    sites = _run_sites(model, function)
    if not sites or not _only_run_here(model, function):
        return False
    for site in sites:
        built: List[cst.Call] = []
        for argument in _writes_before(model, site, None):
            _collect_written(model, argument, {}, built)
        if not any(_names_entity(model, made.func, entity) for made in built):
            return False
    return True


def _run_sites(model: "SemanticModel", function: cst.FunctionDef) -> List[cst.Call]:
    """The calls that run `function`: `work(session)` and `session.run_sync(work)`; empty when
    the name is used any other way (stored, passed elsewhere: it may run anywhere)."""
    name = function.name.value
    sites: List[cst.Call] = []
    for node in model.tree.of_type(cst.Name):
        if node.value != name or node is function.name:
            continue
        parent = model.tree.parent_of(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            sites.append(parent)
            continue
        runner = model.tree.parent_of(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(runner, cst.Call) and callee_name(runner) == "run_sync" and runner.args[0] is parent:
            sites.append(runner)
            continue
        return []
    return sites


def _only_run_here(model: "SemanticModel", function: cst.FunctionDef) -> bool:
    """No other module of the project calls the function (closures in other modules too)."""
    from ..project.call_sites import every_call_site
    from .project_calls import ProjectCalls

    project = model.get(ProjectCalls)
    summaries = project.summaries
    if summaries is None:
        return True
    return all(caller[0] == project.module
               for caller, _ in every_call_site(summaries, (project.module, function.name.value)))  # type: ignore[arg-type]


def _keyed_by_flush_target(model: "SemanticModel", call: cst.Call) -> bool:
    """Inside a mapper flush listener, the lookup is keyed only by what the object being
    written holds: an object it refers to (`where(t.c.emp == instance.parent.emp)`), or a
    column its class declares NOT NULL (`session.get(Database, target.database_id)`). The
    flush writes the rows the object refers to first, and a key that named no row would have
    failed its foreign key; a nullable column (`target.parent_id` of a root) may be NULL."""
    from .flush_listeners import FlushListeners

    listener = model.get(FlushListeners).listener_target(call)
    if listener is None:
        return False
    target, written = listener
    keys = _compared_values(model, call)
    return bool(keys) and all(_held_by_target(model, key, target, written) for key in keys)  # type: ignore[union-attr]


def _held_by_target(model: "SemanticModel", key: cst.BaseExpression, target: str, written: Optional[str]) -> bool:
    """`target.parent.emp` (an object the target refers to), or `target.database_id` for a
    NOT NULL column of the target's class."""
    if not isinstance(key, cst.Attribute):
        return False
    holder = key.value
    if isinstance(holder, cst.Name):
        return holder.value == target and written is not None and _not_null(model, written, key.attr.value)
    while isinstance(holder, cst.Attribute):
        holder = holder.value
    return isinstance(holder, cst.Name) and holder.value == target


def _not_null(model: "SemanticModel", written: str, column: str) -> bool:
    from .project_calls import ProjectCalls

    project = model.get(ProjectCalls)
    classes = project.classes
    key = classes.resolve(project.module, written) if classes is not None else None  # type: ignore[arg-type]
    return key is not None and classes.required_column(key, column)  # type: ignore[union-attr]


def _compared_values(model: "SemanticModel", call: cst.Call) -> Optional[List[cst.BaseExpression]]:
    """What the lookup compares its columns to: the key of a `get()`, or the value of every
    `==` restriction (any column); None when some restriction is something else."""
    value = model.get(QueryValues).value_of(call)
    if value is not None and value.methods[-1:] == ("get",):
        key = _get_key(model, call)
        return [key] if key is not None else None
    restrictions = _restrictions(model, call)
    if restrictions is None:
        return None
    found: List[cst.BaseExpression] = []
    for method, restricting in restrictions:
        if method == "filter_by" and all(arg.keyword is not None for arg in restricting.args):
            found.extend(arg.value for arg in restricting.args)
            continue
        if method not in ("where", "filter"):
            return None
        for arg in restricting.args:
            test = arg.value
            if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
                    and isinstance(test.comparisons[0].operator, cst.Equal)):
                return None
            found.append(test.comparisons[0].comparator)
    return found


# -- the row was written just before ------------------------------------------------------------
# Chain methods that can leave out rows an unfiltered query would return.
_RESTRICTS = frozenset({"where", "filter", "filter_by", "having", "join", "join_from", "offset",
                        "slice", "with_parent", "from_statement"})


def _written_here(model: "SemanticModel", call: cst.Call) -> bool:
    """The lookup reads back a row the same function (or script) stored on that session
    before it, with nothing deleting or rolling back in between:

    - `session.get(User, user.id)` or `session.get(User, user_id)` after `user_id = user.id`,
      where `user` was passed to `session.add()`/`add_all()`/`merge()`;
    - `session.get(Node, 7)` after `session.add(Node(id=7, ...))`;
    - `session.query(User).first()` with no filter after adding some `User(...)`;
    - `select(User).filter_by(name="ann")` (or `.where(User.name == name)`) after adding
      `User(name="ann", ...)`: every condition matches a keyword of one added constructor.
    """
    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    value = queries.value_of(call)
    if entity is None or value is None:
        return False
    writes = _writes_before(model, call, _session_key(model, value))
    if not writes:
        return False
    written: Dict[str, List[cst.Call]] = {}
    built: List[cst.Call] = []
    for argument in writes:
        _collect_written(model, argument, written, built)
    built = [made for made in built if _names_entity(model, made.func, entity)]
    # Stored names that hold an instance of the model the lookup reads.
    names = {name for name, made in written.items() if any(_names_entity(model, m.func, entity) for m in made)}
    if value.methods[-1:] == ("get",):
        key = _get_key(model, call)
        return key is not None and (_attribute_of_written(model, key, names)
                                    or any(_keyword_matches(model, made, None, key) for made in built))
    if not built:
        return False
    conditions = _conditions(model, call, entity)
    if conditions is None:
        return False
    return any(all(_keyword_matches(model, made, column, expected)
                   or (column is not None and _attribute_of_written(model, expected, names, column))
                   for column, expected in conditions)
               for made in built)


def _stored_by_helper(model: "SemanticModel", call: cst.Call) -> bool:
    """The lookup reads back what a project function called just before stored: a function
    that adds to (or commits) a session, given every value the lookup filters on
    (`add_team_member(str(project.id), str(person.id))` then
    `ProjectPersonLink.query.filter_by(project_id=project.id, person_id=person.id).first()`,
    zou's Shotgun import)."""
    queries = model.get(QueryValues)
    entity = queries.entity_of(call)
    value = queries.value_of(call)
    if entity is None or value is None:
        return False
    if value.methods[-1:] == ("get",):
        key = _get_key(model, call)
        expected = [key] if key is not None else []
    else:
        conditions = _conditions(model, call, entity)
        expected = [compared for _, compared in conditions or ()]
    wanted = {_compact(model.source_of(node)) for node in expected}
    if not wanted:
        return False
    from .project_calls import ProjectCalls

    project = model.get(ProjectCalls)
    rows = model.get(RowAnalysis)
    scope = _scope_node(model, call)
    at = rows.position(call)
    for other in calls_in(scope.body if isinstance(scope, cst.FunctionDef) else scope):
        if rows.position(other) >= at or not _always_runs_before(model, other, call):
            continue
        passed = {_compact(model.source_of(_unwrapped_str(arg.value))) for arg in other.args}
        if not wanted <= passed:
            continue
        helper = project.callee(other)
        if helper is not None and (helper.pending or helper.commits):
            return True
    return False


def _unwrapped_str(node: cst.BaseExpression) -> cst.BaseExpression:
    """`project.id` for `str(project.id)`: the same key, as text."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "str" \
            and len(node.args) == 1:
        return node.args[0].value
    return node


def _conditions(model: "SemanticModel", call: cst.Call,
                entity: str) -> Optional[List[Tuple[Optional[str], cst.BaseExpression]]]:
    """Every restriction of the lookup as (column, value), when each is an `==` on a column
    of `entity` (`filter_by(name=x)`, `where(User.name == x)`); None otherwise."""
    restrictions = _restrictions(model, call)
    if restrictions is None:
        return None
    conditions: List[Tuple[Optional[str], cst.BaseExpression]] = []
    for method, restricting in restrictions:
        found = _equalities(model, method, restricting, entity)
        if found is None:
            return None
        conditions.extend(found)
    return conditions


def _session_key(model: "SemanticModel", value: QueryValue) -> Optional[str]:
    """The session the lookup runs on: its key when the session is resolved, else the text
    of the receiver (`sess` in `sess.query(User)`, a name the analysis could not resolve)."""
    root = value.root
    if isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute):
        found = model.sessions.session_of(root.func.value)
        return found.key if found is not None else model.source_of(root.func.value)
    return None


def _writes_before(model: "SemanticModel", call: cst.Call, session_key: Optional[str]) -> List[cst.BaseExpression]:
    """What `add()`/`add_all()`/`merge()` stored on the lookup's session before it in the same
    scope (empty when something was deleted, rolled back or expunged since the first write).
    The writing session is the lookup's own (by key, or by the same receiver text when
    neither is resolved); with no session in view (`User.query`), any resolved session."""
    rows = model.get(RowAnalysis)
    scope = _scope_node(model, call)
    at = rows.position(call)
    stored: List[Tuple[int, cst.BaseExpression]] = []
    undone: List[int] = []
    for other in calls_in(scope.body if isinstance(scope, cst.FunctionDef) else scope):
        func = other.func
        if not isinstance(func, cst.Attribute) or rows.position(other) >= at:
            continue
        method = func.attr.value
        if method in names.UNDO_METHODS:
            undone.append(rows.position(other))
        elif method in names.WRITE_METHODS and other.args and _always_runs_before(model, other, call):
            session = model.sessions.session_of(func.value)
            key = session.key if session is not None else model.source_of(func.value)
            if (session is not None and session_key is None) or key == session_key:
                stored.append((rows.position(other), other.args[0].value))
    if not stored or any(position > min(p for p, _ in stored) for position in undone):
        return []
    return [argument for _, argument in stored]


# Blocks that may run zero times (or be left early), so a write in them may not have happened.
_CONDITIONAL_BLOCKS = (cst.If, cst.Else, cst.For, cst.While, cst.Try, cst.TryStar, cst.ExceptHandler,
                       cst.ExceptStarHandler, cst.Match, cst.IfExp, cst.BooleanOperation, cst.ListComp,
                       cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _always_runs_before(model: "SemanticModel", write: cst.CSTNode, lookup: cst.CSTNode) -> bool:
    """Every conditional block, loop or `try` around `write` also holds `lookup`: a write in an
    `if` branch, a loop body or a `try` the lookup is outside of may not have happened."""
    lookup_ancestors = set(map(id, model.tree.ancestors(lookup)))
    for ancestor in model.tree.ancestors(write):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)):
            return True
        if isinstance(ancestor, _CONDITIONAL_BLOCKS) and id(ancestor) not in lookup_ancestors:
            return False
    return True


def _scope_node(model: "SemanticModel", node: cst.CSTNode) -> cst.CSTNode:
    found = model.tree.enclosing(node, (cst.FunctionDef, cst.Lambda))
    return found if found is not None else model.tree.module


def _collect_written(model: "SemanticModel", node: cst.BaseExpression, written: Dict[str, List[cst.Call]],
                     built: List[cst.Call]) -> None:
    """The names and constructor calls in what was stored: `add(user)`, `add_all([a, b])`,
    `add(User(addresses=[Address(...)]))`, and `user = User(...)` behind a stored name
    (`written` maps each stored name to the calls it is assigned from)."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            if current.value in written or current.value in ("True", "False", "None"):
                continue
            _, bindings = model.scopes.bindings_of(current)
            made = [b.value for b in bindings if b.kind in ("assign", "annassign") and isinstance(b.value, cst.Call)]
            written[current.value] = made
            stack.extend(made)
        elif isinstance(current, cst.Call):
            built.append(current)
            stack.extend(arg.value for arg in current.args)
        elif isinstance(current, (cst.List, cst.Tuple, cst.Set)):
            stack.extend(element.value for element in current.elements)


def _get_key(model: "SemanticModel", call: cst.Call) -> Optional[cst.BaseExpression]:
    """The identity `session.get(User, key)` or `query.get(key)` looks up."""
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    func = call.func
    assert isinstance(func, cst.Attribute)
    index = 1 if model.sessions.session_of(func.value) is not None else 0
    return positional[index] if len(positional) > index else None


def _attribute_of_written(model: "SemanticModel", node: cst.BaseExpression, names: Set[str],
                          column: Optional[str] = None) -> bool:
    """`user.id` of a stored `user` (`column`, when given, must be the attribute read), or
    a name assigned only from such an attribute (`user_id = user.id`)."""
    if isinstance(node, cst.Name):
        _, bindings = model.scopes.bindings_of(node)
        return bool(bindings) and all(
            b.kind in ("assign", "annassign") and b.value is not None
            and _attribute_of_written(model, b.value, names, column) for b in bindings)
    return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in names
            and (column is None or node.attr.value == column))


def _keyword_matches(model: "SemanticModel", made: cst.Call, column: Optional[str], expected: cst.BaseExpression) -> bool:
    """`User(name="ann")` stores `expected` (same source text) under `column` (when None, under
    an identity keyword: `session.get(Node, 7)` after `Node(id=7)`)."""
    text = model.source_of(expected)
    return any(arg.keyword is not None and model.source_of(arg.value) == text
               and (arg.keyword.value == column if column is not None else _is_identity(arg.keyword.value))
               for arg in made.args)


def _is_identity(keyword: str) -> bool:
    """`id`, `pk`, `uuid`, `user_id`: a keyword that names a primary key, by convention."""
    return keyword in ("id", "pk", "uuid", "key") or keyword.endswith(("_id", "_pk", "_uuid"))


def _restrictions(model: "SemanticModel", call: cst.Call) -> Optional[List[Tuple[str, cst.Call]]]:
    """The calls along the lookup's chain (into the statement it executes) that can leave
    rows out; None when the chain cannot be followed to its start."""
    if not isinstance(call.func, cst.Attribute):
        return None  # `get_by_name(session, name)`: a helper's lookup
    found: List[Tuple[str, cst.Call]] = []
    current: cst.BaseExpression = call.func.value
    if call.func.attr.value in names.RUNS_STATEMENT and call.args:
        # `session.scalar(select(User).where(...))`: the lookup runs its argument, and the
        # session it is called on says nothing about the rows.
        current = call.args[0].value
    for _ in range(50):
        if isinstance(current, cst.Await):
            current = current.expression
        if isinstance(current, cst.Name):
            _, bindings = model.scopes.bindings_of(current)
            if len(bindings) > 1:  # `result = session.execute(...)` twice: the one this read sees
                reaching = model.get(RowAnalysis).reaching_binding(current)
                bindings = [reaching] if reaching is not None else bindings
            if len(bindings) != 1 or bindings[0].kind not in ("assign", "annassign") or bindings[0].value is None:
                return None
            current = bindings[0].value
            continue
        if not isinstance(current, cst.Call):
            return found if isinstance(current, cst.Attribute) and current.attr.value == "query" else None
        func = current.func
        if not isinstance(func, cst.Attribute):
            return found  # `select(User)`
        method = func.attr.value
        if method == "query" or (method == "select" and not isinstance(func.value, cst.Call)):
            return found  # `session.query(User)`, Flask-SQLAlchemy's `db.select(User)`
        if method in names.RUNS_STATEMENT and current.args:
            current = current.args[0].value
            continue
        if method in _RESTRICTS:
            found.append((method, current))
        current = func.value
    return None


def _equalities(model: "SemanticModel", method: str, restricting: cst.Call,
                entity: str) -> Optional[List[Tuple[Optional[str], cst.BaseExpression]]]:
    """`filter_by(name=x)` and `where(User.name == x)` as (column, value); None for anything
    else (a join, an offset, a comparison that is not `==` on a column of `entity`)."""
    found: List[Tuple[Optional[str], cst.BaseExpression]] = []
    if method == "filter_by":
        for arg in restricting.args:
            if arg.keyword is None:
                return None
            found.append((arg.keyword.value, arg.value))
        return found
    if method not in ("where", "filter"):
        return None
    for arg in restricting.args:
        test = arg.value
        if arg.keyword is not None or not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        column = test.left
        if not isinstance(target.operator, cst.Equal) or not isinstance(column, cst.Attribute):
            return None
        if not _names_entity(model, column.value, entity):
            return None
        found.append((column.attr.value, target.comparator))
    return found


def _names_entity(model: "SemanticModel", node: cst.BaseExpression, entity: str) -> bool:
    """`node` spells the model `entity` (`User` or `models.User` for `User`)."""
    written = model.source_of(node)
    return written == entity or written.rsplit(".", 1)[-1] == entity.rsplit(".", 1)[-1]


# -- get-or-create -----------------------------------------------------------------------------
_INSERTS = names.WRITE_METHODS | {"insert", "bulk_save_objects", "bulk_insert_mappings"}


def _read_again_after_insert(model: "SemanticModel", call: cst.Call) -> bool:
    """The same lookup ran before, and a branch taken when it found nothing inserted the row:
    `row = q.first()`, `if row is None: insert(...)`, `row = q.first()`."""
    rows = model.get(RowAnalysis)
    result = with_await(model, call)
    text = _compact(model.source_of(result))
    at = rows.position(call)
    scope = _scope_node(model, call)
    for assign in model.tree.of_type(cst.Assign):
        if assign.value is result or _scope_node(model, assign) is not scope or rows.position(assign) >= at:
            continue
        if _compact(model.source_of(assign.value)) != text:
            continue
        names = {t.target.value for t in assign.targets if isinstance(t.target, cst.Name)}
        for branch in model.tree.of_type(cst.If):
            if not (rows.position(assign) < rows.position(branch) < at) or _scope_node(model, branch) is not scope:
                continue
            if _tests_missing(branch.test) & names and any(
                    callee_name(inner) in _INSERTS for inner in calls_in(branch.body)):
                return True
    return False


def _compact(text: str) -> str:
    return "".join(text.split())


def _tests_missing(test: cst.BaseExpression) -> Set[str]:
    """The name `x is None`, `x == None` or `not x` is true for when `x` is missing."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) \
            and isinstance(test.expression, cst.Name):
        return {test.expression.value}
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name) \
                and target.comparator.value == "None":
            return {test.left.value}
    return set()


def _source_in(by_name: Dict[str, Dict[cst.CSTNode, cst.Call]]) -> SourceOf:
    """The facts are the results themselves: for `user = await session.get(...)`, the await."""
    return lambda name, value: value if value in by_name.get(name, ()) else None


def with_await(model: "SemanticModel", call: cst.Call) -> cst.BaseExpression:
    """The expression that holds the result: `await session.get(...)` for an async call."""
    parent = model.tree.parent_of(call)
    return parent if isinstance(parent, cst.Await) else call


def _names_bound_to(model: "SemanticModel", result: cst.BaseExpression) -> List[Tuple[cst.CSTNode, str]]:
    """(scope, name) of each local name the result is assigned to: `x = ...`, `x: T = ...`,
    `(x := ...)`, `a = b = ...`."""
    parent = model.tree.parent_of(result)
    targets: List[cst.BaseExpression] = []
    if isinstance(parent, cst.Assign) and parent.value is result:
        targets = [target.target for target in parent.targets]
    elif isinstance(parent, cst.AnnAssign) and parent.value is result:
        targets = [parent.target]
    elif isinstance(parent, cst.NamedExpr) and parent.value is result:
        targets = [parent.target]
    names = [target.value for target in targets if isinstance(target, cst.Name)]
    if parent is None or not names:
        return []
    scope = model.scopes.scope_of(parent)
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent  # a walrus in a comprehension binds in the enclosing function
    if scope.kind == "lambda":
        return []
    return [(scope.node, name) for name in names]
