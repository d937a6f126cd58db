"""Which code is migration code (`semantic.migrations`), asked by ORM103, ORM201 and ORM30x."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from session_lint.semantic.migrations import in_migrations_tree, is_alembic_revision, is_migration_code


def module(source: str) -> cst.Module:
    return cst.parse_module(textwrap.dedent(source))


REVISION = """
    revision = "4e3738cdc34c"
    down_revision: str = "6c597e842afa"

    def upgrade():
        pass
"""


def test_a_generated_revision_is_recognised() -> None:
    assert is_alembic_revision(module(REVISION))


@pytest.mark.parametrize("source", [
    'revision = 3\n',
    'revision = "a"\ndown_revision = None\n',  # no upgrade()
    'revision = "a"\ndef upgrade(): pass\n',  # no down_revision
    'def f():\n    revision = "a"\n    down_revision = None\ndef upgrade(): pass\n',  # not module level
])
def test_look_alikes_are_not_revisions(source: str) -> None:
    assert not is_alembic_revision(module(source))


@pytest.mark.parametrize("filename, root, expected", [
    ("app/migrations/versions/0001_init.py", None, True),
    ("app/migrations/shared/catalogs.py", None, True),
    ("alembic/env.py", None, True),
    ("app/migrations.py", None, False),  # a module named so is application code
    ("app/models.py", None, False),
    # a checkout that happens to sit in a directory called migrations is not all migrations
    ("/srv/migrations/app/models.py", "/srv/migrations/app", False),
    ("/srv/migrations/app/migrations/env.py", "/srv/migrations/app", True),
    (None, None, False),
])
def test_migrations_tree(filename, root, expected) -> None:
    assert in_migrations_tree(filename, root) is expected


def test_migration_code_is_either() -> None:
    assert is_migration_code(module(REVISION), "app/scripts/backfill.py")
    assert is_migration_code(module("x = 1\n"), "app/migrations/utils.py")
    assert not is_migration_code(module("x = 1\n"), "app/scripts/backfill.py")
