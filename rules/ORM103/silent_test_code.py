"""ORM103 stays silent in test functions and test classes: a fixture or a test commits a
handful of rows one by one, and the cost of a transaction per row does not arise.

Shape from SQLAlchemy `test/aaa_profiling/test_threading.py` and advanced-alchemy
`tests/integration/test_encrypted_string.py`.
"""
from sqlalchemy.orm import Session

from models import User


def test_insert_each(session: Session, names):
    for name in names:
        session.add(User(name=name))
        session.commit()


class TestUsers:
    def insert_users(self, session: Session, names):
        for name in names:
            session.add(User(name=name))
            session.commit()
