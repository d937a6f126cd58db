"""ORM101 on a real engine, issue 18's qualicharge bug (9c250f6f): a request handler writes
rows through its session's connection inside a savepoint and commits the savepoint; the
session comes from a dependency in another module that closes it without committing. The
savepoint's commit only releases it into the session's transaction, which the close rolls
back: every row is lost. The fix the message gives (`session.commit()`) keeps them."""
from __future__ import annotations

import sys
import textwrap
import types
from typing import List

import pytest

pytest.importorskip("sqlalchemy")
from sqlalchemy import create_engine, event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.real_engine.test_project_summaries_proof import (  # noqa: E402
    Base, Record, _fastapi_stand_in, lint_project, through_dependency)

DATABASE = '''
from sqlalchemy.orm import Session as SASession

from models import engine


def get_session():
    with SASession(engine) as session:
        yield session
'''

API = '''
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from database import get_session

app = FastAPI()


def write_rows(connection, emails):
    for email in emails:
        connection.exec_driver_sql("INSERT INTO records (email) VALUES (?)", (email,))


@app.post("/records/bulk")
def bulk(emails: list, session: Session = Depends(get_session)):
    transaction = session.begin_nested()
    try:
        write_rows(session.connection(), emails)
        transaction.commit()
    except Exception:
        transaction.rollback()
        raise
    return {"status": "OK"}
'''
API_FIXED = API.replace('    return {"status": "OK"}\n', '    session.commit()\n    return {"status": "OK"}\n')


@pytest.fixture
def engine(tmp_path):
    """SQLite with transactions as PostgreSQL or MySQL run them. Left alone, pysqlite emits no
    BEGIN before a SAVEPOINT, so SQLite's outermost SAVEPOINT opens the transaction and its
    RELEASE commits it; SQLAlchemy's documented recipe ("Serializable isolation /
    Savepoints / Transactional DDL" in the SQLite dialect's page) has the driver leave
    transactions alone and emits BEGIN itself."""
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def run_bulk(source: str, engine, emails: List[str]) -> None:
    """Import `database.py` and the handler module against `engine`, then do what FastAPI
    does for the route: run the dependency to its `yield`, call the handler, finish the
    dependency (its `with` block closes the session)."""
    models = types.ModuleType("models")
    models.engine = engine  # type: ignore[attr-defined]
    sys.modules["models"] = models
    sys.modules.setdefault("fastapi", _fastapi_stand_in())
    database = types.ModuleType("database")
    try:
        exec(compile(textwrap.dedent(DATABASE), "database.py", "exec"), database.__dict__)
        sys.modules["database"] = database
        api = types.ModuleType("api")
        exec(compile(textwrap.dedent(source), "api.py", "exec"), api.__dict__)
    finally:
        sys.modules.pop("models", None)
        sys.modules.pop("database", None)
    through_dependency(database.get_session, lambda session: api.bulk(emails, session=session))


def count(engine) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(Record)) or 0


def test_a_released_savepoint_of_an_uncommitted_session_loses_its_rows(tmp_path, monkeypatch, capsys, engine) -> None:
    found = lint_project(tmp_path, monkeypatch, capsys, {"database.py": DATABASE, "api.py": API})
    assert ("api.py", 20, "ORM101") in found
    run_bulk(API, engine, ["a@example.com", "b@example.com"])
    assert count(engine) == 0  # RELEASE SAVEPOINT, then the close rolled the transaction back


def test_committing_the_session_after_the_savepoint_keeps_the_rows(tmp_path, monkeypatch, capsys, engine) -> None:
    found = lint_project(tmp_path, monkeypatch, capsys, {"database.py": DATABASE, "api.py": API_FIXED})
    assert [f for f in found if f[2] == "ORM101"] == []
    run_bulk(API_FIXED, engine, ["a@example.com", "b@example.com"])
    assert count(engine) == 2
