"""ORM401 across a helper, on a real engine: a helper that commits a shared (scoped)
session fails, the caller's handler logs and goes on, and the next item's work raises
PendingRollbackError; a rollback in the handler lets the loop go on."""
from __future__ import annotations

import textwrap
from typing import Dict, List

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.exc import PendingRollbackError  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


FLAGGED = """
from sqlalchemy.orm import scoped_session, sessionmaker

Scoped = scoped_session(sessionmaker(engine))

def _save(item):
    Scoped.add(item)
    Scoped.commit()

def save_all(items, failures):
    for item in items:
        try:
            _save(item)
        except Exception as error:
            failures.append(error)
"""

FIXED = FLAGGED.replace("            failures.append(error)",
                        "            Scoped.rollback()\n            failures.append(error)")


def run(source: str, engine) -> List[Exception]:
    namespace: Dict[str, object] = {"engine": engine}
    exec(compile(textwrap.dedent(source), "items.py", "exec"), namespace)
    failures: List[Exception] = []
    # The second item repeats the first one's primary key: its commit fails.
    items = [Item(id=1, name="a"), Item(id=1, name="dup"), Item(id=2, name="b")]
    namespace["save_all"](items, failures)  # type: ignore[operator]
    namespace["Scoped"].remove()  # type: ignore[attr-defined]
    return failures


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored(engine) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(Item)) or 0


def test_a_failed_commit_in_a_helper_fails_the_next_item(engine) -> None:
    assert findings(FLAGGED, "ORM401") == [(14, "ORM401")]
    failures = run(FLAGGED, engine)
    assert any(isinstance(error, PendingRollbackError) for error in failures)
    assert stored(engine) == 1  # the third item is lost too


def test_a_rollback_in_the_handler_lets_the_next_item_through(engine) -> None:
    assert findings(FIXED, "ORM401") == []
    failures = run(FIXED, engine)
    assert not any(isinstance(error, PendingRollbackError) for error in failures)
    assert stored(engine) == 2
