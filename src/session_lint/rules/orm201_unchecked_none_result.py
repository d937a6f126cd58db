from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from ..fixes import Fix
from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..rule_fixes import replace_node
from ..semantic import SemanticModel
from ..semantic.migrations import is_migration_code
from ..semantic.narrowing import ITERATION, UNPACKING
from ..semantic.none_results import FirstUse, NoneResults
from ..semantic.queries import QUERY, QueryValue, QueryValues
from ..semantic.testcode import in_test_code, is_test_file


class UncheckedNoneResult(Rule):
    """A query result that is None when no row matches, dereferenced without a check.

    `.first()`, `Session.get()`, `.one_or_none()`, `.scalar_one_or_none()`, `.scalar()` (of
    a `Result`, a `ScalarResult`, a legacy or Flask-SQLAlchemy `Query`, or a session)
    return None when nothing matches. Reported once per call, when its value reaches an
    attribute, a subscript, a call, iteration, unpacking or arithmetic on some path before
    a None check: used right away (`session.get(User, id).name`), or through a local name
    (`user = ...first()` then `user.email`).

    Silent when every path checks first (`if user is None: return`, `if user:`,
    `assert user`, `user and user.email`, a walrus, `user = user or default`, a call that
    never returns such as `abort(404)`), when the value is only compared, returned, passed
    on or stored, for `.one()` / `.scalar_one()` / `.first_or_404()`, for statements that
    always return one row (aggregates without GROUP BY, `.scalar()` of `count()`), for
    `.first()` on anything that is not provably a query, and when the code has just made sure
    the row is there (it stored the row itself, or re-reads it after get-or-create), when
    the project shows the row exists (a flush listener's NOT NULL key, a key every caller
    reads off a row of that class), and in
    test code and migration code (Alembic revisions, files under `migrations/` or `alembic/`).
    """

    code = "ORM201"
    name = "unchecked-none-result"
    summary = "`.first()`/`.get()`/`.one_or_none()`/`.scalar()` can be None and the result is used without a check"
    tokens = ("first", "get", "one_or_none", "scalar", "fetchone")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_test_file(context.filename, context.settings.root):
            return  # a test that reads a missing row fails, which is what a test is for
        model = context.model
        if is_migration_code(model.tree.module, context.filename, context.settings.root):
            # A data migration walks rows the earlier revisions wrote; on data it does not
            # expect, stopping (and leaving the database at the previous revision) is right.
            return
        for call, use in model.get(NoneResults).unchecked(skip=lambda call: in_test_code(model, call)):
            yield self.finding(call, use, context)

    def finding(self, call: cst.Call, use: FirstUse, context: RuleContext) -> Finding:
        model = context.model
        value = model.get(QueryValues).value_of(call)
        assert value is not None
        if value.methods[-1:] == ("helper",):
            return self._helper_finding(call, use, context)
        assert isinstance(call.func, cst.Attribute)
        return Finding(
            node=call.func.attr,
            message=f"`{_label(model, call)}` returns None when no row matches, and "
                    f"{_describe(model, call, use)} on line {model.line_of(use.node)} "
                    "uses the result without a None check",
            hint=f"check for None first (`if {use.subject} is None: ...`), or use "
                 f"{_strict_alternative(model, call, value)} when a missing row is an error",
            fix=_strict_fix(model, call, value),
        )


    def _helper_finding(self, call: cst.Call, use: FirstUse, context: RuleContext) -> Finding:
        """`item = get_by_name(session, name)` where the project's `get_by_name` returns a
        query result that is None when no row matches."""
        model = context.model
        helper = model.source_of(call.func)
        node = call.func.attr if isinstance(call.func, cst.Attribute) else call.func
        return Finding(
            node=node,
            message=f"`{helper}()` returns None when no row matches (it returns a `.first()`-style "
                    f"query result), and {_describe(model, call, use)} on line {model.line_of(use.node)} "
                    "uses the result without a None check",
            hint=f"check for None first (`if {use.subject} is None: ...`), or make `{helper}()` raise "
                 "when the row is missing (`.one()`, `.scalar_one()`, `session.get_one()`)",
        )


