"""Test helpers (a `tests/` directory): a missing row fails the test, as it should."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User


def newest_user(session: Session):
    return session.scalars(select(User).order_by(User.id.desc())).first().name
