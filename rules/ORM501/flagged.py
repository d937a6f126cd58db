from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import ForeignKey, case, func, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    age: Mapped[int]
    active: Mapped[bool]
    deleted_at: Mapped[Optional[datetime]]


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    primary: Mapped[bool]


def adults(session: Session) -> List[User]:
    # `and` keeps `User.active == True` only: the age condition is silently dropped
    stmt = select(User).where(User.active == True and User.age > 18)  # expect: ORM501:31
    return list(session.scalars(stmt))


def adults_raise(session: Session) -> List[User]:
    # TypeError: Boolean value of this clause is not defined
    return session.query(User).filter(User.age > 18 and User.active).all()  # expect: ORM501:39


def named(session: Session, first: str, second: str) -> List[User]:
    # `or` returns its right side: only `name == second` reaches the database
    return session.query(User).filter(User.name == first or User.name == second).all()  # expect: ORM501:39


def inactive(session: Session) -> List[User]:
    return list(session.scalars(select(User).where(not User.active)))  # expect: ORM501:52


def not_named(session: Session, name: str) -> List[User]:
    return list(session.scalars(select(User).where(not (User.name == name))))  # expect: ORM501:52


def teenagers(session: Session) -> List[User]:
    # a chained comparison is an implicit `and`
    return list(session.scalars(select(User).where(13 <= User.age <= 19)))  # expect: ORM501:52


def multi_line(session: Session, name: str) -> Optional[User]:
    return session.scalars(
        select(User).where(
            User.name == name  # expect: ORM501:13
            and User.deleted_at.is_(None)
        )
    ).first()


def in_or(session: Session) -> List[User]:
    # inside or_(): the `and` still runs in Python first
    return list(session.scalars(select(User).where(or_(User.age < 13, User.active == True and User.age > 65))))  # expect: ORM501:71


def joined(session: Session) -> List[User]:
    stmt = select(User).join(Address, Address.user_id == User.id and Address.primary == True)  # expect: ORM501:39
    return list(session.scalars(stmt))


def aliased_users(session: Session) -> List[User]:
    other = aliased(User)
    return list(session.scalars(select(other).where(other.active != False and other.age > 18)))  # expect: ORM501:53


def labels(session: Session) -> list:
    label = case((User.active == True and User.age > 18, "adult"), else_="other")  # expect: ORM501:19
    return list(session.execute(select(User.id, label)))


def counted(session: Session) -> int:
    stmt = select(func.count()).select_from(User).having(func.count() > 1 or func.count() < 10)  # expect: ORM501:58
    return session.scalar(stmt) or 0


def built_up(session: Session, adults_only: bool) -> List[User]:
    condition = User.active == True and User.age > 18  # expect: ORM501:17
    return list(session.scalars(select(User).where(condition)))
