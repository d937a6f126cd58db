"""ORM101 look-alikes, class A (test code): a file under `tests/` flushes and asserts inside
a transaction it throws away on purpose, so each test starts from an empty database.

Shapes from advanced-alchemy `tests/integration/test_bigint_identity.py` and SQLAlchemy
`test/orm/test_unitofwork.py`; no function here is named `test_*`: the directory decides.
"""
from sqlalchemy.orm import Session

from models import Address, User


def check_identity_column(engine):
    with Session(engine) as session:
        user = User(name="a")
        session.add(user)
        session.flush()
        assert user.id is not None


def check_delete_cascade(engine):
    session = Session(engine)
    user = User(name="b", addresses=[Address(email="b@example.com")])
    session.add(user)
    session.flush()
    session.delete(user)
    session.flush()
    assert session.query(Address).count() == 0
    session.close()
