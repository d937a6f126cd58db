"""ORM101 look-alikes, class F: the session's transaction is ended through the transaction
object (`t = session.begin()` / `t = session.get_transaction()`, then `t.commit()`,
`t.rollback()` or `t.close()`, which rolls back).

Shapes from SQLAlchemy `test/orm/test_bind.py` and `test/orm/test_transaction.py`.
"""
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")


def rolled_back_through_the_transaction():
    c = engine.connect()
    sess = Session(bind=c)
    sess.begin()
    transaction = sess.get_transaction()
    u = User(name="u1")
    sess.add(u)
    sess.flush()
    transaction.rollback()
    assert len(sess.query(User).all()) == 0
    sess.close()


def committed_through_the_transaction(name):
    session = Session(engine)
    transaction = session.begin()
    session.add(User(name=name))
    transaction.commit()
    session.close()


def closed_transaction(connection):
    s = Session(bind=engine)
    s.begin()
    tran = s.get_transaction()
    s.add(User(name="first"))
    s.flush()
    assert s.get_transaction() is tran
    tran.close()
