"""Which code is migration code: Alembic revision scripts and the files of a migrations tree.

A data migration is code of a different kind: it runs once per database, on the schema and
data the earlier revisions produced, and is frozen once released. Rules whose advice does
not fit that ask this module: the cost rules (a query per row, a commit per row, rows
filtered in Python: paid once, on a known amount of data) and ORM201 (a lookup whose row the
previous revision guarantees; on data it does not expect, a migration should stop).
Rules about lost work and wrong rows (ORM101, ORM401, ORM501-ORM503) still apply there.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Set, Union

import libcst as cst

from .paths import project_directories

# Every revision file Alembic generates defines these at module level.
_REVISION_NAMES = frozenset({"revision", "down_revision", "upgrade"})
# `alembic init` makes `alembic/`, Flask-Migrate `migrations/`; helpers shared by several
# revisions live in the same tree (`migrations/shared/`, `migrations/utils.py`).
MIGRATION_DIRECTORIES = frozenset({"migrations", "alembic"})


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


def in_migrations_tree(filename: Optional[str], root: Optional[Union[str, Path]] = None) -> bool:
    """A file under a `migrations/` or `alembic/` directory of the project (the path is taken
    relative to `root` when it lies under it, as for test directories)."""
    if not filename:
        return False
    return any(part in MIGRATION_DIRECTORIES for part in project_directories(filename, root))


def is_migration_code(module: cst.Module, filename: Optional[str],
                      root: Optional[Union[str, Path]] = None) -> bool:
    return in_migrations_tree(filename, root) or is_alembic_revision(module)
