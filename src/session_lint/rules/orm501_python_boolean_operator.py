from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Iterator, List, Optional, Set, Tuple, Union

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import has_comment, import_edits, is_expression, replace_node
from ..semantic import SemanticModel
from ..semantic.mapped import ORM_ATTRIBUTE, SQL_COMPARISONS, MappedClasses
from .orm5xx_filter_operators import FILTER_TOKENS, FilterConditions, code, sql_function

_TYPE_ERROR = "`TypeError: Boolean value of this clause is not defined`"
_SEPARATE_ARGUMENTS = frozenset({"where", "filter", "having"})
_MESSAGE_REWRITE_LIMIT = 80
_QUOTE_LIMIT = 60

RAISES = "raises"
Truth = Union[bool, str, None]  # True, False, RAISES, or None when a Python value decides


class PythonBooleanOperatorInFilter(Rule):
    """`and` / `or` / `not` (or a chained comparison) applied to SQL expressions in a condition.

    Python's boolean operators call `bool()` on their operands. SQLAlchemy defines `bool()`
    only for `==` (false unless both sides are the same object) and `!=` (true), and raises
    `TypeError` for every other clause; a mapped attribute on its own is simply true. So
    `User.active == True and User.age > 18` silently becomes `WHERE active = true`, and
    `User.age > 18 and User.active` raises. A Python value tested first
    (`include_deleted or User.deleted_at.is_(None)`) is fine and not reported.
    """

    code = "ORM501"
    name = "python-boolean-operator-in-filter"
    summary = "`and`/`or`/`not` on SQL expressions inside `.where()`/`.filter()`: Python raises or drops a condition"
    tokens = FILTER_TOKENS
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        model = context.model
        mapped = model.get(MappedClasses)
        judge = _Evaluator(model, mapped)
        candidates = [n for n in model.get(FilterConditions).expressions() if _is_python_boolean(n)]
        broken = {id(n) for n in candidates if judge.tests_a_clause(n)}
        for node in candidates:
            if id(node) not in broken:
                continue
            if any(id(ancestor) in broken for ancestor in model.tree.ancestors(node)):
                continue  # the enclosing operator's finding (and rewrite) covers this one
            yield judge.finding(node)


def _is_python_boolean(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.BooleanOperation):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not)
    return isinstance(node, cst.Comparison) and len(node.comparisons) > 1


@dataclass(frozen=True)
class _Outcome:
    """What Python makes of a boolean expression before SQLAlchemy sees it."""

    result: Optional[cst.BaseExpression] = None  # the operand it hands over
    constant: Optional[bool] = None  # or the plain bool a `not` produced
    raised_by: Optional[cst.BaseExpression] = None  # or the clause whose bool() raised
    unknown: bool = False  # or a Python value decided, and we cannot tell which way
    reasons: Tuple[str, ...] = ()

    @property
    def final(self) -> bool:
        return self.raised_by is not None or self.unknown


