"""ORM102 and ORM103 on a real engine: the flagged code holds a pooled connection / commits
once per row; the suggested fixes (and the shapes ORM102 stays silent on) do not."""
from __future__ import annotations

import gc
import textwrap
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, event  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from sqlalchemy.pool import QueuePool  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


HEADER = "from sqlalchemy.orm import Session\n"


def define(source: str, name: str):
    namespace: Dict[str, object] = {"User": User}
    exec(compile(HEADER + textwrap.dedent(source), "snippet.py", "exec"), namespace)
    return namespace[name]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[object]:
    # A file database with a real QueuePool, so `checkedout()` counts connections in use.
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}", poolclass=QueuePool)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(User(id=1, name="ada"))
    yield engine
    engine.dispose()


@pytest.fixture
def no_cycle_collection() -> Iterator[None]:
    # A dropped session is freed only by the cycle collector (it and its transaction refer
    # to each other); a busy server may run it seconds later. Keep it from running here.
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


NOT_CLOSED = """
def load_name(engine, user_id):
    session = Session(engine)
    return session.get(User, user_id).name
"""
CLOSED = """
def load_name(engine, user_id):
    with Session(engine) as session:
        return session.get(User, user_id).name
"""
COMMIT_IS_THE_LAST_ACT = """
def rename(engine, user_id):
    session = Session(engine)
    session.get(User, user_id).name = "grace"
    session.commit()
"""
READS_AFTER_COMMIT = """
def rename(engine, user_id):
    session = Session(engine)
    user = session.get(User, user_id)
    user.name = "grace"
    session.commit()
    return user.name
"""


def test_orm102_the_flagged_session_keeps_a_connection_checked_out(engine, no_cycle_collection) -> None:
    assert findings(HEADER + textwrap.dedent(NOT_CLOSED), "ORM102") == [(4, "ORM102")]
    assert define(NOT_CLOSED, "load_name")(engine, 1) == "ada"
    assert engine.pool.checkedout() == 1  # the function returned; its connection did not


def test_orm102_the_fix_gives_the_connection_back(engine, no_cycle_collection) -> None:
    assert findings(HEADER + textwrap.dedent(CLOSED), "ORM102") == []
    assert define(CLOSED, "load_name")(engine, 1) == "ada"
    assert engine.pool.checkedout() == 0


def test_orm102_silent_when_commit_is_the_last_act_and_no_connection_is_held(engine, no_cycle_collection) -> None:
    assert findings(HEADER + textwrap.dedent(COMMIT_IS_THE_LAST_ACT), "ORM102") == []
    define(COMMIT_IS_THE_LAST_ACT, "rename")(engine, 1)
    assert engine.pool.checkedout() == 0


def test_orm102_a_read_after_the_commit_starts_a_transaction_left_open(engine, no_cycle_collection) -> None:
    assert findings(HEADER + textwrap.dedent(READS_AFTER_COMMIT), "ORM102") == [(4, "ORM102")]
    assert define(READS_AFTER_COMMIT, "rename")(engine, 1) == "grace"
    assert engine.pool.checkedout() == 1


COMMIT_PER_ROW = """
def import_users(engine, names):
    with Session(engine) as session:
        for name in names:
            session.add(User(name=name))
            session.commit()
"""
ONE_COMMIT = """
def import_users(engine, names):
    with Session(engine) as session:
        for name in names:
            session.add(User(name=name))
        session.commit()
"""


def commits(engine, source: str) -> List[int]:
    seen: List[int] = []
    event.listen(engine, "commit", lambda connection: seen.append(1))
    define(source, "import_users")(engine, [f"user {i}" for i in range(50)])
    return seen


def test_orm103_one_commit_per_row_is_one_transaction_per_row(engine) -> None:
    assert findings(HEADER + textwrap.dedent(COMMIT_PER_ROW), "ORM103") == [(7, "ORM103")]
    assert len(commits(engine, COMMIT_PER_ROW)) == 50


def test_orm103_the_fix_commits_once_and_stores_the_same_rows(engine) -> None:
    assert findings(HEADER + textwrap.dedent(ONE_COMMIT), "ORM103") == []
    assert len(commits(engine, ONE_COMMIT)) == 1
    with Session(engine) as session:
        assert session.query(User).count() == 51
