"""Suppressions that suppress nothing."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User


def lookup(session: Session, user_id: int):
    user = session.get(User, user_id)  # noqa: ORM201  # expect: ORM900
    return user


def count(session: Session) -> int:
    rows = session.scalars(select(User)).all()
    total = len(rows)  # noqa: ORM999, E501  # expect: ORM900
    return total + len(rows)  # explain  # noqa: ORM303  # expect: ORM900


def statement(session: Session, user_id: int):
    return session.execute(  # noqa: ORM2, ORM101  # expect: ORM900
        select(User).where(User.id == user_id)
    )
