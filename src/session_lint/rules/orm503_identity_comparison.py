from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import has_comment, is_expression, replace_node
from ..semantic.mapped import MappedClasses
from .orm5xx_filter_operators import FILTER_TOKENS, FilterConditions, code, receiver

_SINGLETONS = frozenset({"None", "True", "False"})


class IdentityComparisonInFilter(Rule):
    """`Model.col is None` (or `is not`, `is True`...) where SQLAlchemy expects a condition.

    `is` cannot be overloaded: Python answers it before SQLAlchemy sees anything. A column
    attribute is never the `None` object, so `is None` is the constant `False` (no rows)
    and `is not None` the constant `True` (no filtering). `.is_(None)` / `.is_not(None)`
    build `IS NULL` / `IS NOT NULL`.
    """

    code = "ORM503"
    name = "identity-comparison-in-filter"
    summary = "`is None` / `is not None` on a column inside `.where()`/`.filter()` is a Python constant, not `IS NULL`"
    tokens = FILTER_TOKENS
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        model = context.model
        mapped = model.get(MappedClasses)
        for node in model.get(FilterConditions).expressions():
            found = _identity_test(node, mapped)
            if found is None:
                continue
            column, other, negated = found
            method = "is_not" if negated else "is_"
            rewrite = f"{receiver(model, column)}.{method}({code(model, other)})"
            yield Finding(node, _message(code(model, node), other, negated, rewrite), f"write `{rewrite}`",
                          _fix(context, node, other, rewrite))


def _identity_test(node: cst.BaseExpression, mapped: MappedClasses
                   ) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression, bool]]:
    """(the SQL operand, the other operand, is it `is not`) for `col is x` / `x is col`."""
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return None
    target = node.comparisons[0]
    if not isinstance(target.operator, (cst.Is, cst.IsNot)):
        return None
    negated = isinstance(target.operator, cst.IsNot)
    if mapped.is_sql(node.left):
        return node.left, target.comparator, negated
    if mapped.is_sql(target.comparator):
        return target.comparator, node.left, negated
    return None


def _fix(context: RuleContext, node: cst.Comparison, other: cst.BaseExpression, rewrite: str) -> Optional[Fix]:
    """Safe against `None`/`True`/`False`: `IS NULL`, `IS true` are what `is` meant. Against
    anything else, `IS <value>` is rarely what was meant (`==` usually is): unsafe."""
    if not is_expression(rewrite):
        return None
    edit = replace_node(context.model, node, rewrite)
    singleton = isinstance(other, cst.Name) and other.value in _SINGLETONS
    if singleton and not has_comment(node):
        return Fix.safe(f"Replace with `{rewrite}`", edit)
    return Fix.unsafe(f"Replace with `{rewrite}`", edit)


def _message(source: str, other: cst.BaseExpression, negated: bool, rewrite: str) -> str:
    if isinstance(other, cst.Name) and other.value in _SINGLETONS:
        why = f"a SQL column expression is never the `{other.value}` object"
    else:
        why = "an identity test between a SQL column expression and another object"
    if negated:
        effect = "SQLAlchemy receives the constant `True` and the condition filters nothing"
    else:
        effect = "SQLAlchemy receives the constant `False` and the condition never matches"
    return (f"`{source}` is evaluated by Python to `{negated}` before SQLAlchemy sees it ({why}), "
            f"so {effect}; write `{rewrite}`")
