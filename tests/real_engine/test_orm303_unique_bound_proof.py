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


def test_a_unique_index_of_a_core_table_bounds_rows_to_one() -> None:
    """buildbot `db/users.py` (`rules/ORM302/core_unique_index_project/`): `==` filters on
    the columns of a unique `Index` of a Core table return one row, so `fetchall()[0]`
    fetches nothing extra; the plain index on `uid` bounds nothing."""
    metadata = sqlalchemy.MetaData()
    users_info = sqlalchemy.Table(
        "users_info", metadata,
        sqlalchemy.Column("uid", sqlalchemy.Integer, nullable=False),
        sqlalchemy.Column("attr_type", String(32), nullable=False),
        sqlalchemy.Column("attr_data", String(32), nullable=False),
    )
    sqlalchemy.Index("users_info_uid", users_info.c.uid)
    sqlalchemy.Index("users_info_attrs", users_info.c.attr_type, users_info.c.attr_data, unique=True)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(users_info.insert(), [
            {"uid": uid, "attr_type": kind, "attr_data": f"{kind}-{uid}"}
            for uid in range(300) for kind in ("email", "irc", "git")])
        by_unique_set = conn.execute(select(users_info.c.uid).where(
            users_info.c.attr_type == "git", users_info.c.attr_data == "git-42")).fetchall()
        by_plain_index = conn.execute(select(users_info.c.attr_data).where(users_info.c.uid == 42)).fetchall()
        by_one_column = conn.execute(select(users_info.c.uid).where(users_info.c.attr_type == "git")).fetchall()
        assert [row.uid for row in by_unique_set] == [42]  # silent: one row, `[0]` wastes nothing
        assert len(by_plain_index) == 3  # reported: every attribute of the user
        assert len(by_one_column) == 300  # reported: a row per user for `[0]`
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(users_info.insert(), {"uid": 7, "attr_type": "git", "attr_data": "git-42"})
