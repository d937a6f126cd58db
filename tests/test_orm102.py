"""ORM102 session-not-closed: paths out of a function, messages, suppression."""
from __future__ import annotations

import textwrap

from tests.conftest import findings, messages

HEADER = """
from sqlalchemy.orm import Session, sessionmaker

SessionLocal = sessionmaker()
"""


def flagged(body: str) -> list:
    return findings(HEADER + textwrap.dedent(body), "ORM102")


def test_message_names_the_way_out() -> None:
    source = HEADER + textwrap.dedent("""
    def get(user_id):
        session = SessionLocal()
        if user_id is None:
            raise ValueError("no id")
        return session.get(User, user_id)
    """)
    assert findings(source, "ORM102") == [(7, "ORM102")]
    [message] = messages(source, "ORM102")
    assert message.startswith("`session = SessionLocal()` is not closed when `get()` raises on line 9")


def test_suppressed_on_the_creation_line() -> None:
    assert flagged("""
    def main():
        session = SessionLocal()  # noqa: ORM102
        session.execute("SELECT 1")
    """) == []


def test_break_through_a_finally_that_closes() -> None:
    assert flagged("""
    def first(rows):
        for row in rows:
            session = SessionLocal()
            try:
                if row:
                    break
                session.add(row)
            finally:
                session.close()
    """) == []


def test_return_inside_try_with_finally_close_in_a_loop() -> None:
    assert flagged("""
    def find(names):
        for name in names:
            session = SessionLocal()
            try:
                user = session.get(User, name)
                if user is not None:
                    return user
            finally:
                session.close()
        return None
    """) == []


def test_close_only_when_absent_is_not_a_close() -> None:
    assert flagged("""
    def get(user_id):
        session = SessionLocal()
        user = session.get(User, user_id)
        if session is None:
            session.close()
        return user
    """) == [(7, "ORM102")]


def test_raise_caught_by_the_same_function_is_not_a_way_out() -> None:
    assert flagged("""
    def get(user_id):
        session = SessionLocal()
        try:
            if user_id is None:
                raise KeyError(user_id)
            user = session.get(User, user_id)
        except KeyError:
            user = None
        session.close()
        return user
    """) == []


def test_nested_function_creating_a_session_is_its_own_scope() -> None:
    assert flagged("""
    def outer():
        def inner():
            session = SessionLocal()
            return session.get(User, 1)
        return inner
    """) == [(8, "ORM102")]


def test_sessions_of_unknown_factories_are_not_followed() -> None:
    assert flagged("""
    def get(factory, user_id):
        session = factory()
        return session.get(User, user_id)
    """) == []
