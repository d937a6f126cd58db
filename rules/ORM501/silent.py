"""Look-alikes ORM501 must stay silent on."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, List, Optional

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    age: Mapped[int]
    active: Mapped[bool]
    deleted_at: Mapped[Optional[datetime]]


class Row:
    """An ordinary class: its attributes are plain Python values."""

    def __init__(self, active: bool, age: int) -> None:
        self.active = active
        self.age = age


def proper(session: Session, include_deleted: bool, name: Optional[str]) -> List[User]:
    stmt = select(User).where(
        and_(User.active == True, User.age > 18),
        or_(User.name == "a", User.name == "b"),
        ~User.active,
        not_(User.name == "c"),
        User.age.between(13, 19),
        (User.age > 1) & (User.age < 100),
    )
    # A Python value tested first: Python picks the condition, SQL gets a real clause.
    stmt = stmt.where(include_deleted or User.deleted_at.is_(None))
    stmt = stmt.where(not include_deleted or User.deleted_at.is_(None))
    stmt = stmt.where(User.name == name if name and name.strip() else User.name.is_not(None))
    return list(session.scalars(stmt))


def plain_python(rows: Iterable[Row], a: bool, b: bool) -> List[Row]:
    if a and b or not a:
        pass
    kept = [row for row in rows if row.active and row.age > 18]
    kept = list(filter(lambda row: row.active and not row.age, kept))
    return [row for row in kept if 13 <= row.age <= 19]


def other_filters(frame, items: list, a: int, b: int):
    frame.filter(a > 1 and b > 2)  # no mapped attribute involved
    return frame.where(not items)


def keyword_filters(session: Session, name: str) -> Optional[User]:
    return session.query(User).filter_by(name=name, active=True).first()


def outside_conditions(flag: bool) -> object:
    # not a condition position: a Python truth test of the clause is not this rule's business
    chosen = User.name if flag and User.active is not None else User.age
    return chosen
