"""ORM102 stays silent in test functions and test classes: a session left open in a test is
routine (the test runner's teardown drops the engine and its pool).

Shapes from SQLAlchemy `test/orm/test_session.py` and `test/orm/test_unitofwork.py`.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import User


def test_get_after_flush(engine):
    session = Session(engine)
    session.add(User(name="a"))
    session.flush()
    assert session.get(User, 1) is not None


def test_temporary(engine):
    assert Session(engine).execute(select(User)).all() == []


class TestSessionState:
    def setup_session(self, engine):
        maker = sessionmaker(engine)
        sess = maker()
        return sess.scalars(select(User)).all()

    def test_expunge(self, engine):
        sess = Session(engine)
        user = sess.get(User, 1)
        sess.expunge(user)
