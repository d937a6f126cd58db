"""ORM101: the near relatives of the silent classes that still lose their work."""
import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker()
SessionLocal.configure(bind=engine)


def joined_but_never_flushed(connection):
    # A caller's connection keeps flushed rows only: this add is never flushed.
    with Session(connection) as session:
        session.add(User(name="lost"))  # expect: ORM101


def engine_parameter(engine: Engine, name):
    with Session(engine) as session:
        session.add(User(name=name))  # expect: ORM101
        session.flush()


def engine_parameter_by_name(db_engine, name):
    with Session(db_engine) as session:
        session.add(User(name=name))  # expect: ORM101
        session.flush()


def own_connection_without_a_transaction():
    # The session begins the connection's transaction itself, and close() rolls it back.
    conn = engine.connect()
    session = Session(bind=conn)
    session.add(User(name="x"))  # expect: ORM101
    session.flush()
    session.close()


def add_after_the_expected_error(rows):
    with Session(engine) as session:
        with pytest.raises(IntegrityError):
            session.flush()
        session.add(User(name="after"))  # expect: ORM101


def expected_error_elsewhere(rows):
    with Session(engine) as session:
        session.add(User(name="x"))  # expect: ORM101
        with pytest.raises(ValueError):
            int("x")


def maker_without_arguments_is_bound(name):
    with SessionLocal() as session:
        session.add(User(name=name))  # expect: ORM101


def savepoint_release_is_not_a_commit(name):
    with Session(engine) as session:
        savepoint = session.begin_nested()
        session.add(User(name=name))  # expect: ORM101
        savepoint.commit()


def expunge_of_another_object(user, other):
    with Session(engine) as session:
        session.add(user)  # expect: ORM101
        session.expunge(other)


def expunge_after_flush(name):
    # The INSERT is already in the transaction: expunging the object does not take it back,
    # and close() rolls it back (SQLAlchemy test/orm/test_selectable.py shape, outside a test).
    session = Session(bind=engine)
    session.add(User(name=name))  # expect: ORM101
    session.flush()
    session.expunge_all()
    session.close()


def expunge_after_autoflush(user):
    with Session(engine) as session:
        session.add(user)  # expect: ORM101
        session.scalars(select(User)).all()
        session.expunge(user)


class Testimonial:
    # An application class whose name merely starts with "Test".
    def save(self, text):
        with Session(engine) as session:
            session.add(User(name=text))  # expect: ORM101


def testing_helper_is_not_a_test(name):
    with Session(engine) as session:
        session.add(User(name=name))  # expect: ORM101


def two_sessions_one_name(a, b):
    sess = Session(engine)
    sess.add(User(name=a))  # expect: ORM101
    sess.close()
    sess = Session(engine)
    sess.add(User(name=b))
    sess.commit()
    sess.close()
