"""Suppression comments: per line, per multi-line statement, per file."""
from __future__ import annotations

from tests.conftest import findings

BAD_WITH = """\
from sqlalchemy.orm import Session

def create(engine, name):
    with Session(engine) as session:
        session.add(User(name=name)){comment}
"""


def test_unsuppressed() -> None:
    assert findings(BAD_WITH.format(comment=""), "ORM101") == [(5, "ORM101")]


def test_blanket_noqa() -> None:
    assert findings(BAD_WITH.format(comment="  # noqa"), "ORM101") == []


def test_noqa_with_code_and_prefix() -> None:
    assert findings(BAD_WITH.format(comment="  # noqa: ORM101"), "ORM101") == []
    assert findings(BAD_WITH.format(comment="  # noqa: E501,ORM1"), "ORM101") == []
    assert findings(BAD_WITH.format(comment="  # NOQA:ORM101"), "ORM101") == []


def test_noqa_for_another_code_does_not_suppress() -> None:
    assert findings(BAD_WITH.format(comment="  # noqa: ORM201"), "ORM101") == [(5, "ORM101")]
    assert findings(BAD_WITH.format(comment="  # noqa: E501"), "ORM101") == [(5, "ORM101")]


def test_noqa_on_any_line_of_a_multiline_statement() -> None:
    source = """\
from sqlalchemy.orm import Session

def create(engine, name):
    with Session(engine) as session:
        session.add(
            User(name=name),
        )  # noqa: ORM101
"""
    assert findings(source, "ORM101") == []


def test_noqa_on_another_statement_does_not_suppress() -> None:
    source = """\
from sqlalchemy.orm import Session

def create(engine, name):
    with Session(engine) as session:  # noqa: ORM101
        session.add(User(name=name))
"""
    assert findings(source, "ORM101") == [(5, "ORM101")]


def test_file_level_exemption() -> None:
    source = "# session-lint: noqa\n" + BAD_WITH.format(comment="")
    assert findings(source, "ORM101") == []


def test_file_level_exemption_must_be_its_own_comment_line() -> None:
    source = 'x = "# session-lint: noqa"\n' + BAD_WITH.format(comment="")
    assert findings(source, "ORM101") == [(6, "ORM101")]
