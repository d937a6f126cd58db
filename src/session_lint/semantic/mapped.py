"""Mapped classes, their column attributes, and the SQL expressions built from them.

`User.deleted_at is None` is a bug only when `User` is a mapped class: on an ordinary object
it is an honest Python test. A class counts as mapped only with evidence this module shows:

- a base resolved through imports to SQLAlchemy's declarative machinery: a subclass of
  `DeclarativeBase`/`DeclarativeBaseNoMeta` (which is a declarative *base*), a
  `declarative_base()` or `registry().generate_base()` result, a class decorated with
  `@as_declarative()` or with `DeclarativeMeta` as metaclass; Flask-SQLAlchemy's `db.Model`
  (`db = SQLAlchemy()` here, or imported from a module the project index knows);
  `sqlmodel.SQLModel` with `table=True`; or another mapped class of this module;
- a class decorated with `@some_registry.mapped`;
- a class body that declares columns (`Mapped[...]` annotations, `mapped_column()`,
  `Column()`, `relationship()`... resolved through imports, or `db.Column` on a Flask `db`),
  or a subclass with `__tablename__`: this covers models whose declarative base is imported
  from another module (`from app.db import Base`), and column mixins.
  `MappedAsDataclass` alone is no evidence: it is a mixin of the declarative base.

Imported classes (`from app.models import User`): other modules are not parsed (the project
index is a cheap regex pass over session factories), so an imported CamelCase name counts
as mapped only when this module uses it as an entity: as an argument of a resolved
`select()`/`update()`/`delete()`/`insert()`/`aliased()`/loader option, of a session's
`.query()`/`.get()`, of `.join()`/`.select_from()`/`.order_by()` on a known statement or
query, as the left side of a SQL comparison or the receiver of a column-only method
(`.in_()`, `.is_()`, `.like()`...) inside `.where()`/`.filter()` of a known statement or
query or inside SQLAlchemy's own `and_()`/`or_()`/`not_()`, or as `User.query` in a
Flask-SQLAlchemy project. A name only compared with Python's `in`/`is`, or used as the value
of `==` (`Post.status == Status.active`), is therefore not a model, which keeps enums and
settings objects out.

Attributes: on a class whose body we can read, an attribute is a column when it is declared
as one (or as a relationship, hybrid or column property); methods, properties and constants
are not. Attributes we cannot see (inherited from an imported base or mixin) count when
their name could be a column: not dunder, not ALL_CAPS, not `query`/`metadata`/`registry`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from .queries import QUERY, SELECT_FUNCTIONS, STATEMENT, QueryValues
from .scopes import Binding, dotted_name, receiver_method
from .tree import iter_children

if TYPE_CHECKING:
    from . import SemanticModel

# Comparison operators SQLAlchemy overloads (unlike `is` and `in`, which Python answers).
SQL_COMPARISONS = (
    cst.Equal, cst.NotEqual, cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual,
)

# What a class is, as far as mapping goes.
ROOT = "root"          # SQLAlchemy's own DeclarativeBase: subclasses are declarative bases
BASE = "base"          # a declarative base (or abstract base): subclasses are mapped
MAPPED = "mapped"      # a mapped class (or a column mixin): attributes build SQL
SQLMODEL = "sqlmodel"  # an SQLModel class without `table=True`: a pydantic model

# How an attribute behaves under Python's `bool()`, which ORM501's messages depend on.
ORM_ATTRIBUTE = "attribute"  # `User.name`: an InstrumentedAttribute, truthy
TABLE_COLUMN = "column"      # `users.c.name`: a Column, whose bool() raises TypeError

_DECLARATIVE_ROOTS = frozenset({
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.decl_api.DeclarativeBase",
    "sqlalchemy.orm.DeclarativeBaseNoMeta", "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
})
_DECLARATIVE_METACLASSES = frozenset({
    "sqlalchemy.orm.DeclarativeMeta", "sqlalchemy.orm.decl_api.DeclarativeMeta",
    "sqlalchemy.ext.declarative.DeclarativeMeta", "flask_sqlalchemy.model.DefaultMeta",
})
_BASE_FACTORIES = frozenset({
    "sqlalchemy.orm.declarative_base", "sqlalchemy.orm.decl_api.declarative_base",
    "sqlalchemy.ext.declarative.declarative_base",
})
_AS_DECLARATIVE = frozenset({
    "sqlalchemy.orm.as_declarative", "sqlalchemy.orm.decl_api.as_declarative",
    "sqlalchemy.ext.declarative.as_declarative",
})
_REGISTRIES = frozenset({"sqlalchemy.orm.registry", "sqlalchemy.orm.decl_api.registry"})
_SQLMODEL_BASES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
_ALIASED = frozenset({
    "sqlalchemy.orm.aliased", "sqlalchemy.orm.util.aliased",
    "sqlalchemy.orm.with_polymorphic", "sqlalchemy.orm.util.with_polymorphic",
})
_TABLES = frozenset({"sqlalchemy.Table", "sqlalchemy.schema.Table", "sqlalchemy.sql.schema.Table", "sqlmodel.Table"})
_MAPPED_ANNOTATIONS = frozenset({
    "sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped",
    "sqlalchemy.orm.WriteOnlyMapped", "sqlalchemy.orm.DynamicMapped",
})
# Last names of the calls that declare a mapped attribute in a class body.
_COLUMN_FACTORIES = frozenset({
    "Column", "mapped_column", "relationship", "column_property", "composite", "synonym",
    "deferred", "query_expression", "association_proxy", "dynamic_loader", "Field", "Relationship",
})
# Decorators of methods that are SQL expressions at class level.
_SQL_DECORATORS = frozenset({"hybrid_property", "hybrid_method", "declared_attr"})
_HYBRID_PARTS = frozenset({"expression", "setter", "deleter", "comparator", "update_expression", "getter"})
_PLAIN_DECORATORS = frozenset({
    "builtins.property", "builtins.classmethod", "builtins.staticmethod", "functools.cached_property",
})
# Entry points whose positional arguments are entities (or their attributes).
_ENTITY_FUNCTIONS = SELECT_FUNCTIONS | _ALIASED | frozenset({
    "sqlalchemy.update", "sqlalchemy.delete", "sqlalchemy.insert",
    "sqlalchemy.sql.expression.update", "sqlalchemy.sql.expression.delete",
    "sqlalchemy.sql.expression.insert", "sqlalchemy.orm.with_loader_criteria",
})
_LOADER_OPTIONS = frozenset({
    "joinedload", "selectinload", "subqueryload", "lazyload", "noload", "raiseload",
    "contains_eager", "load_only", "defer", "undefer", "immediateload", "defaultload",
})
_SESSION_ENTITY_METHODS = frozenset({"query", "get", "get_one"})
_STATEMENT_ENTITY_METHODS = frozenset({
    "join", "outerjoin", "join_from", "outerjoin_from", "select_from", "with_entities",
    "add_entity", "add_columns",
})
# SQLAlchemy's own functions whose arguments are conditions.
_CONJUNCTIONS = frozenset({"and_", "or_", "not_"})
_STATEMENT_CONDITION_METHODS = frozenset({"where", "filter", "having", "order_by", "group_by"})
# Methods only a SQL column expression has: their receiver is a column.
_COLUMN_METHODS = frozenset({
    "in_", "not_in", "notin_", "is_", "is_not", "isnot", "like", "ilike", "not_like",
    "not_ilike", "startswith", "endswith", "contains", "between", "any", "has", "desc", "asc",
    "is_distinct_from", "is_not_distinct_from", "regexp_match", "match", "collate", "label",
})
_NOT_COLUMNS = frozenset({"query", "query_class", "metadata", "registry", "c", "columns"})
_CLASS_RECEIVERS = frozenset({"builtins.classmethod"})
_SQL_PACKAGES = ("sqlalchemy.", "sqlmodel.")
# SQLAlchemy callables whose result is not a SQL expression.
_NOT_EXPRESSIONS = frozenset({
    "create_engine", "create_async_engine", "engine_from_config", "Session", "AsyncSession",
    "sessionmaker", "async_sessionmaker", "scoped_session", "MetaData", "registry", "inspect",
    "SQLAlchemy",
})


@dataclass(frozen=True)
class Entity:
    """A mapped class or an alias of one, as named at a use site."""

    kind: str  # class | imported | aliased
    classdef: Optional[cst.ClassDef] = None  # when its body is in this module


def is_camel_case(name: str) -> bool:
    return name[:1].isupper() and any(c.islower() for c in name)


def _plausible_column(name: str) -> bool:
    dunder = name.startswith("__") and name.endswith("__")
    return not dunder and any(c.islower() for c in name) and name not in _NOT_COLUMNS


class MappedClasses:
    """Answers "is this a mapped class / a column attribute / a SQL expression?" for one module."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        self.scopes = model.scopes
        self._lineage: Dict[cst.ClassDef, Optional[str]] = {}
        self._sql: Dict[cst.CSTNode, bool] = {}
        self._member_cache: Dict[cst.ClassDef, List[Tuple[str, bool]]] = {}
        self._entity_names: Optional[FrozenSet[str]] = None

    # -- public questions ------------------------------------------------------------------
    def entity(self, node: cst.BaseExpression) -> Optional[Entity]:
        """`node` names a mapped class or an aliased entity: `User`, `models.User`, `ua`, `cls`."""
        if isinstance(node, cst.Name):
            binding = self._single_binding(node)
            if binding is None:
                return None
            return self._entity_of_binding(binding, node.value)
        if isinstance(node, cst.Attribute) and is_camel_case(node.attr.value):
            dotted = dotted_name(node)
            head = node
            while isinstance(head, cst.Attribute):
                head = head.value
            if dotted is not None and isinstance(head, cst.Name) and self._is_import(head) \
                    and dotted in self._entities_used():
                return Entity("imported")
        return None

    def attribute_kind(self, node: cst.BaseExpression) -> Optional[str]:
        """ORM_ATTRIBUTE for `User.name` / `ua.name`, TABLE_COLUMN for `users.c.name`, else None."""
        if not isinstance(node, cst.Attribute):
            return None
        owner = node.value
        name = node.attr.value
        if isinstance(owner, cst.Attribute) and owner.attr.value == "c" and self._is_selectable(owner.value):
            return TABLE_COLUMN
        entity = self.entity(owner)
        if entity is None:
            return None
        declared = self._member(entity.classdef, name) if entity.classdef is not None else None
        if declared is None:
            declared = _plausible_column(name)
        return ORM_ATTRIBUTE if declared else None

    def is_sql(self, node: cst.BaseExpression) -> bool:
        """`node` builds a SQL expression: a column attribute, a comparison or arithmetic on
        one, a method call on one (`.like()`, `.in_()`), or a SQLAlchemy function (`and_()`,
        `func.lower()`). A Python `is`/`in` test or `not` is a plain bool, not SQL."""
        if node in self._sql:
            return self._sql[node]
        self._sql[node] = False  # `a = b; b = a` ends here
        found = self._is_sql(node)
        self._sql[node] = found
        return found

    def class_role(self, classdef: cst.ClassDef) -> Optional[str]:
        """ROOT, BASE, MAPPED, SQLMODEL or None for a class of this module."""
        if classdef in self._lineage:
            return self._lineage[classdef]
        self._lineage[classdef] = None  # a class cannot derive from itself
        role = self._class_role(classdef)
        self._lineage[classdef] = role
        return role

    # -- SQL expressions ---------------------------------------------------------------------
    def _is_sql(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Attribute):
            return self.attribute_kind(node) is not None
        if isinstance(node, cst.Comparison):
            if not all(isinstance(t.operator, SQL_COMPARISONS) for t in node.comparisons):
                return False
            return self.is_sql(node.left) or any(self.is_sql(t.comparator) for t in node.comparisons)
        if isinstance(node, cst.BinaryOperation):
            return self.is_sql(node.left) or self.is_sql(node.right)
        if isinstance(node, cst.UnaryOperation):
            return not isinstance(node.operator, cst.Not) and self.is_sql(node.expression)
        if isinstance(node, cst.BooleanOperation):
            # Python returns one of the operands: the result may be SQL.
            return self.is_sql(node.left) or self.is_sql(node.right)
        if isinstance(node, cst.IfExp):
            return self.is_sql(node.body) or self.is_sql(node.orelse)
        if isinstance(node, cst.Subscript):
            return self.is_sql(node.value)
        if isinstance(node, cst.Call):
            return self._is_sql_call(node)
        if isinstance(node, cst.Name):
            binding = self._single_binding(node)
            if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
                return self.is_sql(binding.value)
        return False

    def _is_sql_call(self, call: cst.Call) -> bool:
        func = call.func
        function = self.sqlalchemy_function(func)
        if function is not None:
            return function not in _NOT_EXPRESSIONS
        return isinstance(func, cst.Attribute) and self.is_sql(func.value)

    def sqlalchemy_function(self, func: cst.BaseExpression) -> Optional[str]:
        """The last name of a SQLAlchemy (or SQLModel) callable, also through Flask's `db.`."""
        qualified = self.scopes.qualified_name(func)
        if qualified is not None:
            if qualified.startswith(_SQL_PACKAGES):
                return qualified.rsplit(".", 1)[-1]
            return None
        if isinstance(func, cst.Attribute):
            owner = func.value
            # `db.func.lower`, `db.and_`
            while isinstance(owner, cst.Attribute) and owner.attr.value == "func":
                owner = owner.value
            if self.model.sessions.is_flask_db(owner):
                return func.attr.value
        return None

    # -- classes ------------------------------------------------------------------------------
    def _class_role(self, classdef: cst.ClassDef) -> Optional[str]:
        roles = [self._role_of_expression(base.value) for base in classdef.bases]
        for decorator in classdef.decorators:
            role = self._decorator_role(decorator.decorator)
            if role is not None:
                return role
        if self._has_declarative_metaclass(classdef):
            return BASE if MAPPED not in roles and BASE not in roles else MAPPED
        if MAPPED in roles or BASE in roles:
            return BASE if self._is_abstract(classdef) else MAPPED
        if ROOT in roles:
            return BASE
        if SQLMODEL in roles:
            return MAPPED if _has_table_keyword(classdef) else SQLMODEL
        if self._declares_columns(classdef) or (classdef.bases and _assigns(classdef, "__tablename__")):
            return MAPPED
        return None

    def _role_of_expression(self, node: cst.BaseExpression) -> Optional[str]:
        qualified = self.scopes.qualified_name(node)
        if qualified in _DECLARATIVE_ROOTS:
            return ROOT
        if qualified in _SQLMODEL_BASES:
            return SQLMODEL
        if isinstance(node, cst.Attribute) and node.attr.value == "Model" \
                and self.model.sessions.is_flask_db(node.value):
            return BASE
        if isinstance(node, cst.Call):
            return BASE if self._makes_base(node) else None
        entity = self.entity(node)
        if entity is not None:
            return MAPPED
        if isinstance(node, cst.Name):
            binding = self._single_binding(node)
            if binding is None:
                return None
            if binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
                return self.class_role(binding.node)
            if binding.kind in ("assign", "annassign") and binding.value is not None:
                if isinstance(binding.value, cst.Call):
                    return BASE if self._makes_base(binding.value) else None
                return self._role_of_expression(binding.value)
        return None

    def _makes_base(self, call: cst.Call) -> bool:
        """`declarative_base()`, `registry().generate_base()`, `mapper_registry.generate_base()`."""
        if self.scopes.qualified_name(call.func) in _BASE_FACTORIES:
            return True
        func = call.func
        return isinstance(func, cst.Attribute) and func.attr.value == "generate_base" and self._is_registry(func.value)

    def _is_registry(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return self.scopes.qualified_name(node.func) in _REGISTRIES
        if isinstance(node, cst.Name):
            binding = self._single_binding(node)
            return (binding is not None and binding.kind in ("assign", "annassign")
                    and isinstance(binding.value, cst.Call)
                    and self.scopes.qualified_name(binding.value.func) in _REGISTRIES)
        return False

    def _decorator_role(self, decorator: cst.BaseExpression) -> Optional[str]:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        if self.scopes.qualified_name(target) in _AS_DECLARATIVE:
            return BASE
        if isinstance(target, cst.Attribute) and self._is_registry(target.value):
            if target.attr.value in ("mapped", "mapped_as_dataclass"):
                return MAPPED
            if target.attr.value == "as_declarative_base":
                return BASE
        return None

    def _has_declarative_metaclass(self, classdef: cst.ClassDef) -> bool:
        return any(
            keyword.keyword is not None and keyword.keyword.value == "metaclass"
            and self.scopes.qualified_name(keyword.value) in _DECLARATIVE_METACLASSES
            for keyword in classdef.keywords
        )

    def _is_abstract(self, classdef: cst.ClassDef) -> bool:
        value = _assigned_value(classdef, "__abstract__")
        return isinstance(value, cst.Name) and value.value == "True"

    def _declares_columns(self, classdef: cst.ClassDef) -> bool:
        return any(declared for _, declared in self._members(classdef))

    # -- members -----------------------------------------------------------------------------
    def _member(self, classdef: cst.ClassDef, name: str) -> Optional[bool]:
        """True when `name` is a column/relationship/hybrid of the class or a local base,
        False when it is something else, None when no class body here declares it."""
        seen: Set[int] = set()
        pending: List[cst.ClassDef] = [classdef]
        while pending:
            current = pending.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            found: Optional[bool] = None
            for member, declared in self._members(current):
                if member == name:
                    found = declared  # the last definition in the body wins
            if found is not None:
                return found
            for base in current.bases:
                if isinstance(base.value, cst.Name):
                    binding = self._single_binding(base.value)
                    if binding is not None and binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
                        pending.append(binding.node)
        return None

    def _members(self, classdef: cst.ClassDef) -> List[Tuple[str, bool]]:
        """(name, is it a SQL attribute?) for each name the class body defines; unknown
        right-hand sides (a helper like `created_at = timestamp_column()`) are skipped."""
        members = self._member_cache.get(classdef)
        if members is None:
            members = []
            sqlmodel = any(self._role_of_expression(b.value) == SQLMODEL for b in classdef.bases)
            for statement in _body(classdef):
                if isinstance(statement, cst.FunctionDef):
                    declared = self._method_is_sql(statement)
                    if declared is not None:
                        members.append((statement.name.value, declared))
                elif isinstance(statement, cst.ClassDef):
                    members.append((statement.name.value, False))
                elif isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        members.extend(self._assignment_members(small, sqlmodel))
            self._member_cache[classdef] = members
        return members

    def _assignment_members(self, small: cst.BaseSmallStatement, sqlmodel: bool) -> Iterator[Tuple[str, bool]]:
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            annotation = small.annotation.annotation
            if self._is_mapped_annotation(annotation) or self._is_column_call(small.value):
                yield small.target.value, True
            elif sqlmodel and not self._is_classvar(annotation):
                yield small.target.value, True
            elif small.value is None or _is_literal(small.value):
                yield small.target.value, False
        elif isinstance(small, cst.Assign):
            if self._is_column_call(small.value):
                declared: Optional[bool] = True
            elif _is_literal(small.value):
                declared = False
            else:
                declared = None
            if declared is not None:
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        yield target.target.value, declared

    def _method_is_sql(self, function: cst.FunctionDef) -> Optional[bool]:
        if not function.decorators:
            return False
        verdict: Optional[bool] = False
        for decorator in function.decorators:
            target = decorator.decorator
            target = target.func if isinstance(target, cst.Call) else target
            qualified = self.scopes.qualified_name(target)
            if qualified is not None and qualified.startswith(_SQL_PACKAGES):
                if qualified.rsplit(".", 1)[-1] in _SQL_DECORATORS:
                    return True
                if qualified.endswith("declared_attr.directive"):
                    return False
            if isinstance(target, cst.Attribute) and target.attr.value in _HYBRID_PARTS:
                return True  # `@full_name.expression`, `@full_name.inplace.setter`
            if qualified not in _PLAIN_DECORATORS:
                verdict = None  # a decorator we do not know could make anything
        return verdict

    def _is_column_call(self, value: Optional[cst.BaseExpression]) -> bool:
        return isinstance(value, cst.Call) and self.sqlalchemy_function(value.func) in _COLUMN_FACTORIES

    def _is_mapped_annotation(self, annotation: cst.BaseExpression) -> bool:
        if isinstance(annotation, cst.Subscript):
            return self.scopes.qualified_name(annotation.value) in _MAPPED_ANNOTATIONS
        return False

    def _is_classvar(self, annotation: cst.BaseExpression) -> bool:
        target = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        return (self.scopes.qualified_name(target) or "").endswith("ClassVar")

    # -- names ---------------------------------------------------------------------------------
    def _single_binding(self, node: cst.Name) -> Optional[Binding]:
        _, bindings = self.scopes.bindings_of(node)
        return bindings[0] if len(bindings) == 1 else None

    def _is_import(self, node: cst.Name) -> bool:
        binding = self._single_binding(node)
        return binding is not None and binding.kind == "import"

    def _entity_of_binding(self, binding: Binding, name: str) -> Optional[Entity]:
        if binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
            return Entity("class", binding.node) if self.class_role(binding.node) == MAPPED else None
        if binding.kind == "import":
            qualified = binding.qualified or ""
            if is_camel_case(name) and not qualified.startswith(_SQL_PACKAGES) and name in self._entities_used():
                return Entity("imported")
            return None
        if binding.kind in ("assign", "annassign") and isinstance(binding.value, cst.Call):
            call = binding.value
            if self.scopes.qualified_name(call.func) in _ALIASED and call.args and not call.args[0].keyword:
                target = self.entity(call.args[0].value)
                if target is not None:
                    return Entity("aliased", target.classdef)
            return None
        if binding.kind == "param":
            return self._class_receiver(binding)
        return None

    def _class_receiver(self, binding: Binding) -> Optional[Entity]:
        """`cls` in a classmethod (or a hybrid's `.expression`) of a mapped class or base."""
        found = receiver_method(binding)
        if found is None:
            return None
        function, classdef = found
        if not any(self._binds_class(d.decorator) for d in function.decorators):
            return None
        if self.class_role(classdef) in (MAPPED, BASE):
            return Entity("class", classdef)
        return None

    def _binds_class(self, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        if self.scopes.qualified_name(target) in _CLASS_RECEIVERS:
            return True
        if isinstance(target, cst.Attribute) and target.attr.value in ("expression", "comparator"):
            return True
        return (self.sqlalchemy_function(target) or "") == "declared_attr"

    def _is_selectable(self, node: cst.BaseExpression) -> bool:
        """`users` bound to `Table(...)`, a `.subquery()`/`.cte()`/`.alias()`, or `User.__table__`."""
        if isinstance(node, cst.Attribute) and node.attr.value == "__table__":
            return self.entity(node.value) is not None
        if not isinstance(node, cst.Name):
            return False
        binding = self._single_binding(node)
        if binding is not None and binding.kind == "import" and binding.imported:
            # `from app.tables import users`: a module-level `Table(...)` the project index saw.
            info = self.model.index.lookup(self.model.filename, binding.module or "", binding.level, binding.imported)
            return info is not None and info.kind == "table"
        if binding is None or binding.kind not in ("assign", "annassign") or not isinstance(binding.value, cst.Call):
            return False
        call = binding.value
        if self.scopes.qualified_name(call.func) in _TABLES:
            return True
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "Table" \
                and self.model.sessions.is_flask_db(func.value):
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in ("subquery", "cte", "alias"):
            return self._query_kind(func.value) in (STATEMENT, QUERY)
        return False

    def _query_kind(self, node: cst.BaseExpression) -> Optional[str]:
        return self.model.get(QueryValues).kind_of(node)

    # -- entity evidence for imported names ------------------------------------------------------
    def _entities_used(self) -> FrozenSet[str]:
        if self._entity_names is None:
            self._entity_names = frozenset(self._collect_entity_names())
        return self._entity_names

    def _collect_entity_names(self) -> Set[str]:
        found: Set[str] = set()
        queries = self.model.get(QueryValues)
        sessions = self.model.sessions
        for call in self.model.tree.of_type(cst.Call):
            func = call.func
            positional = [arg.value for arg in call.args if arg.keyword is None]
            qualified = self.scopes.qualified_name(func)
            if qualified in _ENTITY_FUNCTIONS or _is_loader_option(qualified):
                _add_roots(positional, found)
                continue
            if _is_conjunction(qualified) or (isinstance(func, cst.Attribute) and func.attr.value in _CONJUNCTIONS
                                              and self.model.sessions.is_flask_db(func.value)):
                # `or_(Adventure.backend == Node.backend, ...)`: SQLAlchemy's own and_/or_/not_
                # take SQL conditions, whatever query they end up in.
                for argument in positional:
                    _add_roots(list(_column_positions(argument)), found)
                continue
            if not isinstance(func, cst.Attribute):
                continue
            method = func.attr.value
            if method == "select" and self.model.sessions.is_flask_db(func.value):
                _add_roots(positional, found)
            elif method in _SESSION_ENTITY_METHODS and sessions.session_of(func.value) is not None:
                _add_roots(positional if method == "query" else positional[:1], found)
            elif method in _STATEMENT_ENTITY_METHODS | _STATEMENT_CONDITION_METHODS:
                if queries.kind_of(func.value) not in (STATEMENT, QUERY):
                    continue
                if method in _STATEMENT_ENTITY_METHODS or method in ("order_by", "group_by"):
                    _add_roots([_join_target(argument) for argument in positional], found)
                if method in _STATEMENT_CONDITION_METHODS:
                    for argument in positional:
                        _add_roots(list(_column_positions(argument)), found)
        if queries.uses_flask_sqlalchemy():
            for attribute in self.model.tree.of_type(cst.Attribute):
                if attribute.attr.value == "query" and isinstance(attribute.value, cst.Name):
                    _add_roots([attribute.value], found)
        return found


def _add_roots(expressions: Sequence[cst.BaseExpression], found: Set[str]) -> None:
    """Record `User` for `User`, `User.id`, and `models.User` for `models.User.name`."""
    for expression in expressions:
        dotted = dotted_name(expression) if isinstance(expression, (cst.Name, cst.Attribute)) else None
        if dotted is None:
            continue
        parts = dotted.split(".")
        for length in range(1, len(parts) + 1):
            if is_camel_case(parts[length - 1]):
                found.add(".".join(parts[:length]))


def _join_target(argument: cst.BaseExpression) -> cst.BaseExpression:
    """SQLAlchemy < 1.4's `query.join((Account, onclause))`: the target comes first."""
    if isinstance(argument, cst.Tuple) and len(argument.elements) == 2:
        return argument.elements[0].value
    return argument


def _is_conjunction(qualified: Optional[str]) -> bool:
    """`sqlalchemy.or_`, `sqlalchemy.sql.and_`, `sqlmodel.not_`."""
    return qualified is not None and qualified.startswith(_SQL_PACKAGES) \
        and qualified.rsplit(".", 1)[-1] in _CONJUNCTIONS


def _is_loader_option(qualified: Optional[str]) -> bool:
    """`selectinload(User.addresses)`: loader options name attributes of entities."""
    return qualified is not None and qualified.startswith("sqlalchemy.orm") \
        and qualified.rsplit(".", 1)[-1] in _LOADER_OPTIONS


def _column_positions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """Expressions a condition uses as columns: the left side of a SQL comparison
    (`User.age > 18`) and receivers of column-only methods (`User.id.in_(...)`). The right
    side of `==` is skipped, as it is often a value (`Post.status == Status.active`), and
    so is Python's `in`/`is`, which is what the rules using this want to judge."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Lambda):
            continue
        if isinstance(current, cst.Comparison) and all(
            isinstance(t.operator, SQL_COMPARISONS) for t in current.comparisons
        ):
            yield current.left
        elif isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and current.func.attr.value in _COLUMN_METHODS:
            yield current.func.value
        stack.extend(iter_children(current))


def _body(classdef: cst.ClassDef) -> Sequence[cst.CSTNode]:
    body = classdef.body
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else []


def _assigned_value(classdef: cst.ClassDef, name: str) -> Optional[cst.BaseExpression]:
    for statement in _body(classdef):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                ):
                    return small.value
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and small.target.value == name:
                    return small.value
    return None


def _assigns(classdef: cst.ClassDef, name: str) -> bool:
    return _assigned_value(classdef, name) is not None


def _has_table_keyword(classdef: cst.ClassDef) -> bool:
    return any(
        keyword.keyword is not None and keyword.keyword.value == "table"
        and isinstance(keyword.value, cst.Name) and keyword.value.value == "True"
        for keyword in classdef.keywords
    )


def _is_literal(node: Optional[cst.BaseExpression]) -> bool:
    if isinstance(node, (cst.BaseNumber, cst.BaseString, cst.Lambda)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return all(_is_literal(e.value) for e in node.elements if isinstance(e, cst.Element))
    return isinstance(node, cst.Dict)
