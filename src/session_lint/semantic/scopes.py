"""Scopes and bindings, in the spirit of pyflakes' checker: who binds each name, and how.

Only what the rules need is recorded: for every scope, each name's binding sites with the
value assigned when it is a plain `name = value`, the item of a `with ... as name`, the
iterable of a `for name in ...`, parameters with their annotation, and imports with the
qualified name they bring in.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from .tree import TreeIndex

SCOPE_TYPES: Tuple[type, ...] = (
    cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda,
    cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
)
_BUILTINS = frozenset(dir(builtins))


class BindingKind(str, Enum):
    """How a name is bound (equal to its string value, so `binding.kind == "assign"` reads
    the same in plugin rules)."""

    IMPORT = "import"  # `import a.b`, `from a import b as c`: `qualified` is the full name
    PARAM = "param"  # a parameter: `annotation` and default `value`
    ASSIGN = "assign"  # `name = value`, one target name
    ANNASSIGN = "annassign"  # `name: T = value` (value may be None)
    AUGASSIGN = "augassign"  # `name += value`
    UNPACK = "unpack"  # an element of `a, b = value`
    FOR = "for"  # a `for` loop target: `value` is the iterable
    WITH = "with"  # `with item as name`: `value` is the item, `statement` the With
    WALRUS = "walrus"  # `(name := value)`
    DEF = "def"  # a function definition
    CLASS = "class"  # a class definition
    EXCEPT = "except"  # `except E as name`
    COMPREHENSION = "comprehension"  # a comprehension's target: `value` is the iterable
    OTHER = "other"  # `global`/`nonlocal`, `del`, match captures, type parameters


# Kinds whose `value` is exactly what the name holds afterwards.
VALUE_KINDS = frozenset({BindingKind.ASSIGN, BindingKind.ANNASSIGN})


@dataclass
class Binding:
    name: str
    kind: BindingKind
    node: cst.CSTNode = field(repr=False)
    scope: "Scope" = field(repr=False)
    value: Optional[cst.BaseExpression] = field(default=None, repr=False)
    annotation: Optional[cst.BaseExpression] = field(default=None, repr=False)
    # For imports: the dotted name brought in ("sqlalchemy.orm.Session"), and for relative
    # imports the module text and level so the project index can find the file.
    qualified: Optional[str] = None
    module: Optional[str] = None
    level: int = 0
    imported: Optional[str] = None
    # For `with` bindings: the With statement.
    statement: Optional[cst.CSTNode] = field(default=None, repr=False)


@dataclass
class Scope:
    kind: str  # module | class | function | lambda | comprehension
    node: cst.CSTNode = field(repr=False)
    parent: Optional["Scope"] = field(repr=False)
    bindings: Dict[str, List[Binding]] = field(default_factory=dict, repr=False)
    global_names: set = field(default_factory=set)
    nonlocal_names: set = field(default_factory=set)

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, cst.FunctionDef) and self.node.asynchronous is not None


def _scope_kind(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Module):
        return "module"
    if isinstance(node, cst.ClassDef):
        return "class"
    if isinstance(node, cst.FunctionDef):
        return "function"
    if isinstance(node, cst.Lambda):
        return "lambda"
    return "comprehension"


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: List[str] = []
    current: cst.BaseExpression = node
    while isinstance(current, cst.Attribute):
        parts.append(current.attr.value)
        current = current.value
    if isinstance(current, cst.Name):
        parts.append(current.value)
        return ".".join(reversed(parts))
    return None


def _module_text(node: Optional[Union[cst.Attribute, cst.Name]]) -> str:
    return dotted_name(node) or "" if node is not None else ""


class ScopeAnalysis:
    def __init__(self, tree: TreeIndex) -> None:
        self.tree = tree
        self.scopes: Dict[cst.CSTNode, Scope] = {}
        self.module_scope = self._scope_for(tree.module, None)
        self._collect()

    # -- building -------------------------------------------------------------------------
    def _scope_for(self, node: cst.CSTNode, parent: Optional[Scope]) -> Scope:
        scope = Scope(_scope_kind(node), node, parent)
        self.scopes[node] = scope
        return scope

    def scope_of(self, node: cst.CSTNode) -> Scope:
        """The scope a node is evaluated in."""
        for ancestor in self.tree.ancestors(node):
            scope = self.scopes.get(ancestor)
            if scope is not None:
                return scope
        return self.module_scope

    def _collect(self) -> None:
        tree = self.tree
        # Scopes first, in source order, so parents exist before children.
        for node in _preorder_scopes(tree):
            self._scope_for(node, self.scope_of(node))
        # Before any binding: an assignment to a `global` name binds it in the module.
        for node in tree.of_type(cst.Global):
            scope = self.scope_of(node)
            scope.global_names.update(item.name.value for item in node.names)
        for node in tree.of_type(cst.Nonlocal):
            scope = self.scope_of(node)
            scope.nonlocal_names.update(item.name.value for item in node.names)
        for node in tree.of_type(cst.Import):
            self._bind_import(node)
        for node in tree.of_type(cst.ImportFrom):
            self._bind_import_from(node)
        for node in tree.of_type(cst.Assign):
            for target in node.targets:
                self._bind_target(target.target, node, BindingKind.ASSIGN, node.value)
        for node in tree.of_type(cst.AnnAssign):
            scope = self.scope_of(node)
            if isinstance(node.target, cst.Name):
                scope.add(Binding(node.target.value, BindingKind.ANNASSIGN, node, scope, node.value,
                                  annotation=node.annotation.annotation))
        for node in tree.of_type(cst.AugAssign):
            self._bind_target(node.target, node, BindingKind.AUGASSIGN, None)
        for node in tree.of_type(cst.For):
            self._bind_target(node.target, node, BindingKind.FOR, node.iter)
        for node in tree.of_type(cst.With):
            for item in node.items:
                if item.asname is not None:
                    self._bind_target(item.asname.name, node, BindingKind.WITH, item.item, statement=node)
        for node in tree.of_type(cst.NamedExpr):
            scope = self.scope_of(node)
            while scope.kind == "comprehension" and scope.parent is not None:
                scope = scope.parent
            if isinstance(node.target, cst.Name):
                scope.add(Binding(node.target.value, BindingKind.WALRUS, node, scope, node.value))
        for node in tree.of_type(cst.FunctionDef):
            self._bind_def(node)
        for node in tree.of_type(cst.ClassDef):
            scope = self.scope_of(node)
            scope.add(Binding(node.name.value, BindingKind.CLASS, node, scope))
        for node in tree.of_type(cst.ExceptHandler):
            if node.name is not None and isinstance(node.name.name, cst.Name):
                scope = self.scope_of(node)
                scope.add(Binding(node.name.name.value, BindingKind.EXCEPT, node, scope))
        for node in tree.of_type(cst.CompFor):
            self._bind_target(node.target, node, BindingKind.COMPREHENSION, node.iter)
        for node in tree.of_type(cst.MatchAs):
            if node.name is not None:
                scope = self.scope_of(node)
                scope.add(Binding(node.name.value, BindingKind.OTHER, node, scope))
        for node in tree.of_type(cst.Lambda):
            scope = self.scopes[node]
            for param in _all_params(node.params):
                scope.add(Binding(param.name.value, BindingKind.PARAM, param, scope))

    def _bind_def(self, node: cst.FunctionDef) -> None:
        outer = self.scope_of(node)
        outer.add(Binding(node.name.value, BindingKind.DEF, node, outer))
        inner = self.scopes[node]
        for param in _all_params(node.params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            inner.add(Binding(param.name.value, BindingKind.PARAM, param, inner, param.default,
                              annotation=annotation))

    def _bind_target(self, target: cst.CSTNode, site: cst.CSTNode, kind: BindingKind,
                     value: Optional[cst.BaseExpression], statement: Optional[cst.CSTNode] = None) -> None:
        scope = self.scope_of(site) if kind != "comprehension" else self.scope_of(target)
        if isinstance(target, cst.Name):
            if target.value in scope.global_names:
                scope = self.module_scope
            scope.add(Binding(target.value, kind, site, scope, value, statement=statement))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                self._bind_target(inner, site, BindingKind.UNPACK if kind != BindingKind.FOR else BindingKind.FOR, None, statement)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, site, kind, None, statement)

    def _bind_import(self, node: cst.Import) -> None:
        scope = self.scope_of(node)
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                scope.add(Binding(local, BindingKind.IMPORT, alias, scope, qualified=full))
            else:
                # `import a.b` binds `a`, whose attributes are then followed by dotted lookups.
                head = full.split(".")[0]
                scope.add(Binding(head, BindingKind.IMPORT, alias, scope, qualified=head))

    def _bind_import_from(self, node: cst.ImportFrom) -> None:
        scope = self.scope_of(node)
        if isinstance(node.names, cst.ImportStar):
            return
        module = _module_text(node.module)
        level = len(node.relative)
        for alias in node.names:
            imported = dotted_name(alias.name) or ""
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            qualified = f"{module}.{imported}" if module and level == 0 else None
            scope.add(Binding(local, BindingKind.IMPORT, alias, scope, qualified=qualified,
                              module=module, level=level, imported=imported))

    # -- lookups --------------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> Tuple[Optional[Scope], Sequence[Binding]]:
        """The scope that binds `name` as seen from `scope` (LEGB), and its bindings there."""
        current: Optional[Scope] = scope
        first = True
        while current is not None:
            if name in current.global_names:
                return self.module_scope, self.module_scope.bindings.get(name, ())
            # Class bodies are not visible from the functions nested in them.
            if current.kind != "class" or first:
                bindings = current.bindings.get(name)
                if bindings and name not in current.nonlocal_names:
                    return current, bindings
            first = False
            current = current.parent
        return None, ()

    def single_value(self, name: cst.Name) -> Optional[cst.BaseExpression]:
        """What `name` holds when its only binding in its scope is one plain assignment
        (`name = value`, `name: T = value`); None otherwise."""
        _, bindings = self.bindings_of(name)
        if len(bindings) == 1 and bindings[0].kind in VALUE_KINDS:
            return bindings[0].value
        return None

    def bindings_of(self, node: cst.Name) -> Tuple[Optional[Scope], Sequence[Binding]]:
        return self.lookup(node.value, self.scope_of(node))

    def qualified_name(self, node: cst.BaseExpression) -> Optional[str]:
        """The dotted name an expression refers to through imports (`sa.orm.Session` -> ...)."""
        parts: List[str] = []
        current = node
        while isinstance(current, cst.Attribute):
            parts.append(current.attr.value)
            current = current.value
        if not isinstance(current, cst.Name):
            return None
        scope, bindings = self.bindings_of(current)
        if not bindings:
            head = f"builtins.{current.value}" if current.value in _BUILTINS else None
        else:
            if any(b.kind != "import" for b in bindings):
                return None
            imports = {b.qualified for b in bindings}
            if len(imports) != 1:
                return None
            head = imports.pop()
        if head is None:
            return None
        return ".".join([head, *reversed(parts)])

    def import_binding(self, node: cst.BaseExpression) -> Optional[Binding]:
        """The single import binding behind a name, if that is all the name ever is."""
        if not isinstance(node, cst.Name):
            return None
        _, bindings = self.bindings_of(node)
        if len(bindings) == 1 and bindings[0].kind == "import":
            return bindings[0]
        return None


def receiver_method(binding: Binding) -> Optional[Tuple[cst.FunctionDef, cst.ClassDef]]:
    """`self`/`cls`: the binding is the first positional parameter of a function written
    directly in a class body; that method and its class. Decorators are the caller's question
    (a staticmethod has no receiver, a classmethod's receives the class)."""
    method, owner = binding.scope.node, binding.scope.parent
    if binding.kind != "param" or not isinstance(method, cst.FunctionDef) \
            or owner is None or not isinstance(owner.node, cst.ClassDef):
        return None
    params = [*method.params.posonly_params, *method.params.params]
    if not params or params[0] is not binding.node:
        return None
    return method, owner.node


def _all_params(params: cst.Parameters) -> List[cst.Param]:
    result = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        result.append(params.star_arg)
    if params.star_kwarg is not None:
        result.append(params.star_kwarg)
    return result


def _preorder_scopes(tree: TreeIndex) -> List[cst.CSTNode]:
    nodes: List[cst.CSTNode] = []
    for node_type in SCOPE_TYPES[1:]:
        nodes.extend(tree.of_type(node_type))
    # Parents before children: sort by depth.
    depth: Dict[cst.CSTNode, int] = {}

    def depth_of(node: cst.CSTNode) -> int:
        if node not in depth:
            depth[node] = sum(1 for _ in tree.ancestors(node))
        return depth[node]

    nodes.sort(key=depth_of)
    return nodes
