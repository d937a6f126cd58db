"""Python expressions over one row, rewritten as the SQL expression the database can evaluate.

`u.email == email` over rows of `select(User)` becomes `User.email == email`. Only what SQL
evaluates like Python is translated: row columns compared with constants, parameters or
local values (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is None`, `is not None`),
combined with `and`, `or`, `not`. Anything else returns None and the rules stay silent:

- a call anywhere (`is_valid(u.email)`, `u.name.lower()`, `re.match(...)`, `hash(...)`):
  Python functions the database does not have;
- a bare attribute as a truth value (`if u.is_active`): it may be a Python property, and
  a string's truthiness is not SQL's;
- an attribute of an attribute (`u.author.name`): a relationship, which needs a join;
- a value read from another loop's variable: the Python work is then per outer item, and
  a query per item would be worse (ORM304).
"""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Sequence

import libcst as cst

from ..semantic import SemanticModel
from ..semantic.rows import RowSource, names_in
from ..semantic.tree import iter_children

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_INVERTED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<",
             "in": "not in", "not in": "in", "is": "is not", "is not": "is"}
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide)
_CONSTANTS = frozenset({"None", "True", "False"})
# Nodes whose value can change between two evaluations, or that run Python code.
_NOT_A_VALUE = (cst.Call, cst.Lambda, cst.Await, cst.Yield, cst.NamedExpr, cst.ListComp,
                cst.SetComp, cst.DictComp, cst.GeneratorExp)


_OPERATORS = {
    cst.Equal: "==", cst.NotEqual: "!=", cst.LessThan: "<", cst.LessThanEqual: "<=",
    cst.GreaterThan: ">", cst.GreaterThanEqual: ">=", cst.In: "in", cst.NotIn: "not in",
    cst.Is: "is", cst.IsNot: "is not",
}


def operator_text(operator: cst.BaseCompOp) -> Optional[str]:
    return _OPERATORS.get(type(operator))


