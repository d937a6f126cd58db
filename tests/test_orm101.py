"""ORM101 add-without-commit: test code, joined sessions, expected errors, unbound sessions,
transaction objects, and the message. `real_engine/test_orm101_proof.py` runs the shapes on SQLite:
each silent one really stores its rows (or drops them on purpose), each near miss loses them."""
from __future__ import annotations

import textwrap
from typing import List

import libcst as cst
import pytest

from session_lint import Settings, lint_source
from session_lint.rules.orm101_add_without_commit import AddWithoutCommit
from session_lint.semantic import SemanticModel
from session_lint.semantic.testcode import in_test_code, is_test_file
from tests.conftest import findings

HEADER = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine("sqlite://")
"""


def rows(body: str, filename: str = "app.py") -> List[int]:
    return [row for row, _ in findings(HEADER + textwrap.dedent(body), "ORM101", filename=filename)]


def messages(body: str) -> List[str]:
    result = lint_source(HEADER + textwrap.dedent(body), "app.py", [AddWithoutCommit], Settings())
    return [d.message for d in result.diagnostics]


# -- test code -------------------------------------------------------------------------------------
FLUSH_AND_ASSERT = """
def check_defaults():
    with Session(engine) as s:
        user = User(name="x")
        s.add(user)
        s.flush()
        assert user.id
"""


@pytest.mark.parametrize("filename", [
    "tests/test_users.py", "test_users.py", "users_test.py", "conftest.py", "tests/factories.py",
    "src/app/test/helpers.py", "testing/fixtures.py",
])
def test_test_files_are_silent(filename: str) -> None:
    assert rows(FLUSH_AND_ASSERT, filename) == []


@pytest.mark.parametrize("filename", ["app/users.py", "contest.py", "attestation.py", "latest/users.py"])
def test_application_files_are_not(filename: str) -> None:
    assert rows(FLUSH_AND_ASSERT, filename) == [9]


def test_test_functions_and_classes_are_silent_in_any_file() -> None:
    assert rows("""
    def test_defaults():
        with Session(engine) as s:
            s.add(User(name="x"))
            s.flush()

    class TestUsers:
        def helper(self):
            with Session(engine) as s:
                s.add(User(name="y"))

    class Testimonial:
        def save(self):
            with Session(engine) as s:
                s.add(User(name="z"))

    class TestingConfig:
        def seed(self):
            with Session(engine) as s:
                s.add(User(name="w"))
    """) == [19, 24]


def test_is_test_file_takes_the_path_relative_to_the_root() -> None:
    # A project that happens to live under a directory called `tests` is not all test code.
    assert not is_test_file("/home/me/tests/app/users.py", "/home/me/tests/app")
    assert is_test_file("/home/me/tests/app/tests/users.py", "/home/me/tests/app")
    assert is_test_file("/elsewhere/tests/users.py", "/home/me/app")
    assert not is_test_file(None)
    assert not is_test_file("app/testimonials.py")


def test_in_test_code_looks_at_every_enclosing_definition() -> None:
    module = cst.parse_module("class TestA:\n    def helper(self):\n        x = 1\n\ndef make():\n    y = 2\n")
    model = SemanticModel(module)
    x, y = model.tree.of_type(cst.Integer)
    assert in_test_code(model, x)
    assert not in_test_code(model, y)


# -- joined to an external transaction -----------------------------------------------------------------
def test_session_on_a_callers_connection_is_silent_once_flushed() -> None:
    assert rows("""
    def insert_data(connection):
        s = Session(connection)
        s.add(User(name="a"))
        s.flush()

    def not_flushed(connection):
        with Session(connection) as s:
            s.add(User(name="b"))

    def query_autoflushes(connection):
        s = Session(connection)
        s.add(User(name="c"))
        return s.scalars(select(User)).all()

    def autoflush_off(connection):
        s = Session(connection, autoflush=False)
        s.add(User(name="d"))
        return s.scalars(select(User)).all()
    """) == [13, 22]


def test_an_engine_is_not_a_connection() -> None:
    assert rows("""
    from sqlalchemy import Engine

    def annotated(connection: Engine):
        with Session(connection) as s:
            s.add(User(name="a"))
            s.flush()

    def named(engine):
        with Session(engine) as s:
            s.add(User(name="b"))
            s.flush()
    """) == [10, 15]


def test_own_connection_needs_a_transaction_of_its_own() -> None:
    assert rows("""
    def session_owns_the_transaction():
        conn = engine.connect()
        s = Session(bind=conn)
        s.add(User(name="a"))
        s.flush()
        s.close()

    def function_owns_the_transaction():
        conn = engine.connect()
        trans = conn.begin()
        s = Session(bind=conn)
        s.add(User(name="b"))
        s.flush()
        s.close()
        trans.commit()
    """) == [9]


# -- expected errors, unbound sessions, transaction objects ----------------------------------------------
def test_expected_error_blocks() -> None:
    assert rows("""
    import pytest

    def flush_fails(rows):
        with Session(engine) as s:
            s.add_all(rows)
            with pytest.raises(IntegrityError):
                s.flush()

    def later_work_is_not_covered(rows):
        with Session(engine) as s:
            with pytest.raises(IntegrityError):
                s.flush()
            s.add_all(rows)
    """) == [18]


def test_unbound_session_and_expunge() -> None:
    assert rows("""
    def state_only(obj):
        s = Session()
        s.add(obj)
        return list(s.new)

    def bound(obj):
        s = Session(engine)
        s.add(obj)
        return list(s.new)

    def taken_back(obj):
        s = Session(engine)
        s.add(obj)
        s.expunge_all()

    def flushed_before_expunge(obj):
        s = Session(engine)
        s.add(obj)
        s.flush()
        s.expunge_all()
        s.close()
    """) == [13, 23]


def test_transaction_objects() -> None:
    assert rows("""
    def rolled_back(obj):
        s = Session(engine)
        t = s.begin()
        s.add(obj)
        t.rollback()
        s.close()

    def savepoint_released(obj):
        with Session(engine) as s:
            sp = s.begin_nested()
            s.add(obj)
            sp.commit()
    """) == [16]


# -- the message ---------------------------------------------------------------------------------------
def test_not_reached_hint_names_a_commit_of_the_same_session() -> None:
    [message] = messages("""
    def branch(flag):
        sess = Session(engine)
        sess.add(User(name="a"))
        if flag:
            sess.commit()
        sess.close()
    """)
    assert "(`sess.commit()` is not reached on this path)" in message


def test_not_reached_hint_ignores_a_later_session_under_the_same_name() -> None:
    # SQLAlchemy test/orm/test_bind.py: the commit belongs to the second Session.
    [message] = messages("""
    def two_sessions():
        sess = Session(engine)
        sess.add(User(name="a"))
        sess.flush()
        sess.close()
        sess = Session(engine)
        sess.add(User(name="b"))
        sess.commit()
    """)
    assert message == (
        "`sess.add()` is never committed: `sess.close()` on line 10 closes the session without "
        "`sess.commit()`, so the new User is discarded"
    )
