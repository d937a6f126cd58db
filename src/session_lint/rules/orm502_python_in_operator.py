from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import has_comment, is_expression, replace_node
from ..semantic import SemanticModel
from ..semantic.mapped import MappedClasses
from ..semantic.queries import STATEMENT, QueryValues
from .orm5xx_filter_operators import FILTER_TOKENS, FilterConditions, code, receiver
from ..semantic.nodes import method_name


_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class PythonInOperatorInFilter(Rule):
    """`Model.col in values` (or `not in`) where SQLAlchemy expects a condition.

    Python answers `in` itself: it compares the column with each element using `==`, and a
    `==` clause is false in Python, so the test is the constant `False` (`not in`: `True`).
    `Model.col.in_(values)` / `.not_in(values)` build `IN` / `NOT IN`.
    """

    code = "ORM502"
    name = "python-in-operator-in-filter"
    summary = "`col in values` inside `.where()`/`.filter()` is a Python constant, not SQL `IN`: use `.in_()`"
    tokens = FILTER_TOKENS
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        model = context.model
        mapped = model.get(MappedClasses)
        for node in model.get(FilterConditions).expressions():
            if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
                continue
            target = node.comparisons[0]
            if not isinstance(target.operator, (cst.In, cst.NotIn)):
                continue
            negated = isinstance(target.operator, cst.NotIn)
            source = code(model, node)
            if mapped.is_sql(target.comparator) and _statement_type(model, target.comparator) is None:
                yield _contains_finding(model, node, node.left, target.comparator, negated, source)
            elif mapped.is_sql(node.left):
                yield _membership_finding(model, node, node.left, target.comparator, negated, source)


def _membership_finding(model: SemanticModel, node: cst.Comparison, column: cst.BaseExpression,
                        values: cst.BaseExpression, negated: bool, source: str) -> Finding:
    """`User.id in ids`: the container's `__contains__` compares with `==`, which is falsy."""
    method = "not_in" if negated else "in_"
    rewrite = f"{receiver(model, column)}.{method}({_sequence(model, values)})"
    hint = f"write `{rewrite}`"
    failure = _type_error(model, values)
    guessed = False
    if isinstance(values, _STRINGS):
        # `User.status in ("active")` is a string in parentheses, not a one-element tuple.
        rewrite = f"{receiver(model, column)}.{method}([{code(model, values)}])"
        hint = f"write `{rewrite}` (a string in parentheses is not a tuple), or list the allowed values"
        guessed = True  # maybe a one-element tuple was meant, maybe a list of several values
    if failure is not None:
        message = f"`{source}` is evaluated by Python before SQLAlchemy sees it and raises {failure}; write `{rewrite}`"
    else:
        effect = ("SQLAlchemy receives the constant `True` and the condition filters nothing" if negated
                  else "SQLAlchemy receives the constant `False` and the condition never matches")
        message = (f"`{source}` is evaluated by Python before SQLAlchemy sees it: `in` compares "
                   f"`{code(model, column)}` with each element using `==`, and Python treats a `==` "
                   f"clause as false, so {effect}; write `{rewrite}`")
    return Finding(node, message, hint, _fix(model, node, rewrite, guessed))


def _contains_finding(model: SemanticModel, node: cst.Comparison, item: cst.BaseExpression,
                      column: cst.BaseExpression, negated: bool, source: str) -> Finding:
    """`"admin" in User.roles`: Python calls the column's `__contains__`, which SQLAlchemy refuses."""
    rewrite = f"{'~' if negated else ''}{receiver(model, column)}.contains({code(model, item)})"
    message = (f"`{source}` makes Python call `__contains__` on a SQL column expression, which raises "
               "`NotImplementedError: Operator 'contains' is not supported on this expression`; "
               f"for a substring (LIKE) or PostgreSQL array containment write `{rewrite}`")
    # Unsafe: LIKE for a string column, but an ARRAY column wants a list, not one item.
    return Finding(node, message, f"write `{rewrite}` (for an ARRAY column, pass a list)",
                   _fix(model, node, rewrite, guessed=True))


def _fix(model: SemanticModel, node: cst.Comparison, rewrite: str, guessed: bool) -> Optional[Fix]:
    if not is_expression(rewrite):
        return None
    edit = replace_node(model, node, rewrite)
    if guessed or has_comment(node):
        return Fix.unsafe(f"Replace with `{rewrite}`", edit)
    return Fix.safe(f"Replace with `{rewrite}`", edit)


def _sequence(model: SemanticModel, values: cst.BaseExpression) -> str:
    """`ids` as is; a tuple literal as a list, so `in ("a", "b")` reads `.in_(["a", "b"])`."""
    text = code(model, values)
    if isinstance(values, cst.Tuple) and text.startswith("(") and text.endswith(")"):
        return f"[{text[1:-1]}]"
    return text


def _type_error(model: SemanticModel, values: cst.BaseExpression) -> Optional[str]:
    """What Python raises before comparing anything, for containers that cannot hold a column."""
    if isinstance(values, _STRINGS):
        return "`TypeError: 'in <string>' requires string as left operand`"
    statement = _statement_type(model, values)
    if statement is not None:
        return f"`TypeError: argument of type '{statement}' is not iterable`"
    return None


def _statement_type(model: SemanticModel, node: cst.BaseExpression) -> Optional[str]:
    """'Select' for a `select()` statement, 'Subquery' for `.subquery()`: not containers."""
    if method_name(node) == "subquery":
        return "Subquery"
    return "Select" if model.get(QueryValues).kind_of(node) == STATEMENT else None
