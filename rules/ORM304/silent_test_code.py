"""ORM304 stays silent in test functions and test classes: a query per fixture row costs nothing."""
from sqlalchemy.orm import Session

from models import User


def test_cleanup(session: Session, user_ids):
    for user_id in user_ids:
        user = session.get(User, user_id)
        if user:
            session.delete(user)
    session.commit()


class TestUsers:
    def teardown(self, session: Session, user_ids):
        for user_id in user_ids:
            session.delete(session.get(User, user_id))
