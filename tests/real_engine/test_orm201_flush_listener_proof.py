"""The flush-listener silence of ORM201 on a real engine (issue 18, precision): inside an
`after_insert` listener, a lookup by the target's NOT NULL foreign key finds the row (the
flush wrote it first, and the foreign key guarantees it), while a lookup by a nullable
foreign key gets None for a root row and crashes, which ORM201 still reports (both shapes
are fixtures of `rules/ORM201/flush_listeners_project/`)."""
from __future__ import annotations

from typing import List, Optional

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import ForeignKey, String, create_engine, event, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship  # noqa: E402



class Base(DeclarativeBase):
    pass


class Database(Base):
    __tablename__ = "dbs"
    id: Mapped[int] = mapped_column(primary_key=True)
    database_name: Mapped[str] = mapped_column(String(50))


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("dbs.id"))  # NOT NULL
    database: Mapped[Database] = relationship()


class Node(Base):
    __tablename__ = "nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("nodes.id"))  # NULL for a root


def test_not_null_foreign_key_names_a_row_the_flush_wrote() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    names: List[str] = []

    def after_insert(mapper, connection, target) -> None:
        found = connection.execute(select(Database.database_name).where(Database.id == target.database_id)).first()
        names.append(found.database_name)  # the silenced pattern: never None here

    event.listen(Dataset, "after_insert", after_insert)
    try:
        with Session(engine) as session:
            # The database is new too: the unit of work inserts it before the dataset.
            session.add(Dataset(database=Database(database_name="main")))
            session.add(Dataset(database=Database(database_name="reports")))
            session.commit()
    finally:
        event.remove(Dataset, "after_insert", after_insert)
    assert names == ["main", "reports"]


def test_nullable_foreign_key_is_none_for_a_root_and_crashes() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)

    def before_insert(mapper, connection, target) -> None:
        parent = connection.execute(select(Node.id).where(Node.id == target.parent_id)).first()
        target.depth = parent.id  # the flagged pattern: a root has no parent

    event.listen(Node, "before_insert", before_insert)
    try:
        with Session(engine) as session:
            session.add(Node())
            with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'id'"):
                session.commit()
    finally:
        event.remove(Node, "before_insert", before_insert)

