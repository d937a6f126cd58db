from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, with_loader_criteria
from sqlalchemy.ext.hybrid import hybrid_property


class Base(DeclarativeBase):
    pass


class SoftDelete:
    deleted_at: Mapped[Optional[datetime]] = mapped_column(default=None)

    @classmethod
    def alive(cls):
        return select(cls).where(cls.deleted_at is None)  # expect: ORM503:34


class User(SoftDelete, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str]
    last: Mapped[Optional[str]]
    verified: Mapped[Optional[bool]]

    @hybrid_property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    @full_name.inplace.expression
    @classmethod
    def _full_name(cls):
        return cls.first + " " + cls.last


def live_users(session: Session) -> List[User]:
    # `is None` is answered by Python: `WHERE false`, no rows at all
    return list(session.scalars(select(User).where(User.deleted_at is None)))  # expect: ORM503:52


def deleted_users(session: Session) -> List[User]:
    # `is not None` is `True`: the filter disappears and every user comes back
    return session.query(User).filter(User.deleted_at is not None).all()  # expect: ORM503:39


def unverified(session: Session) -> List[User]:
    return session.query(User).filter(User.verified is not True).all()  # expect: ORM503:39


def reversed_operands(session: Session) -> List[User]:
    return session.query(User).filter(None is User.last).all()  # expect: ORM503:39


def hybrid(session: Session) -> List[User]:
    return list(session.scalars(select(User).where(User.full_name is not None)))  # expect: ORM503:52


def function_of_column(session: Session) -> List[User]:
    return list(session.scalars(select(User).where(func.lower(User.last) is None)))  # expect: ORM503:52


def nested(session: Session, flag: bool) -> List[User]:
    stmt = select(User).where(
        or_(
            User.verified == True,
            User.last is None,  # expect: ORM503:13
        )
    )
    return list(session.scalars(stmt))


def labelled(session: Session) -> list:
    label = case((User.last is None, "anonymous"), else_=User.last)  # expect: ORM503:19
    return list(session.execute(select(User.id, label)))


def soft_delete(session: Session) -> None:
    session.execute(update(User).where(User.deleted_at is None).values(verified=False))  # expect: ORM503:40


def everywhere(session: Session) -> List[User]:
    option = with_loader_criteria(User, User.deleted_at is None)  # expect: ORM503:41
    return list(session.scalars(select(User).options(option)))


def with_list(session: Session, only_live: bool) -> List[User]:
    filters = []
    if only_live:
        filters.append(User.deleted_at is None)  # expect: ORM503:24
    return session.query(User).filter(*filters).all()


def visible_clause():
    # A helper of this module whose result a filter receives is part of the condition.
    return or_(User.verified == True, User.deleted_at is not None)  # expect: ORM503:39


def visible(session: Session) -> List[User]:
    return session.query(User).filter(visible_clause()).all()


class Listing:
    @staticmethod
    def _context_filter():
        # infobyte/faraday 122ca0d6: `(Permission.user_id == uid) | (Workspace.public is True)`
        # returned by a helper and passed as `.filter(self._context_filter())`.
        return (User.id == 1) | (User.verified is True)  # expect: ORM503:34

    def ids(self, session: Session) -> List[int]:
        return list(session.scalars(select(User.id).where(self._context_filter())))
