from __future__ import annotations

from itertools import chain
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic import SemanticModel
from ..semantic.rows import RowAnalysis, RowSource
from .orm30x_shapes import first_row, is_one_off_module, quote, reportable
from .orm30x_sql import literal_bool, sort_key

SORT_HINT = "an index can serve the order, and Python no longer sorts the whole list"
SLICE_HINT = "the database then sends only the rows you use"


class PythonSideSortOrSlice(Rule):
    """Rows loaded from the database and then sorted, sliced or indexed in Python.

    Flags `sorted(rows, key=...)` and `rows.sort(key=...)` whose key is one or more
    columns, and `rows[0]`, `rows[:n]`, `rows[m:n]` (and `rows[-1]` on an ordered query)
    on a list holding every row, when the query is not already limited and nothing else
    needs the full list. A query that is already ordered is left alone when sorted again:
    the second order is a deliberate choice.
    """

    code = "ORM302"
    name = "python-side-sort-or-slice"
    summary = "query rows loaded in full and then sorted, sliced or indexed in Python"
    tokens = ("query", "execute", "scalars")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_one_off_module(context):
            return
        model = context.model
        rows = model.get(RowAnalysis)
        calls = model.tree.of_type(cst.Call)
        yield from reportable(model, chain(
            (self._sorted(model, rows, call) or self._sort_in_place(model, rows, call)
             or self._page_sorted(model, rows, call) for call in calls),
            (self._slice(model, rows, subscript) for subscript in model.tree.of_type(cst.Subscript)),
        ))

    def _sorted(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        """`sorted(users, key=lambda u: u.created)`."""
        if model.scopes.qualified_name(call.func) != "builtins.sorted" or not call.args:
            return None
        source = rows.source(call.args[0].value) if call.args[0].keyword is None else None
        if source is not None and source.related is not None:
            return None  # a relationship's order is `relationship(order_by=...)`'s business
        key = _sort_key(model, call, source, positional=1)
        if source is None or key is None or not _worth_sorting(source):
            return None
        if not rows.loaded_only_for(source, call):
            return None
        limit = _slice_after(model, call, source)
        order = f"`.order_by({', '.join(key)})`"
        taken = f" and {limit}" if limit else ""
        return Finding(
            node=call,
            message=(f"every row of {quote(model, source.node)} is fetched and sorted in Python: "
                     f"order in the query with {order}{taken}"),
            hint=SLICE_HINT if limit else SORT_HINT,
        )

    def _page_sorted(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        """`sorted(page, key=...)` where `page` holds the rows of one page of a query that is
        cut (`.offset()`, `.slice()`, a helper's page) before it is ordered, or a list made
        from those rows one per row (`[to_dict(r) for r in page]`): Python then orders only
        the rows the database happened to put in the page, not the whole result."""
        if model.scopes.qualified_name(call.func) != "builtins.sorted" or not call.args \
                or call.args[0].keyword is not None or call.args[0].star:
            return None
        source = _page_rows(model, rows, call.args[0].value)
        if source is None:
            return None
        return Finding(
            node=call,
            message=(f"`sorted()` orders only the rows of one page ({quote(model, source.node)}): the query is "
                     f"cut to a page before any `.order_by()`, so which rows the page holds is the database's "
                     f"arbitrary choice; order the query first and page it after (`.order_by(...)` then "
                     f"`.offset()`/`.limit()`)"),
            hint="a page of an unordered query holds arbitrary rows; sorting them cannot give the page the user asked for",
        )

    def _sort_in_place(self, model: SemanticModel, rows: RowAnalysis, call: cst.Call) -> Optional[Finding]:
        """`users.sort(key=lambda u: u.created)` on a list of every row."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "sort" and isinstance(func.value, cst.Name)):
            return None
        source = rows.loaded_list(func.value)
        if source is not None and source.related is not None:
            return None
        key = _sort_key(model, call, source, positional=0)
        if source is None or key is None or not _worth_sorting(source):
            return None
        if not rows.reads_after_only(source, call):
            return None
        order = f"`.order_by({', '.join(key)})`"
        return Finding(
            node=call,
            message=(f"`{func.value.value}` holds every row of its query and is sorted in Python: "
                     f"order in the query with {order}"),
            hint=SORT_HINT,
        )

    def _slice(self, model: SemanticModel, rows: RowAnalysis, subscript: cst.Subscript) -> Optional[Finding]:
        """`users[0]`, `users[:10]` on a list of every row."""
        if _is_target(model, subscript):
            return None
        source = rows.loaded_list(subscript.value)
        if source is None or source.is_small or not source.selects_rows or source.related is not None:
            return None
        taken = _taking(model, subscript, source)
        # `total = len(rows)` beside the slice is a count ORM303 moves into its own query.
        if taken is None or not rows.loaded_only_for(source, subscript, also_allowed=rows.is_total):
            return None
        what, instead = taken
        return Finding(
            node=subscript,
            message=f"every row of {quote(model, source.node)} is fetched to use only {what}: {instead}",
            hint=SLICE_HINT,
        )


def _page_rows(model: SemanticModel, rows: RowAnalysis, node: cst.BaseExpression) -> Optional[RowSource]:
    """The rows of an unordered page that `node` holds: the rows themselves, or a list
    comprehension making one item per row of them (directly or through the local name it
    was assigned to, in straight-line code)."""
    source = rows.source(node)
    if source is None and isinstance(node, cst.Name):
        binding = rows.reaching_binding(node)
        node = binding.value if binding is not None and binding.value is not None else node
    if source is None and isinstance(node, cst.ListComp) and node.for_in.inner_for_in is None \
            and not node.for_in.ifs and node.for_in.asynchronous is None:
        source = rows.source(node.for_in.iter)
    if source is None or source.related is not None or not source.value.is_unordered_page:
        return None
    return source


def _sort_key(model: SemanticModel, call: cst.Call, source: Optional[RowSource],
              positional: int) -> Optional[List[str]]:
    """The `.order_by()` a `sort`/`sorted` call's `key=` and `reverse=` describe."""
    if source is None or len([a for a in call.args if a.keyword is None]) != positional:
        return None
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if set(keywords) - {"key", "reverse"} or "key" not in keywords:
        return None  # without a key Python compares whole rows, which SQL cannot mirror
    descending = literal_bool(keywords["reverse"]) if "reverse" in keywords else False
    if descending is None:
        return None
    return sort_key(model, keywords["key"], source, descending)


def _worth_sorting(source: RowSource) -> bool:
    return not source.is_small and not source.value.is_ordered


def _slice_after(model: SemanticModel, call: cst.Call, source: RowSource) -> Optional[str]:
    """`sorted(...)[:n]` or `sorted(...)[0]`: the limit to add to the ordered query."""
    parent = model.tree.parent_of(call)
    if isinstance(parent, cst.Subscript) and parent.value is call:
        return _slice_text(model, parent, source)
    return None


def _taking(model: SemanticModel, subscript: cst.Subscript, source: RowSource) -> Optional[Tuple[str, str]]:
    """(what the subscript uses, how to fetch only that)."""
    if len(subscript.slice) != 1:
        return None
    part = subscript.slice[0].slice
    if isinstance(part, cst.Index) and _is_minus_one(part.value) and source.value.is_ordered:
        return "the last row", f"reverse the `.order_by()` (`.desc()`) and use {first_row(source)}"
    taken = _slice_text(model, subscript, source)
    if taken is None:
        return None
    if isinstance(part, cst.Index):
        return "the first row", (f"use {taken} so the database sends one row "
                                 "(`.first()` returns None where `[0]` raises IndexError)")
    return "a slice", f"add {taken} to the query"


def _is_minus_one(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
            and isinstance(node.expression, cst.Integer) and node.expression.value == "1")


def _slice_text(model: SemanticModel, subscript: cst.Subscript, source: RowSource) -> Optional[str]:
    """`[:n]` -> `.limit(n)`, `[m:n]` -> `.offset(m).limit(n - m)`, `[0]` -> one row."""
    if len(subscript.slice) != 1:
        return None
    part = subscript.slice[0].slice
    if isinstance(part, cst.Index):
        index = part.value
        return first_row(source) if isinstance(index, cst.Integer) and index.value == "0" else None
    if part.step is not None or part.upper is None or not _is_plain(part.upper):
        return None
    upper = model.source_of(part.upper)
    if part.lower is None or (isinstance(part.lower, cst.Integer) and part.lower.value == "0"):
        return f"`.limit({upper})`"
    if not _is_plain(part.lower):
        return None
    lower = model.source_of(part.lower)
    if isinstance(part.lower, cst.Integer) and isinstance(part.upper, cst.Integer):
        count = str(int(part.upper.value, 0) - int(part.lower.value, 0))
    else:
        count = f"{upper} - {lower}"
    return f"`.offset({lower}).limit({count})`"


def _is_plain(node: cst.BaseExpression) -> bool:
    """A non-negative bound: a name or a number (negative bounds count from the end)."""
    if isinstance(node, cst.Integer):
        return True
    return isinstance(node, (cst.Name, cst.Attribute))


def _is_target(model: SemanticModel, subscript: cst.Subscript) -> bool:
    """`rows[0] = x` or `del rows[0]` changes the list instead of reading it."""
    parent = model.tree.parent_of(subscript)
    return isinstance(parent, (cst.AssignTarget, cst.Del)) or (
        isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is subscript)
