"""Mapped classes across modules: what `X.attr` is when `X` is a class of another module.

Reads the `mapped` facts of every module (`facts.mapped_class_facts`) and resolves class
names through imports with the summaries' resolver (`ProjectSummaries.class_of`), so that
one module's rows can use what another module declares:

- `relationship(key, attr)`: `attr` of class `key` (or of its bases, or a backref another
  class puts on it) holds related rows: which class, one row or a collection, loaded when.
  One row or a collection is read from `uselist=`, `secondary=`, a `Mapped[...]`
  annotation, then the foreign keys of the two classes (the class holding the foreign key to
  the other holds one row of it); unknown otherwise, and the rules then stay silent.
- `query_attribute(key, attr)`: `X.attr` is a legacy `Query`: `attr = session.query_property()`
  on the class or a base (a base may be `Base = declarative_base()` with `Base.query = ...`
  assigned in its module), or a `@property` of the class's metaclass that returns a query
  (`Model.q`: `return session.query(cls)`).
- `property_queries(key, attr)`: `attr` is a Python property of the class whose body runs a
  query (on a `lazy="dynamic"` relationship of `self`, or through `.query` / a session).

Nothing here imports libcst: the index builds it without parsing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

if TYPE_CHECKING:
    from .summaries import ProjectSummaries

ClassKey = Tuple[str, str]  # (file, class name)

# The same strategies `semantic.relationships` names (kept here: this module runs without libcst).
LAZY, EAGER, QUERY, NEVER = "select", "eager", "dynamic", "never"
_STRATEGIES = {
    "select": LAZY, "True": LAZY, "joined": EAGER, "selectin": EAGER, "subquery": EAGER,
    "immediate": EAGER, "False": EAGER, "dynamic": QUERY, "noload": NEVER, "raise": NEVER,
    "raise_on_sql": NEVER, "write_only": NEVER, "None": NEVER,
}
_MAX_DEPTH = 6
# What only an ORM class declares: a table, a relationship (or a backref it puts on another
# class), a foreign key, a `query_property()`. The `mapped` facts also keep classes whose
# properties merely call `.get()` or that name a metaclass, as plain classes do (mlflow's
# `TraceInfo` entity, an `Enum` with a metaclass): those are no model classes.
ORM_DECLARATIONS = ("table", "rels", "backrefs", "fks", "query_attrs")


@dataclass(frozen=True)
class ProjectRelationship:
    owner: ClassKey
    attribute: str
    target: ClassKey
    collection: bool
    loading: str


class ProjectClasses:
    def __init__(self, summaries: "ProjectSummaries") -> None:
        self.summaries = summaries
        self.facts = summaries.facts
        self._by_name: Dict[str, List[ClassKey]] = {}
        self._backrefs: Dict[ClassKey, Dict[str, Tuple[ClassKey, str, list]]] = {}
        self._attributes: Set[str] = set()
        self._properties: Set[str] = set()
        self._relationships: Dict[Tuple[ClassKey, str], Optional[ProjectRelationship]] = {}
        self._base_cache: Dict[ClassKey, List[ClassKey]] = {}
        self._query_attributes: Dict[Tuple[ClassKey, str], bool] = {}
        self._tables: Dict[str, List[FrozenSet[FrozenSet[str]]]] = {}
        self._index()

    # -- questions ------------------------------------------------------------------------------
    def resolve(self, path: str, dotted: str) -> Optional[ClassKey]:
        """The mapped class `dotted` names in module `path`: through its imports, else (for a
        name the module does not bind, as a helper's rows or a string target) the one mapped
        class of the project with that name."""
        found = self.summaries.class_of(path, dotted)
        if found is not None:
            return found
        name = dotted.rpartition(".")[2]
        module = self.facts.get(path, {})
        if "." not in dotted and (name in module.get("imports", {}) or name in module.get("classes", {})):
            return None  # bound to something we could not follow
        candidates = self._by_name.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def is_mapped(self, key: ClassKey) -> bool:
        return self._entry(key) is not None or any(
            self._entry(base) is not None for base in self._bases(key))

    def property_names(self) -> FrozenSet[str]:
        """Every property name whose body runs something that may be a query (a cheap test)."""
        return frozenset(self._properties)

    def attribute_names(self) -> FrozenSet[str]:
        """Every attribute name a relationship or backref of the project declares."""
        return frozenset(self._attributes)

    def relationship(self, key: ClassKey, attribute: str) -> Optional[ProjectRelationship]:
        cache_key = (key, attribute)
        if cache_key not in self._relationships:
            self._relationships[cache_key] = None  # a cycle through bases proves nothing
            self._relationships[cache_key] = self._find_relationship(key, attribute)
        return self._relationships[cache_key]

    def query_attribute(self, key: ClassKey, attribute: str) -> bool:
        """`Class.attribute` is a legacy Query (a `query_property()` or a metaclass property)."""
        cache_key = (key, attribute)
        found = self._query_attributes.get(cache_key)
        if found is None:
            found = self._query_attributes[cache_key] = self._find_query_attribute(key, attribute)
        return found

    def _find_query_attribute(self, key: ClassKey, attribute: str) -> bool:
        for current in [key, *self._bases(key)]:
            file, name = current
            module = self.facts.get(file, {})
            if attribute == "query" and name in module.get("query_property", ()):
                return True
            entry = self._entry(current) or {}
            if attribute in entry.get("query_attrs", ()):
                return True
            meta = entry.get("meta") or module.get("mapped", {}).get("metas", {}).get(name)
            if meta and self._metaclass_query(file, meta, attribute):
                return True
        return False

    def has_query_attribute(self, key: ClassKey) -> bool:
        """The class has a query attribute other than `query` (whose `.query` spelling is
        evidence already): `query_property()` under another name, or a metaclass property
        returning a query (`Model.q`)."""
        for current in [key, *self._bases(key)]:
            file, name = current
            entry = self._entry(current) or {}
            if any(attribute != "query" for attribute in entry.get("query_attrs", ())):
                return True
            meta = entry.get("meta") or (self.facts.get(file, {}).get("mapped") or {}).get("metas", {}).get(name)
            found = self.summaries.class_of(file, meta) if meta else None
            if found is not None and any(
                    self._metaclass_query(file, meta, method)  # type: ignore[arg-type]
                    for method in self.facts[found[0]]["classes"][found[1]]["methods"]):
                return True
        return False

    def unique_sets(self, key: ClassKey) -> List[FrozenSet[str]]:
        """The column sets whose values pick at most one row of the class: its primary key,
        `unique=True` columns, `UniqueConstraint`s and unique indexes (of bases too)."""
        return [frozenset(columns) for each in (key, *self._bases(key))
                for columns in (self._entry(each) or {}).get("unique", ())]

    def table_unique_sets(self, name: str) -> List[FrozenSet[str]]:
        """The unique column sets of the Core table bound to `name` (`users = Table(...)`,
        reached as `users`, `model.users` or `self.db.model.users`): those every table the
        project binds to that name declares, so that two tables of one name never lend each
        other a constraint."""
        declared = self._tables.get(name)
        if not declared:
            return []
        return sorted(frozenset.intersection(*declared), key=sorted)

    def required_column(self, key: ClassKey, attribute: str) -> bool:
        """`attribute` is a column of the class (or a base) declared NOT NULL."""
        return any(attribute in (self._entry(each) or {}).get("required", ())
                   for each in (key, *self._bases(key)))

    def property_queries(self, key: ClassKey, attribute: str) -> bool:
        """`attribute` is a Python property of the class (or a base) whose body runs a query."""
        for current in [key, *self._bases(key)]:
            entry = self._entry(current) or {}
            runs = entry.get("props", {}).get(attribute)
            if runs is None:
                continue
            for run in runs:
                if run[0] == "query":
                    return True
                if run[0] == "self":
                    found = self.relationship(key, run[1])
                    if found is not None and found.loading == QUERY:
                        return True
            return False
        return False

    def row_class(self, function: Tuple[str, str]) -> Optional[ClassKey]:
        """The mapped class of the one row the project function returns: its own `return
        q.first()` of a query of one class (`row_entity`), or what the functions whose call
        it returns return (`return self._previous(build)`). Every return that names a class
        must name the same one; a function that also returns rows, a query or a session
        returns no one row."""
        return self._row(function, 0)[0]

    def row_options(self, function: Tuple[str, str]) -> bool:
        """The row `row_class` speaks of may come from a query with loader options
        (`.options(selectinload(...))`): its relationships may be loaded with it."""
        return self._row(function, 0)[1]

    def _row(self, function: Tuple[str, str], depth: int) -> Tuple[Optional[ClassKey], bool]:
        path, qualname = function
        info = self.facts.get(path, {}).get("functions", {}).get(qualname)
        if info is None or depth > _MAX_DEPTH:
            return None, False
        returns = info.get("returns", ())
        if any(kind in returns for kind in ("rows", "query", "session")):
            return None, False
        found: Set[ClassKey] = set()
        options = bool(info.get("row_options"))
        entity = info.get("row_entity")
        if entity:
            key = self.resolve(path, entity)
            if key is None:
                return None, False
            found.add(key)
        for kind in returns:
            if not kind.startswith("call:"):
                continue
            target = self.summaries.resolve(path, qualname, kind[len("call:"):])
            key, loaded = self._row(target, depth + 1) if target is not None and target != function else (None, False)
            if key is not None:
                found.add(key)
                options = options or loaded
        return (found.pop(), options) if len(found) == 1 else (None, False)

    def items_options(self, function: Tuple[str, str]) -> bool:
        """The rows `items_class` speaks of may come from queries with loader options."""
        path, qualname = function
        info = self.facts.get(path, {}).get("functions", {}).get(qualname)
        if info is None:
            return False
        if info.get("rows_entity"):
            return bool(info.get("rows_options"))
        for kind in info.get("filled_rows") or ():
            target = self.summaries.resolve(path, qualname, kind[len("call:"):]) if kind.startswith("call:") else None
            if target is not None and self.row_options(target):
                return True
        return False

    def items_class(self, function: Tuple[str, str]) -> Optional[ClassKey]:
        """The mapped class of the rows in the list the project function returns: the rows of
        its query (`rows_entity`), or the rows it appends to a list it returns (`filled_rows`:
        each a row of a class it names, or the one row a project function it calls returns)."""
        path, qualname = function
        info = self.facts.get(path, {}).get("functions", {}).get(qualname)
        if info is None:
            return None
        entity = info.get("rows_entity")
        if entity and entity != "cls":
            return self.resolve(path, entity)
        found: Set[Optional[ClassKey]] = set()
        for kind in info.get("filled_rows") or ():
            if kind.startswith("call:"):
                target = self.summaries.resolve(path, qualname, kind[len("call:"):])
                found.add(self.row_class(target) if target is not None else None)
            else:
                found.add(self.resolve(path, kind))
        return found.pop() if len(found) == 1 else None

    # -- reading the facts ----------------------------------------------------------------------
    def _index(self) -> None:
        for path, module in self.facts.items():
            mapped = module.get("mapped") or {}
            for name, entry in mapped.get("classes", {}).items():
                self._by_name.setdefault(name, []).append((path, name))
                self._attributes.update(entry.get("rels", {}))
                self._properties.update(entry.get("props", {}))
            for name, sets in mapped.get("tables", {}).items():
                self._tables.setdefault(name, []).append(frozenset(frozenset(columns) for columns in sets))
        for path, module in self.facts.items():
            mapped = module.get("mapped") or {}
            for name, entry in mapped.get("classes", {}).items():
                for target, attribute, uselist, lazy, forward in entry.get("backrefs", ()):
                    found = self.resolve(path, target)
                    if found is None:
                        continue
                    self._attributes.add(attribute)
                    self._backrefs.setdefault(found, {}).setdefault(
                        attribute, ((path, name), forward, [uselist, lazy]))

    def _entry(self, key: ClassKey) -> Optional[dict]:
        mapped = self.facts.get(key[0], {}).get("mapped") or {}
        return mapped.get("classes", {}).get(key[1])

    def _bases(self, key: ClassKey) -> List[ClassKey]:
        """The project classes above `key` (breadth first), and bases that are module-level
        names rather than classes (`Base = declarative_base()`), as (file, name)."""
        cached = self._base_cache.get(key)
        if cached is None:
            cached = self._base_cache[key] = self._find_bases(key)
        return cached

    def _find_bases(self, key: ClassKey) -> List[ClassKey]:
        found: List[ClassKey] = []
        pending = [key]
        seen = {key}
        while pending and len(seen) < 16:
            file, name = pending.pop(0)
            info = self.facts.get(file, {}).get("classes", {}).get(name)
            if info is None:
                continue
            for base in info["bases"]:
                resolved = self.summaries.class_of(file, base) or self._symbol(file, base)
                if resolved is not None and resolved not in seen:
                    seen.add(resolved)
                    found.append(resolved)
                    pending.append(resolved)
        return found

    def _symbol(self, path: str, dotted: str, depth: int = 0) -> Optional[ClassKey]:
        """(file, name) of a module-level name that is no class statement, through imports."""
        module = self.facts.get(path)
        if module is None or depth > _MAX_DEPTH or "." in dotted:
            return None
        if dotted in module.get("query_property", ()) or dotted in (module.get("mapped") or {}).get("metas", {}) \
                or dotted in module.get("assigned", {}):
            return (path, dotted)
        imported = module.get("imports", {}).get(dotted)
        if imported is None or imported[1] is None:
            return None
        for file in self.summaries.module_files(path, imported[0], imported[2]):
            found = self._symbol(file, imported[1], depth + 1)
            if found is not None:
                return found
        return None

    def _metaclass_query(self, path: str, meta: str, attribute: str) -> bool:
        found = self.summaries.class_of(path, meta)
        if found is None:
            return False
        key = self.summaries.method(found[0], found[1], attribute)
        if key is None:
            return False
        info = self.facts[key[0]]["functions"][key[1]]
        summary = self.summaries.summaries.get(key)
        return summary is not None and summary.returns_query and any(
            name.rpartition(".")[2] in ("property", "cached_property", "classproperty")
            for name in info.get("decorators", ()))

    def _find_relationship(self, key: ClassKey, attribute: str) -> Optional[ProjectRelationship]:
        for current in [key, *self._bases(key)]:
            entry = self._entry(current)
            declared = entry.get("rels", {}).get(attribute) if entry else None
            if declared is not None:
                return self._forward(key, current, attribute, declared)
            backref = self._backrefs.get(current, {}).get(attribute)
            if backref is not None:
                return self._backward(key, attribute, *backref)
        return None

    def _forward(self, key: ClassKey, declaring: ClassKey, attribute: str,
                 declared: list) -> Optional[ProjectRelationship]:
        target_text, uselist, secondary, shape, lazy = declared
        loading = _STRATEGIES.get(lazy)
        target = self.resolve(declaring[0], target_text) if target_text else None
        if loading is None or target is None:
            return None
        if uselist in ("True", "False"):
            collection: Optional[bool] = uselist == "True"
        elif uselist is not None:
            return None
        elif secondary:
            collection = True
        elif shape is not None:
            collection = shape == "many"
        else:
            collection = self._by_foreign_keys(declaring, target)
        if collection is None:
            return None
        return ProjectRelationship(key, attribute, target, collection, loading)

    def _backward(self, key: ClassKey, attribute: str, source: ClassKey, forward: str,
                  options: list) -> Optional[ProjectRelationship]:
        uselist, lazy = options
        loading = _STRATEGIES.get(lazy)
        entry = self._entry(source) or {}
        declared = entry.get("rels", {}).get(forward)
        if loading is None or declared is None:
            return None
        if uselist in ("True", "False"):
            collection: Optional[bool] = uselist == "True"
        elif uselist is not None or declared[1] is not None:
            return None  # a one-to-one or a computed shape
        elif declared[2]:
            collection = True
        else:
            holds = self._by_foreign_keys(source, key)
            collection = None if holds is None else not holds
        if collection is None:
            return None
        return ProjectRelationship(key, attribute, source, collection, loading)

    def _by_foreign_keys(self, owner: ClassKey, target: ClassKey) -> Optional[bool]:
        from ..semantic.relationships import collection_by_foreign_keys

        return collection_by_foreign_keys(self._refers_to(owner, target), self._refers_to(target, owner))

    def _refers_to(self, source: ClassKey, target: ClassKey) -> bool:
        target_entry = self._entry(target) or {}
        table = target_entry.get("table")
        for current in [source, *self._bases(source)]:
            entry = self._entry(current) or {}
            for key in entry.get("fks", ()):
                head = key.rpartition(".")[0]
                if not head:
                    continue
                if (table is not None and head == table) or head == target[1] \
                        or self.summaries.class_of(current[0], head) == target:
                    return True
        return False


def project_classes(summaries: "ProjectSummaries") -> ProjectClasses:
    """The mapped classes of the project, built once per summaries object."""
    found = summaries.__dict__.get("_mapped_classes")
    if found is None:
        found = ProjectClasses(summaries)
        summaries.__dict__["_mapped_classes"] = found
    return found


def fingerprint_items(facts: Dict[str, dict],
                      summaries: Optional["ProjectSummaries"] = None) -> Iterator[Tuple[object, ...]]:
    """The mapped-class facts and what lookup helpers return (`rows_entity`, `picks`,
    `page`; with `summaries`, the resolved class of the row or rows a function returns), for
    the index fingerprint: a relationship, a backref or a metaclass changed in one module
    changes what another module's rows are."""
    for path in sorted(facts):
        mapped = facts[path].get("mapped")
        if mapped:
            yield ("mapped", path, repr(mapped))
        for qualname, info in sorted(facts[path]["functions"].items()):
            # What a lookup helper tells its callers' rows: which class, picked by what, a page.
            if info.get("rows_entity") or info.get("picks") or info.get("page") or info.get("annotated_query"):
                yield ("rows", path, qualname, info.get("rows_entity"), info.get("rows_options"), info.get("picks"),
                       info.get("page"), info.get("annotated_query"))
    if summaries is not None:
        yield from _row_classes(summaries)


def _row_classes(summaries: "ProjectSummaries") -> Iterator[Tuple[object, ...]]:
    """The class of the row each function returns, of the rows of a list it fills, resolved
    (through the functions whose call it returns, too): a caller's loop item is of that class."""
    if not _names_row_classes(summaries.facts):
        return
    classes = project_classes(summaries)
    for path in sorted(summaries.facts):
        for qualname, info in sorted(summaries.facts[path]["functions"].items()):
            if _may_return_rows_of_a_class(info):
                key = (path, qualname)
                row, items = classes.row_class(key), classes.items_class(key)
                if row is not None or items is not None:
                    yield ("row", path, qualname, row, row is not None and classes.row_options(key),
                           items, items is not None and classes.items_options(key))


def _may_return_rows_of_a_class(info: dict) -> bool:
    """A cheap first test before `row_class` / `items_class`."""
    return bool(info.get("row_entity") or info.get("filled_rows") or any(
        kind.startswith("call:") for kind in info.get("returns", ())))


def module_name(path: str) -> str:
    """`seen` for `.../filter/seen.py`, `crud` for `.../crud/__init__.py`."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    return parts[-2] if name == "__init__" and len(parts) > 1 else name


def lookup_names(summaries: "ProjectSummaries") -> Set[str]:
    """Names that make a statement worth reading for the rows rules: lookup helpers (they
    pick rows by a parameter, return rows of a known class or a page, one row of a known
    class, or a list they fill with such rows), the classes that have one, themselves or
    through a base (`Mailbox.get(id)` of a `ModelMixin.get`; not for the last two kinds), and
    modules with a function returning a page."""
    names: Set[str] = set()
    owners: Set[ClassKey] = set()
    classes = project_classes(summaries)
    rows = _names_row_classes(summaries.facts)
    for path, module in summaries.facts.items():
        for qualname, info in module["functions"].items():
            if info.get("picks") or info.get("rows_entity") or info.get("page") or info.get("annotated_query"):
                names.update(qualname.split("."))
                if "." in qualname:
                    owners.add((path, qualname.split(".")[0]))
                elif info.get("page"):
                    # `from app.plugins import seen` then `seen.search(...)`: a module whose
                    # function returns a page (only these: module names are common words)
                    names.add(module_name(path))
            elif rows and _may_return_rows_of_a_class(info) and (
                    classes.row_class((path, qualname)) or classes.items_class((path, qualname))):
                # `build = build_to_compare(package)`: a row of a known class, whose lazy
                # relationships a caller's loop may read (the function's name alone: many
                # model classes have such a method, which makes no module that imports
                # them worth reading)
                names.add(qualname.rpartition(".")[2])
    if _declares_query_attributes(summaries.facts):
        for path, module in summaries.facts.items():
            for name in module.get("classes", {}):
                if classes.has_query_attribute((path, name)):
                    names.add(name)  # `PreMember.q.all()`: a query attribute that is no `.query`
    if not owners:
        return names
    for path, module in summaries.facts.items():
        for name in module.get("classes", {}):
            pending, seen = [(path, name)], set()
            while pending and len(seen) < 12:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                if current in owners:
                    names.add(name)
                    break
                info = summaries.facts.get(current[0], {}).get("classes", {}).get(current[1])
                for base in info["bases"] if info else ():
                    found = summaries.class_of(current[0], base)
                    if found is not None:
                        pending.append(found)
    return names


def _declares_query_attributes(facts: Dict[str, dict]) -> bool:
    """Can `has_query_attribute` be true of any class? Only a `mapped` entry (a relevant
    module's: an outside module's inert facts have none) gives a class a query attribute
    other than `query`, or names a metaclass; without one, asking class by class resolves
    every base of every class for nothing (the standard library's tkinter, socketserver...)."""
    for module in facts.values():
        mapped = module.get("mapped") or {}
        if mapped.get("metas"):
            return True
        for entry in mapped.get("classes", {}).values():
            if entry.get("meta") or any(attribute != "query" for attribute in entry.get("query_attrs", ())):
                return True
    return False


def _names_row_classes(facts: Dict[str, dict]) -> bool:
    """Can `row_class` or `items_class` name a class for any function? The class comes from
    a relevant function's own query of one (`row_entity`, `rows_entity`) or a class it fills
    a list with (`filled_rows` other than a call); the calls between only pass it on, and an
    outside module's inert functions have none of these. Without one, the calls were
    resolved for nothing, through modules whose facts are read for it (the standard
    library: 0.08 s in `lookup_names` and as much in the fingerprint, tkinter's modules)."""
    for module in facts.values():
        for info in module["functions"].values():
            if info.get("row_entity") or info.get("rows_entity") \
                    or any(not kind.startswith("call:") for kind in info.get("filled_rows") or ()):
                return True
    return False
