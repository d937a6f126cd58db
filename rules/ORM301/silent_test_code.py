"""ORM301 stays silent in test functions and test classes."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User


def test_admins(session: Session):
    admins = [u for u in session.scalars(select(User)) if u.role == "admin"]
    assert len(admins) == 1


class TestUsers:
    def check(self, session: Session):
        users = session.scalars(select(User)).all()
        found = [u for u in users if u.email == "a@x"]
        assert found
