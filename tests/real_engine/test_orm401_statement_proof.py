"""ORM401 for a failed statement, on a real engine: a SELECT that fails with a database error
(here the connection is lost mid-statement, as FlexMeasures aac48370 met it) leaves the
session's transaction unusable; the retry in the handler raises until `rollback()`, and the
suggested rollback makes the same retry work. (On PostgreSQL any failed statement does the
same: the server aborts the transaction and answers `InFailedSqlTransaction`.)"""
from __future__ import annotations

import sqlite3
import textwrap
from typing import Any, Callable, Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, event, select  # noqa: E402
from sqlalchemy.exc import PendingRollbackError  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class TaskRun(Base):
    __tablename__ = "task_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


FLAGGED = """
import time
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

def last_run(session: Session, name):
    try:
        return session.scalars(select(TaskRun).where(TaskRun.name == name)).first()
    except DatabaseError:
        time.sleep(0)
        return session.scalars(select(TaskRun).where(TaskRun.name == name)).first()
"""

FIXED = FLAGGED.replace("        time.sleep(0)\n", "        session.rollback()\n")


def load(source: str, name: str) -> Callable[..., Any]:
    namespace: Dict[str, Any] = {"TaskRun": TaskRun}
    exec(compile(textwrap.dedent(source), "snippet.py", "exec"), namespace)
    return namespace[name]


@pytest.fixture
def flaky_engine(tmp_path):
    """A file database whose next statement fails as a dropped connection does."""
    engine = create_engine(f"sqlite:///{tmp_path / 'runs.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(TaskRun(name="nightly"))
        session.commit()
    drop = {"next": False}

    # Raised where the driver's own cursor.execute() would raise it, so that SQLAlchemy
    # wraps and handles it as it does a real driver error (every 2.x version).
    @event.listens_for(engine, "do_execute")
    def lose_connection(cursor, statement, parameters, context):
        if drop["next"]:
            drop["next"] = False
            raise sqlite3.OperationalError("server closed the connection unexpectedly")
        return False

    @event.listens_for(engine, "handle_error")
    def is_disconnect(context):
        context.is_disconnect = True

    engine.drop_next_statement = drop  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


def test_retry_in_the_flagged_handler_raises(flaky_engine) -> None:
    assert findings(FLAGGED, "ORM401") == [(10, "ORM401")]
    last_run = load(FLAGGED, "last_run")
    with Session(flaky_engine) as session:
        session.get(TaskRun, 1)  # the session's transaction has begun
        flaky_engine.drop_next_statement["next"] = True
        with pytest.raises(PendingRollbackError, match="rolled back"):
            last_run(session, "nightly")


def test_rollback_before_the_retry_fixes_it(flaky_engine) -> None:
    assert findings(FIXED, "ORM401") == []
    last_run = load(FIXED, "last_run")
    with Session(flaky_engine) as session:
        session.get(TaskRun, 1)
        flaky_engine.drop_next_statement["next"] = True
        run = last_run(session, "nightly")
    assert run is not None and run.name == "nightly"
