"""Look-alikes ORM503 must stay silent on."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    deleted_at: Mapped[Optional[datetime]]
    nickname: Mapped[Optional[str]]

    @property
    def label(self) -> str:
        return str(self.id)


class Record:
    """Not mapped: `Record.deleted_at` is a plain class attribute."""

    deleted_at: Optional[datetime] = None


def proper(session: Session) -> List[User]:
    stmt = select(User).where(User.deleted_at.is_(None), User.nickname.is_not(None))
    stmt = stmt.where(User.nickname == None)  # noqa: E711 - SQLAlchemy builds IS NULL
    return list(session.scalars(stmt))


def python_side(users: Iterable[User], records: Iterable[Record]) -> List[object]:
    kept: List[object] = [user for user in users if user.deleted_at is None]
    kept += list(filter(lambda r: r.deleted_at is None, records))
    return kept


def not_a_column(session: Session, frame) -> List[User]:
    session.query(User).filter(User.label is None)  # a property, not a column: not this rule
    frame.filter(Record.deleted_at is None)  # not a mapped class
    return session.query(User).filter_by(deleted_at=None).all()


def python_condition(session: Session, cutoff: Optional[datetime]) -> List[User]:
    # The Python test picks the condition; SQLAlchemy only sees real clauses.
    stmt = select(User).where(User.deleted_at < cutoff if cutoff is not None else User.deleted_at.is_(None))
    return list(session.scalars(stmt))


def is_deleted_clause():
    return Record.deleted_at is None


def helper_used_in_python(session: Session, user: User) -> bool:
    # The helper's `is` test is Python's: it is never handed to a filter.
    return is_deleted_clause() and user.nickname is None


def proper_helper():
    return User.deleted_at.is_(None)


def helper_in_a_filter(session: Session) -> List[User]:
    return list(session.scalars(select(User).where(proper_helper())))
