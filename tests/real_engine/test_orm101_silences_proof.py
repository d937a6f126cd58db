"""ORM101 on SQLite: the shapes the rule stays silent on really keep their rows (or drop them
on purpose), and their near relatives that it flags really lose them."""
from __future__ import annotations

from typing import Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, event, func, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")

    # pysqlite does not emit BEGIN before a SAVEPOINT, so releasing one would commit; the
    # SQLAlchemy docs' recipe ("Serializable isolation / Savepoints / Transactional DDL")
    # gives SQLite the transactions every other database has.
    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):  # pragma: no cover - trivial
        connection.exec_driver_sql("BEGIN")

    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored(engine) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(Row)) or 0


SHAPES: Dict[str, str] = {
    # class B: the caller's `with engine.begin() as connection:` keeps the flushed row
    "joined_flushed": """
def insert_data(connection):
    s = Session(connection)
    s.add(Row(name="a"))
    s.flush()
    s.close()

def run(engine):
    with engine.begin() as connection:
        insert_data(connection)
""",
    # ... but not one that was never flushed
    "joined_not_flushed": """
def insert_data(connection):
    with Session(connection) as s:
        s.add(Row(name="a"))

def run(engine):
    with engine.begin() as connection:
        insert_data(connection)
""",
    # class C: the function commits the connection's transaction itself
    "connection_transaction_committed": """
def run(engine):
    conn = engine.connect()
    trans = conn.begin()
    s = Session(bind=conn)
    s.add(Row(name="a"))
    s.flush()
    s.close()
    trans.commit()
    conn.close()
""",
    # ... while on a connection without a transaction, the session's close() rolls back
    "own_connection_closed": """
def run(engine):
    conn = engine.connect()
    s = Session(bind=conn)
    s.add(Row(name="a"))
    s.flush()
    s.close()
    conn.close()
""",
    # class F: committed through the transaction object
    "transaction_object_commit": """
def run(engine):
    s = Session(engine)
    t = s.begin()
    s.add(Row(name="a"))
    t.commit()
    s.close()
""",
    # ... a savepoint's commit is only a release
    "savepoint_released": """
def run(engine):
    with Session(engine) as s:
        sp = s.begin_nested()
        s.add(Row(name="a"))
        sp.commit()
""",
    # class E: objects taken back before any flush were never meant to be stored...
    "expunged_before_flush": """
def run(engine):
    s = Session(engine)
    s.add(Row(name="a"))
    pending = list(s.new)
    s.expunge_all()
    s.close()
    return pending
""",
    # ... but a flushed row is in the transaction, and expunging the object does not save it
    "expunged_after_flush": """
def run(engine):
    s = Session(engine)
    s.add(Row(name="a"))
    s.flush()
    s.expunge_all()
    s.close()
""",
}


@pytest.mark.parametrize("shape, flagged, kept", [
    ("joined_flushed", False, 1),
    ("joined_not_flushed", True, 0),
    ("connection_transaction_committed", False, 1),
    ("own_connection_closed", True, 0),
    ("transaction_object_commit", False, 1),
    ("savepoint_released", True, 0),
    ("expunged_before_flush", False, 0),
    ("expunged_after_flush", True, 0),
])
def test_shapes_on_sqlite(engine, shape: str, flagged: bool, kept: int) -> None:
    source = "from sqlalchemy.orm import Session\n" + SHAPES[shape]
    assert bool(findings(source, "ORM101")) is flagged
    namespace: Dict[str, object] = {"Row": Row}
    exec(compile(source, f"{shape}.py", "exec"), namespace)
    namespace["run"](engine)  # type: ignore[operator]
    assert stored(engine) == kept


def test_unbound_session_cannot_store_anything() -> None:
    s = Session()
    s.add(Row(name="a"))
    with pytest.raises(sqlalchemy.exc.UnboundExecutionError):
        s.flush()
    s.close()
