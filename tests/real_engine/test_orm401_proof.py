"""ORM401 on a real engine: after a failed commit the next use of the session raises
PendingRollbackError, and the suggested `rollback()` makes the same code work."""
from __future__ import annotations

import textwrap
from typing import Any, Callable, Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.exc import PendingRollbackError  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


IMPORT_FLAGGED = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

def import_users(session: Session, names):
    saved = []
    for name in names:
        try:
            session.add(User(name=name))
            session.commit()
            saved.append(name)
        except IntegrityError:
            pass
    return saved
"""

IMPORT_FIXED = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

def import_users(session: Session, names):
    saved = []
    for name in names:
        try:
            session.add(User(name=name))
            session.commit()
            saved.append(name)
        except IntegrityError:
            session.rollback()
    return saved
"""

CALLER_FLAGGED = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

def create_user(session: Session, name):
    try:
        session.add(User(name=name))
        session.commit()
    except IntegrityError:
        return False
    return True
"""

CALLER_FIXED = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

def create_user(session: Session, name):
    try:
        session.add(User(name=name))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
"""

# Silent on purpose: the `with` block closes the failed session right after the handler.
WITH_BLOCK = """
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

def create_user(engine, name):
    with Session(engine) as session:
        try:
            session.add(User(name=name))
            session.commit()
        except IntegrityError:
            return False
    return True
"""


def load(source: str, name: str) -> Callable[..., Any]:
    namespace: Dict[str, Any] = {"User": User}
    exec(compile(textwrap.dedent(source), "snippet.py", "exec"), namespace)
    return namespace[name]


def user_count(engine) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(User)) or 0


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_next_iteration_of_the_flagged_loop_raises(engine) -> None:
    assert findings(IMPORT_FLAGGED, "ORM401") == [(12, "ORM401")]
    import_users = load(IMPORT_FLAGGED, "import_users")
    with Session(engine) as session:
        # "ada" twice: the second commit violates the unique constraint, the handler
        # swallows it, and "bob" then fails on the session left in a failed state.
        with pytest.raises(PendingRollbackError):
            import_users(session, ["ada", "ada", "bob"])
    assert user_count(engine) == 1


def test_rollback_in_the_handler_fixes_the_loop(engine) -> None:
    assert findings(IMPORT_FIXED, "ORM401") == []
    import_users = load(IMPORT_FIXED, "import_users")
    with Session(engine) as session:
        assert import_users(session, ["ada", "ada", "bob"]) == ["ada", "bob"]
    assert user_count(engine) == 2


def test_caller_gets_the_failed_session_back(engine) -> None:
    assert findings(CALLER_FLAGGED, "ORM401") == [(9, "ORM401")]
    create_user = load(CALLER_FLAGGED, "create_user")
    with Session(engine) as session:
        assert create_user(session, "ada") is True
        assert create_user(session, "ada") is False
        with pytest.raises(PendingRollbackError):
            session.scalar(select(func.count()).select_from(User))


def test_caller_can_go_on_after_the_fix(engine) -> None:
    assert findings(CALLER_FIXED, "ORM401") == []
    create_user = load(CALLER_FIXED, "create_user")
    with Session(engine) as session:
        assert create_user(session, "ada") is True
        assert create_user(session, "ada") is False
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_with_block_that_ends_after_the_handler_is_harmless(engine) -> None:
    assert findings(WITH_BLOCK, "ORM401") == []
    create_user = load(WITH_BLOCK, "create_user")
    assert create_user(engine, "ada") is True
    assert create_user(engine, "ada") is False
    # Closing the block discarded the failed transaction: the engine is fine.
    assert create_user(engine, "bob") is True
    assert user_count(engine) == 2
