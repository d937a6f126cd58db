"""Which attributes of a mapped instance hold related rows, and when they are loaded.

`model.get(Relationships).of(entity, attribute)` answers for the mapped classes written in
this module: `owers = relationship(Person, secondary=billowers)` makes `bill.owers` a
collection of `Person` rows, loaded with their own SELECT the first time it is read (the
default `lazy="select"`); `relationship(..., backref=backref("activities"))` declares the
other side on the target class. Whether a relationship holds one row or a collection is
read from what the code states, in this order: `uselist=`, `secondary=` (many-to-many),
a `Mapped[List[...]]` / `Mapped[...]` annotation, and the foreign keys of the two classes
(the class holding the foreign key to the other holds one row of it). When none of these
settles it, the relationship's shape is unknown and the rules stay silent.

Relationships of classes defined in other modules are not known here (the project model
answers for them, when it does).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional, Tuple

import libcst as cst

from .scopes import receiver_method

if TYPE_CHECKING:
    from . import SemanticModel

# What the first read of the attribute does (`lazy=`).
LAZY = "select"        # one SELECT per instance, on first read (the default)
EAGER = "eager"        # loaded with the instance: joined, selectin, subquery, immediate
QUERY = "dynamic"      # `lazy="dynamic"`: the attribute is a query, nothing is loaded
NEVER = "never"        # noload, raise, raise_on_sql, write_only: reading loads nothing
_STRATEGIES = {
    "select": LAZY, "True": LAZY, "joined": EAGER, "selectin": EAGER, "subquery": EAGER,
    "immediate": EAGER, "False": EAGER, "dynamic": QUERY, "noload": NEVER, "raise": NEVER,
    "raise_on_sql": NEVER, "write_only": NEVER, "None": NEVER,
}
_COLLECTION_ANNOTATIONS = frozenset({"List", "list", "Set", "set", "Sequence", "MutableSequence",
                                     "Collection", "Iterable", "FrozenSet", "frozenset", "tuple",
                                     "Tuple", "Dict", "dict", "Mapping"})
_MAPPED_ANNOTATIONS = frozenset({"Mapped", "DynamicMapped", "WriteOnlyMapped"})
_NO_ARGUMENTS = cst.Call(func=cst.Name("backref"))


@dataclass(frozen=True)
class Relationship:
    owner: str             # the class the attribute is read on: `Bill`
    attribute: str         # `owers`
    target: str            # the class of the related rows: `Person`
    collection: bool       # a list of rows (True) or one row (False)
    loading: str           # LAZY, EAGER, QUERY or NEVER
    # the `relationship()` (or `backref()`) call; None for a class of another module
    node: Optional[cst.CSTNode] = field(repr=False)

    @property
    def criterion(self) -> str:
        """The SQL condition for "rows related to `instance`", for a message."""
        return f"with_parent(<instance>, {self.owner}.{self.attribute})"


@dataclass
class _Declared:
    owner: cst.ClassDef
    attribute: str
    call: cst.Call
    target: Optional[str]
    annotation: Optional[cst.BaseExpression]
    # For a backref: the `relationship()` call that declares it.
    forward: Optional[cst.Call] = None


class Relationships:
    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self._found: Optional[Dict[Tuple[str, str], Relationship]] = None
        self._attributes: Optional[FrozenSet[str]] = None
        self._properties: Optional[FrozenSet[str]] = None
        self._classes: Dict[str, cst.ClassDef] = {}
        self._tables: Dict[str, str] = {}

    # -- questions ------------------------------------------------------------------------------
    def of(self, entity: str, attribute: str) -> Optional[Relationship]:
        """The relationship `entity.attribute` (class names as written in this module); for a
        class of another module, what the project model says of it."""
        found = self._all().get((entity, attribute))
        if found is None and entity not in self._classes:
            return self._of_project(entity, attribute)
        return found

    def may_be(self, attribute: str) -> bool:
        """Some class of this module, or of the project, has a relationship called
        `attribute` (a cheap first test)."""
        if self._attributes is None:
            names = {name for _, name in self._all()}
            classes = self._project_classes()
            if classes is not None:
                names |= classes.attribute_names()
            self._attributes = frozenset(names)
        return attribute in self._attributes

    def knows(self, entity: str) -> bool:
        """`entity` is a class of this module, or a mapped class of the project it names."""
        return self.is_declared_here(entity) or self._project_class(entity) is not None

    def may_query(self, attribute: str) -> bool:
        """Some class of the project has a property `attribute` that may run a query (a
        cheap first test before `property_queries`)."""
        if self._properties is None:
            classes = self._project_classes()
            self._properties = classes.property_names() if classes is not None else frozenset()
        return attribute in self._properties

    def property_queries(self, entity: str, attribute: str) -> bool:
        """`entity.attribute` is a Python property (of a class of another module) whose body
        runs a query: reading it on a row runs that query."""
        if self.is_declared_here(entity):
            return False  # this module's classes: not followed here
        key = self._project_class(entity)
        classes = self._project_classes()
        return key is not None and classes is not None and classes.property_queries(key, attribute)

    # -- classes of other modules ---------------------------------------------------------------
    def _project_classes(self):  # type: ignore[no-untyped-def]
        from .project_calls import ProjectCalls

        return self.model.get(ProjectCalls).classes

    def _project_class(self, entity: str) -> Optional[Tuple[str, str]]:
        from .project_calls import ProjectCalls

        key = self.model.get(ProjectCalls).mapped_class(entity)
        classes = self._project_classes()
        return key if key is not None and classes is not None and classes.is_mapped(key) else None

    def _of_project(self, entity: str, attribute: str) -> Optional[Relationship]:
        classes = self._project_classes()
        if classes is None or attribute not in classes.attribute_names():
            return None
        key = self._project_class(entity)
        found = classes.relationship(key, attribute) if key is not None else None
        if found is None:
            return None
        return Relationship(entity, attribute, found.target[1], found.collection, found.loading, None)

    def class_of_receiver(self, node: cst.BaseExpression) -> Optional[str]:
        """`Bill` for `self` (or `cls`) in a method written in the body of class `Bill`."""
        if not isinstance(node, cst.Name):
            return None
        _, bindings = self.model.scopes.bindings_of(node)
        found = receiver_method(bindings[0]) if len(bindings) == 1 else None
        if found is None:
            return None
        name = found[1].name.value
        self._all()
        return name if self._classes.get(name) is found[1] else None

    def is_declared_here(self, entity: str) -> bool:
        self._all()
        return entity in self._classes

    # -- reading the module ---------------------------------------------------------------------
    def _all(self) -> Dict[Tuple[str, str], Relationship]:
        if self._found is None:
            self._found = {}
            declared = list(self._declarations())
            for item in declared:
                found = self._resolve(item)
                if found is not None:
                    self._found.setdefault((found.owner, found.attribute), found)
        return self._found

    def _declarations(self) -> Iterator[_Declared]:
        module = self.model.module
        for statement in module.body:
            if isinstance(statement, cst.ClassDef):
                self._classes[statement.name.value] = statement
        for classdef in self._classes.values():
            for name, value, annotation in _class_assignments(classdef):
                if name == "__tablename__" and isinstance(value, cst.SimpleString):
                    table = value.evaluated_value
                    if isinstance(table, str):
                        self._tables[table] = classdef.name.value
                call = value if isinstance(value, cst.Call) and self._is_relationship(value.func) else None
                if call is None:
                    continue
                target = _class_named(call.args[0].value) if call.args and call.args[0].keyword is None else None
                yield _Declared(classdef, name, call, target, annotation)
                backref = _keyword(call, "backref")
                if backref is not None and target is not None:
                    yield from self._backref(classdef, backref, target, call)

    def _backref(self, owner: cst.ClassDef, backref: cst.BaseExpression, target: str,
                 forward: cst.Call) -> Iterator[_Declared]:
        """`backref="x"` or `backref=backref("x", ...)`: attribute `x` on the target class."""
        target_class = self._classes.get(target)
        if target_class is None:
            return
        if isinstance(backref, cst.SimpleString):
            name = backref.evaluated_value
            call: Optional[cst.Call] = None
        elif isinstance(backref, cst.Call) and backref.args and isinstance(backref.args[0].value, cst.SimpleString) \
                and (self.model.scopes.qualified_name(backref.func) or "").endswith("backref"):
            name = backref.args[0].value.evaluated_value
            call = backref
        else:
            return
        if isinstance(name, str):
            # A bare name takes the defaults: `backref("x")` without arguments.
            yield _Declared(target_class, name, call or _NO_ARGUMENTS, owner.name.value, None, forward=forward)

    def _is_relationship(self, func: cst.BaseExpression) -> bool:
        qualified = self.model.scopes.qualified_name(func) or ""
        if qualified.startswith(("sqlalchemy.", "sqlmodel.")) and qualified.rsplit(".", 1)[-1] in (
                "relationship", "relation", "Relationship"):
            return True
        # Flask-SQLAlchemy's `db.relationship(...)`
        return (isinstance(func, cst.Attribute) and func.attr.value in ("relationship", "relation")
                and self.model.sessions.is_flask_db(func.value))

    def _resolve(self, item: _Declared) -> Optional[Relationship]:
        owner = item.owner.name.value
        target = item.target or _annotated_target(item.annotation)
        if target is None:
            return None
        collection = self._collection(item, owner, target)
        if collection is None:
            return None
        loading = _STRATEGIES.get(_keyword_text(item.call, "lazy") or "select")
        if loading is None:
            return None
        return Relationship(owner, item.attribute, target, collection, loading, item.call)

    def _collection(self, item: _Declared, owner: str, target: str) -> Optional[bool]:
        uselist = _keyword_text(item.call, "uselist")
        if uselist in ("True", "False"):
            return uselist == "True"
        if uselist is not None:
            return None
        if item.forward is not None:
            if _keyword(item.forward, "secondary") is not None:
                return True
            if _keyword(item.forward, "uselist") is not None:
                return None  # a one-to-one or a computed shape
            forward = self._by_foreign_keys(target, owner)
            return None if forward is None else not forward
        if _keyword(item.call, "secondary") is not None:
            return True
        shape = _annotated_shape(item.annotation)
        if shape is not None:
            return shape
        return self._by_foreign_keys(owner, target)

    def _by_foreign_keys(self, owner: str, target: str) -> Optional[bool]:
        return collection_by_foreign_keys(self._refers_to(owner, target), self._refers_to(target, owner))

    def _refers_to(self, source: str, target: str) -> bool:
        classdef = self._classes.get(source)
        if classdef is None:
            return False
        for _, value, _ in _class_assignments(classdef):
            for key in _foreign_keys(value):
                if self._names_class(key, target):
                    return True
        return False

    def _names_class(self, key: cst.BaseExpression, target: str) -> bool:
        """`ForeignKey(Target.id)`, `ForeignKey("targets.id")`, `ForeignKey("Target.id")`."""
        if isinstance(key, cst.Attribute):
            return isinstance(key.value, cst.Name) and key.value.value == target
        if isinstance(key, cst.SimpleString):
            text = key.evaluated_value
            if not isinstance(text, str) or "." not in text:
                return False
            table = text.rsplit(".", 1)[0]
            return self._tables.get(table) == target or table == target
        return False


_Assignment = Tuple[str, cst.BaseExpression, Optional[cst.BaseExpression]]


def collection_by_foreign_keys(holds: bool, held: bool) -> Optional[bool]:
    """A relationship's shape from the foreign keys of its two classes: one row (False) when
    the owner holds a foreign key to the target, a collection (True) when only the target
    holds one to the owner; None when neither or both do."""
    if holds and not held:
        return False
    if held and not holds:
        return True
    return None


def _class_assignments(classdef: cst.ClassDef) -> Iterator[_Assignment]:
    """(name, value, annotation) of each `name = value` / `name: T = value` of a class body."""
    body = classdef.body
    if not isinstance(body, cst.IndentedBlock):
        return
    for line in body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name):
                yield small.targets[0].target.value, small.value, None
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                yield small.target.value, small.value, small.annotation.annotation


def _foreign_keys(value: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The first argument of every `ForeignKey(...)` call inside a column declaration."""
    stack: List[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            func = node.func
            name = _called_name(func)
            if name == "ForeignKey" and node.args:
                yield node.args[0].value
            stack.extend(arg.value for arg in node.args)
            if isinstance(func, cst.Attribute):
                stack.append(func.value)


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _keyword_text(call: cst.Call, name: str) -> Optional[str]:
    """The literal a keyword argument is given (`lazy="dynamic"` -> `dynamic`), `?` when it
    is computed, None when absent."""
    value = _keyword(call, name)
    if value is None:
        return None
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return text if isinstance(text, str) else "?"
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value
    return "?"


def _class_named(node: cst.BaseExpression) -> Optional[str]:
    """`Person`, `"Person"` or `models.Person` as the class name; None otherwise."""
    if isinstance(node, cst.Name) and node.value[:1].isupper():
        return node.value
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        if isinstance(text, str) and text.isidentifier() and text[:1].isupper():
            return text
    return None


def _mapped_argument(annotation: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`X` in `Mapped[X]`; None for any other annotation."""
    if isinstance(annotation, cst.SimpleString):
        return None  # a string annotation: not parsed here
    if not isinstance(annotation, cst.Subscript) or len(annotation.slice) != 1:
        return None
    head = annotation.value
    name = _called_name(head)
    part = annotation.slice[0].slice
    if name not in _MAPPED_ANNOTATIONS or not isinstance(part, cst.Index):
        return None
    return part.value


def _annotated_shape(annotation: Optional[cst.BaseExpression]) -> Optional[bool]:
    inner = _mapped_argument(annotation)
    if inner is None:
        return None
    if isinstance(inner, cst.Subscript):
        head = inner.value
        name = _called_name(head)
        if name in _COLLECTION_ANNOTATIONS:
            return True
        if name == "Optional":
            return False
        return None
    return False if _class_named(inner) is not None else None


def _annotated_target(annotation: Optional[cst.BaseExpression]) -> Optional[str]:
    inner = _mapped_argument(annotation)
    while isinstance(inner, cst.Subscript) and len(inner.slice) == 1 and isinstance(inner.slice[0].slice, cst.Index):
        inner = inner.slice[0].slice.value
    return _class_named(inner) if inner is not None else None


def _called_name(node: cst.BaseExpression) -> Optional[str]:
    """`add` for `session.add` or `add`; None for anything else (`handlers[0]`)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None