class _Evaluator:
    def __init__(self, model: SemanticModel, mapped: MappedClasses) -> None:
        self.model = model
        self.mapped = mapped
        self._pair_cache: Dict[cst.Comparison, List[cst.Comparison]] = {}
        # The SQL functions the last rewrite spelled (`and_`, `or_`), for the import it needs.
        self._spelled: Set[str] = set()

    def _pairs(self, node: cst.Comparison) -> List[cst.Comparison]:
        """`a < b < c` as the comparisons Python runs, `a < b` and `b < c` (built once per
        chain, so the pairs keep their identity across questions)."""
        pairs = self._pair_cache.get(node)
        if pairs is None:
            pairs = []
            left = node.left
            for target in node.comparisons:
                pairs.append(cst.Comparison(left=left, comparisons=[target]))
                left = target.comparator
            self._pair_cache[node] = pairs
        return pairs

    # -- is it a bug? ----------------------------------------------------------------------------
    def tests_a_clause(self, node: cst.BaseExpression) -> bool:
        """Python calls `bool()` on a SQL expression here (a tested Python value is fine)."""
        if isinstance(node, cst.UnaryOperation):
            return self.mapped.is_sql(node.expression)
        if isinstance(node, cst.BooleanOperation):
            return self.mapped.is_sql(node.left)
        if isinstance(node, cst.Comparison):
            return any(self._is_sql_pair(pair) for pair in self._pairs(node)[:-1])
        return False

    def _is_sql_pair(self, pair: cst.Comparison) -> bool:
        return isinstance(pair.comparisons[0].operator, SQL_COMPARISONS) and self.mapped.is_sql(pair)

    # -- what Python does ----------------------------------------------------------------------
    def evaluate(self, node: cst.BaseExpression) -> _Outcome:
        if isinstance(node, cst.BooleanOperation):
            return self._short_circuit(node.left, [node.right], isinstance(node.operator, cst.And))
        if isinstance(node, cst.Comparison) and len(node.comparisons) > 1:
            pairs = self._pairs(node)
            return self._short_circuit(pairs[0], pairs[1:], True)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            truth, inner = self._truth(self.evaluate(node.expression))
            if not isinstance(truth, bool):
                return inner
            return _Outcome(constant=not truth, reasons=inner.reasons)
        return _Outcome(result=node)

    def _short_circuit(self, first: cst.BaseExpression, rest: List[cst.BaseExpression], is_and: bool) -> _Outcome:
        outcome = self.evaluate(first)
        reasons: Tuple[str, ...] = ()
        for following in rest:
            truth, outcome = self._truth(outcome)
            reasons += outcome.reasons
            if not isinstance(truth, bool) or truth is not is_and:
                return replace(outcome, reasons=reasons)  # `and` stops at false, `or` at true
            outcome = self.evaluate(following)
        return replace(outcome, reasons=reasons + outcome.reasons)

    def _truth(self, outcome: _Outcome) -> Tuple[Truth, _Outcome]:
        if outcome.final:
            return None, outcome
        if outcome.constant is not None:
            return outcome.constant, outcome
        assert outcome.result is not None
        truth, reason = self._leaf_truth(outcome.result)
        if truth == RAISES:
            return None, replace(outcome, raised_by=outcome.result)
        if truth is None:
            return None, replace(outcome, unknown=True)
        return truth, replace(outcome, reasons=outcome.reasons + (reason,))

    def _leaf_truth(self, node: cst.BaseExpression) -> Tuple[Truth, str]:
        """`bool()` of one operand, as SQLAlchemy 2.x defines it."""
        if not self.mapped.is_sql(node):
            return None, ""
        quoted = self._quote(node)
        if self.mapped.attribute_kind(node) == ORM_ATTRIBUTE:
            return True, f"Python treats `{quoted}` as true (a mapped attribute is an ordinary object)"
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            operator = node.comparisons[0].operator
            against_none = _is_none(node.left) or _is_none(node.comparisons[0].comparator)
            if isinstance(operator, cst.Equal) and not against_none:
                return False, (f"Python treats `{quoted}` as false (`bool()` of a `==` clause only "
                               "tells whether both sides are the same object)")
            if isinstance(operator, cst.NotEqual) and not against_none:
                return True, (f"Python treats `{quoted}` as true (`bool()` of a `!=` clause only "
                              "tells whether both sides are different objects)")
        if isinstance(node, cst.Comparison) and len(node.comparisons) > 1:
            outcome = self.evaluate(node)
            if outcome.raised_by is not None:
                return RAISES, ""
            return self._leaf_truth(outcome.result) if outcome.result is not None else (None, "")
        return RAISES, ""

    # -- the finding ---------------------------------------------------------------------------
    def finding(self, node: cst.BaseExpression) -> Finding:
        self._spelled = set()
        rewrite = self.rewrite(node)
        missing = [f for f in ("and_", "or_") if f in self._spelled and sql_function(self.model, f)[1]]
        hint = f"write `{rewrite}`"
        if missing:
            hint += f" (add `from sqlalchemy import {', '.join(missing)}`)"
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And) \
                and self._is_filter_argument(node):
            hint += ", or pass the conditions as separate arguments"
        suggestion = f"write `{rewrite}`" if len(rewrite) <= _MESSAGE_REWRITE_LIMIT else _short_suggestion(node)
        return Finding(node, f"{self._explain(node)}; {suggestion}", hint, self._fix(node, rewrite, missing))

    def _fix(self, node: cst.BaseExpression, rewrite: str, missing: List[str]) -> Optional[Fix]:
        """Safe: the rewrite builds the condition the author wrote, and the code as it is
        either raises or sends SQLAlchemy a constant or a single operand."""
        if not is_expression(rewrite):
            return None
        edits = (replace_node(self.model, node, rewrite),) + import_edits(self.model, "sqlalchemy", missing)
        shown = rewrite if len(rewrite) <= _MESSAGE_REWRITE_LIMIT else rewrite[: _MESSAGE_REWRITE_LIMIT - 3] + "..."
        if has_comment(node):
            return Fix.unsafe(f"Replace with `{shown}` (drops the comments inside the condition)", *edits)
        return Fix.safe(f"Replace with `{shown}`", *edits)

    def _explain(self, node: cst.BaseExpression) -> str:
        source = self._quote(node)
        outcome = self.evaluate(node)
        if isinstance(node, cst.UnaryOperation):
            lead = f"`{source}` is evaluated by Python before SQLAlchemy sees it"
            operator = "`not`"
        elif isinstance(node, cst.Comparison):
            pairs = " and ".join(self._quote(p) for p in self._pairs(node))
            lead = f"`{source}` is a chained comparison, which Python evaluates as `{pairs}`"
            operator = "`and`"
        else:
            lead = f"`{source}` is evaluated by Python, not SQL"
            operator = _operator_names(node)
        if outcome.raised_by is not None:
            return (f"{lead}: {operator} calls `bool()` on `{self._quote(outcome.raised_by)}` "
                    f"and SQLAlchemy raises {_TYPE_ERROR}")
        reasons = "; ".join(outcome.reasons)
        if outcome.constant is not None:
            effect = "filters nothing" if outcome.constant else "never matches"
            return (f"{lead}: {reasons}, so SQLAlchemy receives the constant `{outcome.constant}` "
                    f"and the condition {effect}")
        if outcome.result is not None and not outcome.unknown:
            dropped = [leaf for leaf in self._sql_leaves(node) if not self._within(leaf, outcome.result)]
            if dropped:
                names = ", ".join(f"`{self._quote(leaf)}`" for leaf in dropped)
                verb = "is" if len(dropped) == 1 else "are"
                return (f"{lead}: {reasons}, so {operator} returns `{self._quote(outcome.result)}` "
                        f"and {names} {verb} silently dropped")
        return (f"{lead}: {operator} calls `bool()` on SQL clauses, which raises {_TYPE_ERROR} "
                "for most clauses and silently keeps only one side of `==`/`!=` comparisons")

    def _sql_leaves(self, node: cst.BaseExpression) -> List[cst.BaseExpression]:
        if isinstance(node, cst.BooleanOperation):
            return self._sql_leaves(node.left) + self._sql_leaves(node.right)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return self._sql_leaves(node.expression)
        if isinstance(node, cst.Comparison) and len(node.comparisons) > 1:
            return [pair for pair in self._pairs(node) if self.mapped.is_sql(pair)]
        return [node] if self.mapped.is_sql(node) else []

    def _within(self, leaf: cst.BaseExpression, result: cst.BaseExpression) -> bool:
        if leaf is result:
            return True
        return self.model.tree.inside(leaf, result)

    def _quote(self, node: cst.BaseExpression) -> str:
        text = code(self.model, node)
        return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."

    def _is_filter_argument(self, node: cst.BaseExpression) -> bool:
        argument = self.model.tree.parent_of(node)
        call = self.model.tree.parent_of(argument) if isinstance(argument, cst.Arg) else None
        return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in _SEPARATE_ARGUMENTS)

    # -- the rewrite -----------------------------------------------------------------------------
    def rewrite(self, node: cst.BaseExpression) -> str:
        """The SQL spelling: `and_()`/`or_()` for `and`/`or`, `~` for `not` on SQL, `and_()`
        (or `.between()`) for a chained comparison; Python values are left as they are."""
        if isinstance(node, cst.BooleanOperation):
            is_and = isinstance(node.operator, cst.And)
            operands = _flatten(node, cst.And if is_and else cst.Or)
            inner = ", ".join(self.rewrite(operand) for operand in operands)
            return f"{self._spelling('and_' if is_and else 'or_')}({inner})"
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            operand = node.expression
            if not self.mapped.is_sql(operand):
                return code(self.model, node)
            text = self.rewrite(operand)
            atomic = isinstance(operand, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.BooleanOperation))
            return f"~{text}" if atomic else f"~({text})"
        if isinstance(node, cst.Comparison) and len(node.comparisons) > 1:
            between = self._between(node)
            if between is not None:
                return between
            pairs = ", ".join(code(self.model, pair) for pair in self._pairs(node))
            return f"{self._spelling('and_')}({pairs})"
        return code(self.model, node)

    def _between(self, node: cst.Comparison) -> Optional[str]:
        """`low <= X <= high` -> `X.between(low, high)` (BETWEEN includes both ends)."""
        if len(node.comparisons) != 2:
            return None
        first, second = node.comparisons
        middle = first.comparator
        if not self.mapped.is_sql(middle) or not isinstance(middle, (cst.Name, cst.Attribute, cst.Call)):
            return None
        if isinstance(first.operator, cst.LessThanEqual) and isinstance(second.operator, cst.LessThanEqual):
            low, high = node.left, second.comparator
        elif isinstance(first.operator, cst.GreaterThanEqual) and isinstance(second.operator, cst.GreaterThanEqual):
            low, high = second.comparator, node.left
        else:
            return None
        return f"{code(self.model, middle)}.between({code(self.model, low)}, {code(self.model, high)})"

    def _spelling(self, function: str) -> str:
        self._spelled.add(function)
        return sql_function(self.model, function)[0]


def _flatten(node: cst.BaseExpression, operator: type) -> List[cst.BaseExpression]:
    """`a and b and c` (left-nested) as [a, b, c]: `and_()`/`or_()` take any number of operands."""
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, operator):
        return _flatten(node.left, operator) + _flatten(node.right, operator)
    return [node]


def _operator_names(node: cst.BaseExpression) -> str:
    found: Set[str] = set()
    stack: List[cst.BaseExpression] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.BooleanOperation):
            found.add("and" if isinstance(current.operator, cst.And) else "or")
            stack.extend([current.left, current.right])
    return "/".join(f"`{name}`" for name in sorted(found))


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _short_suggestion(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.UnaryOperation):
        return "use `~` (or `not_()`) instead of `not`"
    return "write it with `and_()` / `or_()`"
