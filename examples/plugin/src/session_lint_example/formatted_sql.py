"""XMP101: SQL text built from Python values with string formatting, run by a session."""
from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from session_lint import Finding, Rule, RuleContext, SemanticModel

TEXT_FUNCTIONS = frozenset({
    "sqlalchemy.text",
    "sqlalchemy.sql.text",
    "sqlalchemy.sql.expression.text",
})
# Session methods that run a statement given as their first argument.
RUNNING_METHODS = frozenset({"execute", "scalar", "scalars"})
# `stmt = text(sql)` then `session.execute(stmt)`: how many such local names we look through.
MAX_INDIRECTIONS = 3

STRING_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class FormattedSqlText(Rule):
    """`session.execute(text(sql))` where `sql` is built with an f-string, `%`, `+` or `.format()`.

    Only calls on a proven session are checked (`context.model.sessions.session_of`), so
    `cursor.execute(...)` or a class of your own with an `execute()` method is left alone.
    """

    code = "XMP101"
    name = "formatted-sql-text"
    summary = "SQL text run by a session is built with an f-string, `%`, `+` or `.format()` (SQL injection)"
    # A session runs SQL only through these calls: files without any are never parsed.
    tokens = (".execute(", ".scalar(", ".scalars(")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        model = context.model
        for call in model.tree.of_type(cst.Call):
            func = call.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in RUNNING_METHODS and call.args):
                continue
            session = model.sessions.session_of(func.value)
            if session is None:
                continue
            sql = _sql_of(call.args[0].value, model)
            how = _how_built(sql) if sql is not None else None
            if sql is None or how is None:
                continue
            yield Finding(
                node=sql,
                message=(
                    f"the SQL text run by `{session.label}.{func.attr.value}()` is built with {how}: "
                    "a value pasted into SQL can change the statement (SQL injection)"
                ),
                hint='use bound parameters: `text("... WHERE name = :name")` and pass `{"name": name}` to '
                f"`{session.label}.{func.attr.value}()`",
            )


def _sql_of(statement: cst.BaseExpression, model: SemanticModel) -> Optional[cst.BaseExpression]:
    """The SQL string expression given to `text()`, if `statement` is (or names) a `text()` call."""
    statement = _through_names(statement, model)
    if not isinstance(statement, cst.Call) or not statement.args:
        return None
    if model.scopes.qualified_name(statement.func) not in TEXT_FUNCTIONS:
        return None
    return _through_names(statement.args[0].value, model)


def _through_names(expression: cst.BaseExpression, model: SemanticModel) -> cst.BaseExpression:
    """Follow a local name to the one value ever assigned to it (`sql = f"..."`)."""
    for _ in range(MAX_INDIRECTIONS):
        if not isinstance(expression, cst.Name):
            break
        _, bindings = model.scopes.bindings_of(expression)
        # Several assignments (or a parameter): which one reaches the call is not certain.
        if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
            break
        expression = bindings[0].value
    return expression


def _how_built(sql: cst.BaseExpression) -> Optional[str]:
    if _is_fstring_with_values(sql):
        return "an f-string"
    if isinstance(sql, cst.BinaryOperation):
        if isinstance(sql.operator, cst.Modulo) and isinstance(sql.left, STRING_LITERALS):
            return "`%` formatting"
        if isinstance(sql.operator, cst.Add) and _has_string_literal(sql) and not _is_literal_only(sql):
            return "`+` concatenation"
    if (isinstance(sql, cst.Call) and isinstance(sql.func, cst.Attribute)
            and sql.func.attr.value == "format" and isinstance(sql.func.value, STRING_LITERALS)):
        return "`.format()`"
    return None


def _is_fstring_with_values(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringExpression) for part in node.parts)
    if isinstance(node, cst.ConcatenatedString):
        return _is_fstring_with_values(node.left) or _is_fstring_with_values(node.right)
    return False


def _has_string_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, STRING_LITERALS):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _has_string_literal(node.left) or _has_string_literal(node.right)
    return False


def _is_literal_only(node: cst.BaseExpression) -> bool:
    """`"SELECT ..." + "FROM t"`: split for line length, nothing pasted in."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _is_literal_only(node.left) and _is_literal_only(node.right)
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) and not _is_fstring_with_values(node)
