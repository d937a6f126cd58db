"""ORM303 stays silent in files under `tests/`: a test counts its few fixture rows on purpose."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Activity, User


def assert_no_activity(session: Session):
    activities = session.query(Activity).all()
    assert len(activities) == 0


def count_users(session: Session):
    rows = session.scalars(select(User)).all()
    return len(rows)