class RowExpressions:
    """Translate expressions over the row variable `row`, drawn from `source`.

    An attribute is a column only when the query says so: `select(User)` makes `u.email`
    the column `User.email`; `select(User.id, User.name)` makes `r.name` one, and `r.age`
    is then not a column. When the query's selection is unknown (a statement passed in,
    `text()`), nothing is translated.
    """

    def __init__(self, model: SemanticModel, row: str, source: RowSource,
                 outer: FrozenSet[str] = frozenset()) -> None:
        self.model = model
        self.row = row
        self.source = source
        # Variables of enclosing loops: a condition on them changes with every outer item.
        self.outer = outer

    # -- conditions -------------------------------------------------------------------------------
    def where(self, conditions: Sequence[cst.BaseExpression],
              negated: Sequence[cst.BaseExpression] = ()) -> Optional[List[str]]:
        """The arguments of one `.where(...)` keeping the rows for which every condition holds."""
        parts: List[str] = []
        for node in conditions:
            found = self.condition(node)
            if found is None:
                return None
            parts.extend(found)
        for node in negated:
            found = self.negation(node)
            if found is None:
                return None
            parts.append(found)
        return parts

    def condition(self, node: cst.BaseExpression) -> Optional[List[str]]:
        """`node` as SQL conjuncts (a chained `a < u.x < b` gives two), or None."""
        if isinstance(node, cst.BooleanOperation):
            left = self.condition(node.left)
            right = self.condition(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.operator, cst.And):
                return left + right
            return [f"or_({_joined(left)}, {_joined(right)})"]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            found = self.negation(node.expression)
            return [found] if found is not None else None
        if isinstance(node, cst.Comparison):
            parts = []
            left = node.left
            for target in node.comparisons:
                op = operator_text(target.operator)
                part = self._comparison(left, op, target.comparator) if op is not None else None
                if part is None:
                    return None
                parts.append(part)
                left = target.comparator
            return parts
        return None

    def negation(self, node: cst.BaseExpression) -> Optional[str]:
        """SQL keeping the rows for which `node` is false (`if u.x == 1: continue`)."""
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            op = operator_text(node.comparisons[0].operator)
            if op is not None:
                return self._comparison(node.left, _INVERTED[op], node.comparisons[0].comparator)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            found = self.condition(node.expression)
            return _joined(found) if found is not None else None
        found = self.condition(node)
        return f"not_({_joined(found)})" if found is not None else None

    def _comparison(self, left: cst.BaseExpression, op: str, right: cst.BaseExpression) -> Optional[str]:
        column = self.column(left)
        if column is None:
            other = self.column(right)
            value = self.value(left) if other is not None and op in _FLIPPED else None
            if value is None:
                return None  # `x in u.tags` is a collection test, not a column comparison
            return f"{other} {_FLIPPED[op]} {value}"
        value = self.column(right) or self.value(right)
        if value is None:
            return None
        if op in ("is", "is not") or (op in ("==", "!=") and value == "None"):
            if value not in _CONSTANTS:
                return None  # identity with an object: Python semantics, not SQL
            method = "is_" if op in ("is", "==") else "is_not"
            return f"{column}.{method}({value})"
        if op == "in":
            return f"{column}.in_({value})"
        if op == "not in":
            return f"{column}.not_in({value})"
        return f"{column} {op} {value}"

    # -- operands --------------------------------------------------------------------------------
    def column(self, node: cst.BaseExpression) -> Optional[str]:
        """`u.email` (or `row.User.email` on a `Row`) as the column it reads."""
        if not isinstance(node, cst.Attribute):
            return None
        owner = node.value
        if isinstance(owner, cst.Attribute) and owner.attr.value[:1].isupper() and self._is_row(owner.value):
            return f"{owner.attr.value}.{node.attr.value}"  # `row.User.email` on a Row of select(User)
        if not self._is_row(owner):
            return None
        return self.source.column(node.attr.value)

    def value(self, node: cst.BaseExpression) -> Optional[str]:
        """A constant, parameter or local value: the same for every row, so a bound parameter."""
        stack: List[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, _NOT_A_VALUE):
                return None
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
            elif isinstance(current, cst.FormattedString):
                return None  # keep messages short; f-strings are rare in conditions
            else:
                stack.extend(iter_children(current))
        mentioned = names_in(node)
        if self.row in mentioned or mentioned & self.outer:
            return None
        return self.model.source_of(node)

    def arithmetic(self, node: cst.BaseExpression) -> Optional[str]:
        """`u.price * u.quantity`: what `func.sum()`/`func.max()` can aggregate."""
        column = self.column(node)
        if column is not None:
            return column
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _ARITHMETIC):
            left = self.arithmetic(node.left)
            right = self.arithmetic(node.right)
            if left is None or right is None:
                return None
            symbol = self.model.module.code_for_node(node.operator).strip()
            text = f"{left} {symbol} {right}"
            return f"({text})" if node.lpar else text
        if isinstance(node, (cst.Integer, cst.Float)):
            return node.value
        return None

    def projection(self, node: cst.BaseExpression) -> bool:
        """The row itself or some of its columns: what a query can return as it is."""
        if isinstance(node, cst.Name):
            return node.value == self.row
        if isinstance(node, cst.Tuple):
            return all(self.projection(element.value) for element in node.elements)
        return self.column(node) is not None

    def _is_row(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.row


def sort_key(model: SemanticModel, key: cst.BaseExpression, source: RowSource,
             descending: bool) -> Optional[List[str]]:
    """`key=lambda u: u.created` or `key=attrgetter("created")` as `.order_by()` arguments."""
    columns: List[Optional[str]] = []
    if isinstance(key, cst.Lambda):
        params = key.params
        if (len(params.params) != 1 or params.posonly_params or params.kwonly_params
                or params.star_kwarg or params.params[0].default
                or not isinstance(params.star_arg, cst.MaybeSentinel)):
            return None
        row = RowExpressions(model, params.params[0].name.value, source)
        body = key.body
        elements = [e.value for e in body.elements] if isinstance(body, cst.Tuple) else [body]
        # A computed key (`u.name.lower()`) sorts unlike SQL collations: not translated.
        columns = [row.column(element) for element in elements]
    elif isinstance(key, cst.Call) and model.scopes.qualified_name(key.func) == "operator.attrgetter":
        for arg in key.args:
            name = arg.value.evaluated_value if isinstance(arg.value, cst.SimpleString) else None
            if arg.keyword is not None or not isinstance(name, str) or not name.isidentifier():
                return None  # `attrgetter("author.name")` follows a relationship
            columns.append(source.column(name))
    texts = [c for c in columns if c is not None]
    if not texts or len(texts) != len(columns):
        return None
    return [f"{c}.desc()" for c in texts] if descending else texts


def literal_bool(node: Optional[cst.BaseExpression]) -> Optional[bool]:
    """`True`/`False` written as such; None for anything computed."""
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _joined(parts: List[str]) -> str:
    return parts[0] if len(parts) == 1 else f"and_({', '.join(parts)})"
