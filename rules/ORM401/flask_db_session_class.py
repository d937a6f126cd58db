"""Flask-SQLAlchemy's `db` re-exports SQLAlchemy, so `db.Session(bind=...)` is an ordinary
session (apache-superset's migrations make theirs this way)."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, Integer, Text
from sqlalchemy.orm import declarative_base

db = SQLAlchemy()
Base = declarative_base()


class Slice(Base):
    __tablename__ = "slices"
    id = Column(Integer, primary_key=True)
    params = Column(Text)


def upgrade(bind):
    session = db.Session(bind=bind)
    for slc in session.query(Slice).all():
        try:
            slc.params = slc.params.strip()
            session.merge(slc)
            session.commit()
        except Exception as ex:  # expect: ORM401
            print(ex)
    session.close()


def upgrade_with_rollback(bind):
    session = db.Session(bind=bind)
    for slc in session.query(Slice).all():
        try:
            slc.params = slc.params.strip()
            session.commit()
        except Exception as ex:
            session.rollback()
            print(ex)
    session.close()


class Registry:
    Session = None


registry = Registry()


def not_a_session(bind):
    # `registry.Session` is not Flask-SQLAlchemy's `db`: unknown, so silent.
    session = registry.Session(bind=bind)
    for slc in session.query(Slice).all():
        try:
            session.commit()
        except Exception as ex:
            print(ex)
