"""ORM401 missing-rollback: the handler analysis beyond the catalogue fixtures."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from session_lint.semantic import SemanticModel
from session_lint.semantic.sessions import MEMBER
from session_lint.semantic.recovery import catches_database_errors
from tests.conftest import findings, messages

HEADER = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
"""


def flagged(body: str) -> list:
    return findings(HEADER + textwrap.dedent(body), "ORM401")


def model_of(source: str) -> SemanticModel:
    return SemanticModel(cst.parse_module(textwrap.dedent(source)))


@pytest.mark.parametrize("caught, expected", [
    ("", True),
    ("Exception", True),
    ("BaseException", True),
    ("IntegrityError", True),
    ("exc.OperationalError", True),
    ("sa.exc.SQLAlchemyError", True),
    ("orm_exc.StaleDataError", True),
    ("(KeyError, DBAPIError)", True),
    ("ValueError", False),
    ("(KeyError, ValueError)", False),
    ("MyError", False),
    ("psycopg2.IntegrityError", False),  # SQLAlchemy wraps it: never raised by commit()
])
def test_which_handlers_catch_a_failed_commit(caught: str, expected: bool) -> None:
    source = f"""
    import psycopg2
    import sqlalchemy as sa
    from sqlalchemy import exc
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.orm import exc as orm_exc

    class MyError(Exception):
        pass

    try:
        pass
    except {caught}:
        pass
    """
    model = model_of(source)
    handler = model.tree.of_type(cst.ExceptHandler)[0]
    assert catches_database_errors(model.scopes, handler) is expected


def test_message_names_the_session_and_the_commit_line() -> None:
    source = HEADER + textwrap.dedent("""
    def save(session: Session, user):
        try:
            session.add(user)
            session.flush()
        except IntegrityError:
            pass
        return session.get(type(user), user.id)
    """)
    [message] = messages(source, "ORM401")
    assert message.startswith("`except IntegrityError:` can go on without `session.rollback()` "
                              "after `session.flush()` on line 8 fails")
    assert "used again on line 11" in message


def test_reported_on_the_except_line_and_suppressible_there() -> None:
    body = """
    def save(session: Session, user):
        try:
            session.commit()
        except IntegrityError:{noqa}
            pass
    """
    assert flagged(body.format(noqa="")) == [(8, "ORM401")]
    assert flagged(body.format(noqa="  # noqa: ORM401")) == []


def test_return_through_a_finally_that_rolls_back() -> None:
    assert flagged("""
    def save(session: Session, user):
        try:
            session.add(user)
            session.commit()
        except IntegrityError:
            return False
        finally:
            session.rollback()
        return True
    """) == []


def test_continue_through_a_finally_that_rolls_back() -> None:
    assert flagged("""
    def save_all(session: Session, users):
        for user in users:
            try:
                session.add(user)
                session.commit()
            except IntegrityError:
                continue
            finally:
                session.rollback()
    """) == []


def test_handler_that_uses_the_session_before_rolling_back() -> None:
    # The error log itself is written with the failed session.
    assert flagged("""
    def save(session: Session, user):
        try:
            session.commit()
        except Exception as error:
            session.add(ErrorLog(message=str(error)))
            session.rollback()
            raise
    """) == [(8, "ORM401")]


def test_commit_in_a_nested_function_is_not_the_try_bodys() -> None:
    assert flagged("""
    def schedule(session: Session, queue):
        try:
            def job():
                session.commit()
            queue.put(job)
        except Exception:
            pass
    """) == []


def test_only_the_first_failed_session_of_a_handler_is_reported_once() -> None:
    assert flagged("""
    def sync(source: Session, target: Session, rows):
        try:
            target.add_all(rows)
            target.commit()
            source.commit()
        except Exception:
            pass
    """) == [(10, "ORM401")]


def test_rebinding_the_name_gives_a_new_session() -> None:
    assert flagged("""
    def retry(maker, user):
        for attempt in range(3):
            session = Session(maker)
            try:
                session.add(user)
                session.commit()
                break
            except IntegrityError:
                pass
    """) == []


def test_member_sessions_need_every_assignment_to_be_a_session() -> None:
    source = """
    from sqlalchemy.orm import Session, sessionmaker

    maker = sessionmaker()

    class Annotated:
        session: Session

        def use(self):
            self.session.add(1)

    class Made:
        def __init__(self):
            self.session = None
            self.session = maker()

        def use(self):
            self.session.add(1)

    class Mixed:
        def __init__(self, session: Session, factory):
            self.session = session
            self.other = factory
            if factory:
                self.session = factory()

        def use(self):
            self.session.add(1)
            self.other.add(1)

        @staticmethod
        def static(self):
            self.session.add(1)
    """
    model = model_of(source)
    found = {}
    for call in model.tree.of_type(cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add":
            ref = model.sessions.session_of(call.func.value)
            found[model.line_of(call)] = ref.origin if ref is not None else None
    assert found == {10: MEMBER, 18: MEMBER, 28: None, 29: None, 33: None}


def test_member_sessions_are_sessions_for_every_rule() -> None:
    """One `session_of`: `self.session` is the object's session for every analysis, and
    ORM101 leaves its commit to whoever owns the object."""
    source = """
    from sqlalchemy.orm import Session

    class Repository:
        def __init__(self, session: Session):
            self.session = session

        def save(self, user):
            self.session.add(user)
    """
    model = model_of(source)
    call = [c for c in model.tree.of_type(cst.Call)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "add"][0]
    ref = model.sessions.session_of(call.func.value)  # type: ignore[attr-defined]
    assert ref is not None and ref.origin is MEMBER
    assert [event.method for event in model.transactions.events_in(call)] == ["add"]
    assert findings(textwrap.dedent(source), "ORM101") == []
