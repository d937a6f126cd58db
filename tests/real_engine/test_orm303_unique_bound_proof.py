"""The unique-set silence of ORM301-ORM303 on a real engine: a statement whose filters
cover a `UniqueConstraint` (one column given as `.in_(values)`) returns at most one row per
value, however many rows the table holds, so counting them in SQL would save nothing;
without the constrained column the same `.in_()` returns a row per table
(`rules/ORM303/unique_columns_project/`)."""
from __future__ import annotations

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, UniqueConstraint, create_engine, select  # noqa: E402
from sqlalchemy.exc import IntegrityError  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402


class Base(DeclarativeBase):
    pass


class TableColumn(Base):
    __tablename__ = "table_columns"
    __table_args__ = (UniqueConstraint("table_id", "column_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int]
    column_name: Mapped[str] = mapped_column(String(50))


def test_rows_under_a_unique_set_are_bounded_by_the_list() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    names = ["id", "name", "created_at"]
    with Session(engine) as session:
        session.add_all(TableColumn(table_id=table, column_name=name)
                        for table in range(200) for name in [*names, "extra"])
        session.commit()
        bounded = session.execute(select(TableColumn.id).where(
            TableColumn.table_id == 7, TableColumn.column_name.in_(names))).all()
        unbounded = session.execute(select(TableColumn.id).where(TableColumn.column_name.in_(names))).all()
        assert len(bounded) == len(names)  # silent: never more rows than names
        assert len(unbounded) == 200 * len(names)  # reported: a row per table
        session.add(TableColumn(table_id=7, column_name="id"))
        with pytest.raises(IntegrityError):
            session.commit()  # the constraint is what keeps the bound
