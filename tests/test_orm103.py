"""ORM103 commit-in-loop: which commits run once per row."""
from __future__ import annotations

import textwrap

from tests.conftest import findings, messages

HEADER = """
from sqlalchemy.orm import Session
"""


def flagged(body: str) -> list:
    return findings(HEADER + textwrap.dedent(body), "ORM103")


def test_message_names_the_loop_and_the_add() -> None:
    source = HEADER + textwrap.dedent("""
    def load(session: Session, names):
        for name in names:
            session.add(User(name=name))
            session.commit()
    """)
    [message] = messages(source, "ORM103")
    assert message == ("`session.commit()` runs on every iteration of the `for` loop on line 5 that "
                       "calls `session.add()` once per item: one transaction and one disk sync per row")


def test_a_with_block_in_the_body_still_runs_every_iteration() -> None:
    assert flagged("""
    def load(session: Session, paths):
        for path in paths:
            with open(path) as handle:
                session.add(Document(text=handle.read()))
                session.commit()
    """) == [(8, "ORM103")]


def test_commit_in_for_else_runs_once() -> None:
    assert flagged("""
    def load(session: Session, names):
        for name in names:
            session.add(User(name=name))
        else:
            session.commit()
    """) == []


def test_commit_after_try_finally_is_unconditional_but_inside_try_is_not() -> None:
    assert flagged("""
    def load(session: Session, names):
        for name in names:
            try:
                session.add(User(name=name))
            finally:
                log(name)
            session.commit()
    """) == [(10, "ORM103")]


def test_suppressed_on_the_commit_line() -> None:
    assert flagged("""
    def load(session: Session, names):
        for name in names:
            session.add(User(name=name))
            session.commit()  # noqa: ORM103
    """) == []
