"""ORM302 stays silent in test functions and test classes: they load every row on purpose."""
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import User


def test_joined_eager_loading(session: Session):
    a1 = session.query(User).options(joinedload(User.orders)).all()[0]
    assert a1.orders


class TestSession:
    def go(self, session: Session):
        u1 = session.execute(select(User)).scalars().all()[0]
        assert u1.name
