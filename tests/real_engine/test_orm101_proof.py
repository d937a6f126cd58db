"""ORM101 on a real engine: the flagged code loses the row, the suggested fixes keep it."""
from __future__ import annotations

import textwrap
from typing import Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


FLAGGED = """
from sqlalchemy.orm import Session

def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""

FIXED_WITH_COMMIT = """
from sqlalchemy.orm import Session

def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
        session.commit()
"""

FIXED_WITH_BEGIN = """
from sqlalchemy.orm import Session

def create_user(engine, name):
    with Session(engine) as session, session.begin():
        session.add(User(name=name))
"""


def run(source: str, engine) -> int:
    """Execute the snippet's create_user() and count the users that reached the database."""
    namespace: Dict[str, object] = {"User": User}
    exec(compile(textwrap.dedent(source), "snippet.py", "exec"), namespace)
    namespace["create_user"](engine, "ada")  # type: ignore[operator]
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(User)) or 0


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_flagged_pattern_loses_the_row(engine) -> None:
    assert findings(FLAGGED, "ORM101") == [(6, "ORM101")]
    assert run(FLAGGED, engine) == 0


@pytest.mark.parametrize("fixed", [FIXED_WITH_COMMIT, FIXED_WITH_BEGIN], ids=["commit", "begin"])
def test_suggested_fix_stores_the_row(engine, fixed: str) -> None:
    assert findings(fixed, "ORM101") == []
    assert run(fixed, engine) == 1


def test_flush_is_not_a_commit(engine) -> None:
    source = FLAGGED.replace("session.add(User(name=name))",
                             "session.add(User(name=name))\n        session.flush()")
    assert findings(source, "ORM101") == [(6, "ORM101")]
    assert run(source, engine) == 0


def test_close_discards_the_work(engine) -> None:
    source = """
    from sqlalchemy.orm import sessionmaker

    def create_user(engine, name):
        session = sessionmaker(engine)()
        session.add(User(name=name))
        session.close()
    """
    assert findings(source, "ORM101") == [(6, "ORM101")]
    assert run(source, engine) == 0
