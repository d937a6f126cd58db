"""XMP101 on snippets: lines ending with `# expect: XMP101` must be flagged, and only they."""
from __future__ import annotations

import re
import textwrap
from typing import List, Tuple

import pytest

from session_lint import Settings, lint_source
from session_lint_example import RULES, FormattedSqlText

EXPECT = re.compile(r"#\s*expect:\s*(\w+)")

HEADER = """\
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.orm import Session
"""

FLAGGED = [
    """
    def by_name(session: Session, name):
        return session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))  # expect: XMP101
    """,
    """
    def by_id(engine, user_id):
        with Session(engine) as session:
            return session.scalars(text("SELECT * FROM users WHERE id = %s" % user_id))  # expect: XMP101
    """,
    """
    def by_format(session: Session, table):
        return session.scalar(sa.text("SELECT count(*) FROM {}".format(table)))  # expect: XMP101
    """,
    """
    def by_concatenation(session: Session, name):
        return session.execute(text("SELECT * FROM users WHERE name = '" + name + "'"))  # expect: XMP101
    """,
    """
    def through_names(session: Session, name):
        sql = f"DELETE FROM users WHERE name = '{name}'"  # expect: XMP101
        statement = text(sql)
        session.execute(statement)
        session.commit()
    """,
]

SILENT = [
    # Bound parameters: the fix.
    """
    def by_name(session: Session, name):
        return session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})
    """,
    # A constant split over lines, and an f-string with nothing pasted in.
    """
    def constant(session: Session):
        session.execute(text("SELECT * " + "FROM users"))
        session.execute(text(f"SELECT 1"))
    """,
    # Not a session: a DB-API cursor, or an object that merely has an execute() method.
    """
    def raw(cursor, runner, name):
        cursor.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
        runner.execute(text(f"SELECT {name}"))
    """,
    # Not SQLAlchemy's text(): some other function that happens to be called text.
    """
    def other_text(session: Session, name):
        def text(value):
            return value
        session.execute(text(f"SELECT {name}"))
    """,
    # Assigned twice: which SQL reaches the call is not certain, so stay quiet.
    """
    def branches(session: Session, name, safe):
        sql = "SELECT * FROM users"
        if not safe:
            sql = f"SELECT * FROM users WHERE name = '{name}'"
        session.execute(text(sql))
    """,
]


def lint(snippet: str) -> Tuple[List[Tuple[int, str]], List[Tuple[int, str]]]:
    """(found, expected) (row, code) pairs of one snippet."""
    source = HEADER + textwrap.dedent(snippet)
    result = lint_source(source, "snippet.py", RULES, Settings())
    found = [(d.location.row, d.code) for d in result.diagnostics]
    expected = [(row, match.group(1)) for row, line in enumerate(source.splitlines(), start=1)
                for match in EXPECT.finditer(line)]
    return found, expected


@pytest.mark.parametrize("snippet", FLAGGED + SILENT)
def test_expected_findings(snippet: str) -> None:
    found, expected = lint(snippet)
    assert found == expected


def test_message_names_the_session_and_the_construct() -> None:
    source = HEADER + textwrap.dedent(FLAGGED[0])
    (diagnostic,) = lint_source(source, "snippet.py", [FormattedSqlText], Settings()).diagnostics
    assert diagnostic.message.startswith("the SQL text run by `session.execute()` is built with an f-string")
    assert diagnostic.hint is not None and ":name" in diagnostic.hint


def test_rule_declaration_is_valid() -> None:
    assert all(rule.validate() is None for rule in RULES)
