"""ORM101 look-alikes, class C: the session is joined to a Connection whose transaction this
function begins and ends itself (`trans = conn.begin()` ... `trans.commit()`), so the
flushed rows are committed (or rolled back on purpose) through the connection.

Shapes from SQLAlchemy `test/orm/test_transaction.py`.
"""
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")


def external_transaction_committed():
    connection = engine.connect()
    trans = connection.begin()
    sess = Session(bind=connection, autoflush=True)
    u = User(name="ed")
    sess.add(u)
    sess.flush()
    sess.commit()  # does not commit the connection's transaction...
    trans.commit()  # ...this does
    connection.close()


def external_transaction_rolled_back():
    connection = engine.connect()
    trans = connection.begin()
    sess = Session(bind=connection, autoflush=True)
    u1 = User(name="u1")
    sess.add(u1)
    sess.flush()
    savepoint = sess.begin_nested()
    sess.add(User(name="u2"))
    sess.flush()
    savepoint.rollback()
    trans.rollback()
    sess.close()


def connection_commit_as_you_go():
    with engine.connect() as connection:
        connection.begin()
        sess = Session(bind=connection, autoflush=True)
        sess.add(User(name="u1"))
        sess.flush()
        connection.commit()
