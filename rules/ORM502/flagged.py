from __future__ import annotations

from typing import List, Sequence

from sqlalchemy import Table, Column, Integer, MetaData, and_, delete, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    status: Mapped[str]


audit = Table("audit", MetaData(), Column("user_id", Integer))


def by_ids(session: Session, ids: Sequence[int]) -> List[User]:
    # False: every `==` clause is falsy, so `in` never finds the column: no rows
    return list(session.scalars(select(User).where(User.id in ids)))  # expect: ORM502:52


def except_ids(session: Session, ids: Sequence[int]) -> List[User]:
    # True: the condition is dropped and every row comes back
    return session.query(User).filter(User.id not in ids).all()  # expect: ORM502:39


def by_literal(session: Session) -> List[User]:
    return session.query(User).filter(User.status in ("active", "pending")).all()  # expect: ORM502:39


def by_parenthesised_string(session: Session) -> List[User]:
    # ("active") is a string, not a tuple: TypeError
    return session.query(User).filter(User.status in ("active")).all()  # expect: ORM502:39


def by_subquery(session: Session) -> List[User]:
    # TypeError: argument of type 'Select' is not iterable
    return list(session.scalars(select(User).where(User.id in select(audit.c.user_id))))  # expect: ORM502:52


def contained(session: Session) -> List[User]:
    # NotImplementedError: Operator 'contains' is not supported on this expression
    return list(session.scalars(select(User).where("admin" in User.name)))  # expect: ORM502:52


def in_and(session: Session, ids: Sequence[int]) -> List[User]:
    return list(session.scalars(select(User).where(and_(User.name != "x", User.id in ids))))  # expect: ORM502:75


def table_column(session: Session, ids: Sequence[int]) -> None:
    session.execute(delete(audit).where(audit.c.user_id in ids))  # expect: ORM502:41


def aliased_entity(session: Session, ids: Sequence[int]) -> None:
    other = aliased(User)
    session.execute(update(other).where(other.id in ids).values(status="gone"))  # expect: ORM502:41


def collected(session: Session, ids: Sequence[int], statuses: Sequence[str]) -> List[User]:
    conditions = [User.id in ids]  # expect: ORM502:19
    if statuses:
        conditions.append(User.status in statuses)  # expect: ORM502:27
    return list(session.scalars(select(User).where(*conditions)))