# -- message parts ------------------------------------------------------------------------------
def _label(model: SemanticModel, call: cst.Call) -> str:
    """`session.get()`, `db.session.get()`, `User.query.get()`, `.first()`, `get_by_name()`."""
    func = call.func
    value = model.get(QueryValues).value_of(call)
    if not isinstance(func, cst.Attribute) or value is not None and value.methods[-1:] == ("helper",):
        return f"{model.source_of(func)}()"  # a project helper that returns the row
    method = func.attr.value
    receiver = func.value
    if model.sessions.session_of(receiver) is not None:
        return f"{model.source_of(receiver)}.{method}()"
    if isinstance(receiver, cst.Attribute) and receiver.attr.value == "query" and isinstance(receiver.value, cst.Name):
        return f"{model.source_of(receiver)}.{method}()"
    return f".{method}()"


def _describe(model: SemanticModel, call: cst.Call, use: FirstUse) -> str:
    """`user.email`, `.first().email`, `row[0]`, `user.save(...)`, iterating over `rows`."""
    value = use.value.value if isinstance(use.value, cst.Name) else _label(model, call)
    node = use.node
    if use.kind == ITERATION:
        if isinstance(node, cst.Call):  # `dict(row)`, `len(rows)`: the builtin raises TypeError
            return f"`{model.source_of(node.func)}({value})`"
        return f"iterating over `{value}`"
    if use.kind == UNPACKING:
        return f"unpacking `{value}`"
    if isinstance(node, cst.Attribute):
        parent = model.tree.parent_of(node)
        called = isinstance(parent, cst.Call) and parent.func is node
        arguments = ("(...)" if parent.args else "()") if called else ""  # type: ignore[union-attr]
        return f"`{value}.{node.attr.value}{arguments}`"
    if isinstance(node, cst.Subscript):
        index = ", ".join(model.source_of(element.slice) for element in node.slice)
        return f"`{value}[{_shorten(index)}]`"
    if isinstance(node, cst.Call):
        return f"`{value}(...)`" if node.args else f"`{value}()`"
    text = model.source_of(node)
    if not isinstance(use.value, cst.Name):
        text = text.replace(model.source_of(use.value), value)  # `total += session.scalar()`
    return f"`{_shorten(text)}`"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _strict_fix(model: SemanticModel, call: cst.Call, value: QueryValue) -> Optional[Fix]:
    """Renaming the method to the strict one the hint names, where the hint is exactly that.
    Unsafe: the program then raises on a missing row (instead of the AttributeError it
    raises now), and `.one()` / `.scalar_one()` also raise when several rows match."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    method = func.attr.value
    strict = _STRICT_METHODS.get(method)
    if strict is None or _strict_alternative(model, call, value) not in (f"`.{strict}()`", _FLASK_ONE) \
            and not (method == "get" and model.sessions.session_of(func.value) is not None):
        return None
    raises = "`NoResultFound` when no row matches"
    if strict != "get_one":
        raises += " and `MultipleResultsFound` when several do"
    return Fix.unsafe(f"Use `.{strict}()`: raises {raises}", replace_node(model, func.attr, strict))


# The strict spelling of each None-returning method, where it is a mere rename.
_STRICT_METHODS = {"get": "get_one", "first": "one", "one_or_none": "one", "scalar_one_or_none": "scalar_one",
                   "scalar": "scalar_one", "fetchone": "one"}
_FLASK_ONE = "`.one()` (or `.first_or_404()` in a view)"


def _strict_alternative(model: SemanticModel, call: cst.Call, value: QueryValue) -> str:
    """The spelling that raises instead of returning None."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    method = func.attr.value
    queries = model.get(QueryValues)
    session = model.sessions.session_of(func.value)
    legacy = queries.kind_of(func.value) == QUERY
    flask = isinstance(value.root, cst.Attribute) and queries.uses_flask_sqlalchemy()
    if method == "get":
        if session is not None:
            return f"`{session.label}.get_one()`"
        return "`.get_or_404()` (in a view)" if flask else "`session.get_one()`"
    if method == "scalar" and session is not None:
        return f"`{session.label}.execute(...).scalar_one()`"
    if method in ("scalar", "scalar_one_or_none") and not legacy:
        return "`.scalar_one()`"
    if method == "first" and flask:
        return "`.one()` (or `.first_or_404()` in a view)"
    return "`.one()`"
