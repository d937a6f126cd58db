"""Bulk imports and small helpers around them."""
from typing import List

from sqlalchemy.orm import Session

from .db import SessionLocal, engine
from .models import User


def import_users(names: List[str]) -> None:
    with SessionLocal() as session:
        for name in names:
            session.add(User(name=name))
            session.commit()  # mistake: one transaction (and one disk sync) per row; commit once after the loop


def count_users() -> int:
    session = Session(engine)  # mistake: never closed: its connection stays checked out until the garbage collector runs
    return session.query(User).count()


def create_user(name: str) -> int:
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
    return user.id  # mistake: commit() expired `user` and the session is closed: DetachedInstanceError
