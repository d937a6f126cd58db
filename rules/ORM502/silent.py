"""Look-alikes ORM502 must stay silent on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Sequence

from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    ROLES = ("admin", "user")


@dataclass
class Item:
    id: int


def proper(session: Session, ids: Sequence[int]) -> List[User]:
    stmt = select(User).where(User.id.in_(ids), User.id.not_in([1, 2]), User.name.contains("x"))
    return list(session.scalars(stmt))


def python_side(items: Iterable[Item], ids: Sequence[int], role: str) -> List[Item]:
    kept = [item for item in items if item.id in ids]
    kept = list(filter(lambda item: item.id not in ids, kept))
    if role in User.ROLES:  # a class constant, outside any condition
        return kept
    return kept


def by_role(session: Session, role: str) -> List[User]:
    # A plain Python value decides which condition SQLAlchemy gets.
    return list(session.scalars(select(User).where(User.name == role if role in User.ROLES else User.id < 0)))


def keyword_filters(session: Session, name: str) -> List[User]:
    return session.query(User).filter_by(name=name).all()


def not_sql(frame, ids: Sequence[int]):
    return frame.filter(frame.id in ids)  # an unknown object, not a mapped class
