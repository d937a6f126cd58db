"""ORM303 stays silent in test functions and test classes, wherever the file is."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User


def test_users_are_stored(session: Session):
    assert len(session.query(User).all()) == 3


class TestInheritance:
    def check_all(self, session: Session):
        all_users = session.execute(select(User)).scalars().all()
        assert len(all_users) == 3
