"""Rewrites shared by ORM501-ORM503: how a condition's source is quoted and what replaces it.

Every finding of these rules is reported at the operator expression itself, and the hint is
the exact text that replaces it, so an autofix can swap the node's range for the hint.
Where conditions are is `semantic.filters.FilterConditions`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, List, Optional, Tuple

import libcst as cst

from ..semantic.filters import FILTER_TOKENS, FilterConditions

if TYPE_CHECKING:
    from ..semantic import SemanticModel

__all__ = ["FILTER_TOKENS", "FilterConditions", "code", "receiver", "sql_function"]
_FOLDED_LINES = re.compile(r"[ \t]*\n\s*")


# -- rewrites ------------------------------------------------------------------------------------
def code(model: "SemanticModel", node: cst.CSTNode) -> str:
    """The source of `node` without its own parentheses, on one line, without comments."""
    if isinstance(node, cst.BaseExpression) and node.lpar and not isinstance(node, (cst.Tuple, cst.GeneratorExp)):
        node = node.with_changes(lpar=(), rpar=())
    text = model.module.code_for_node(node)
    if "\n" in text:
        if "#" in text:
            text = model.module.code_for_node(node.visit(_WithoutComments()))
        text = _FOLDED_LINES.sub(" ", text)
    return text.strip()


class _WithoutComments(cst.CSTTransformer):
    """A condition written over several lines may carry comments; a one-line quote cannot."""

    def leave_Comment(self, original_node: cst.Comment, updated_node: cst.Comment):
        return cst.RemoveFromParent()


def receiver(model: "SemanticModel", node: cst.BaseExpression) -> str:
    """`node`'s source as the receiver of a method call: `User.id`, `(User.age + 1)`."""
    text = code(model, node)
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
    return text if isinstance(node, atomic) else f"({text})"


def sql_function(model: "SemanticModel", name: str) -> Tuple[str, Optional[str]]:
    """How this module spells `sqlalchemy.<name>`, and the import to add when it cannot yet.

    `and_` when imported from sqlalchemy (or sqlmodel), `sa.and_` after `import sqlalchemy as
    sa`, `db.and_` with Flask-SQLAlchemy's `db`; otherwise `and_` plus the import line."""
    modules: List[str] = []
    flask: List[str] = []
    for local, bindings in sorted(model.scopes.module_scope.bindings.items()):
        if len(bindings) != 1:
            continue
        binding = bindings[0]
        qualified = binding.qualified or ""
        if binding.kind == "import" and qualified.startswith(("sqlalchemy.", "sqlmodel.")) \
                and qualified.rsplit(".", 1)[-1] == name:
            return local, None
        if binding.kind == "import" and qualified in ("sqlalchemy", "sqlmodel"):
            modules.append(local)
        elif model.sessions.is_flask_db(cst.Name(local)):  # a fresh Name is looked up in the module scope
            flask.append(local)
    if modules or flask:
        return f"{(modules or flask)[0]}.{name}", None
    return name, f"from sqlalchemy import {name}"
