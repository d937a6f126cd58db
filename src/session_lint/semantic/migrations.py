"""Which modules are Alembic revision scripts.

A data migration is code of a different kind: it runs once per database, on the schema and
data the earlier revisions produced, and is frozen once released. Rules whose advice does
not fit that (a query per row of a one-off pass, a lookup whose row the previous revision
guarantees) ask this module.
"""
from __future__ import annotations

from typing import Set

import libcst as cst

# Every revision file Alembic generates defines these at module level.
_REVISION_NAMES = frozenset({"revision", "down_revision", "upgrade"})


def is_alembic_revision(module: cst.Module) -> bool:
    """Module-level `revision`, `down_revision` and `def upgrade()`: a stray `revision = ...`
    alone does not make a module a migration."""
    names: Set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target] if isinstance(small, cst.AnnAssign) else [])
                names.update(t.value for t in targets if isinstance(t, cst.Name))
    return _REVISION_NAMES <= names
