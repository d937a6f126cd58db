"""The request's session, made in a module of its own (qualicharge `db.py`): the session
class under another name, and a factory that is not called `SessionLocal`."""
from typing import Generator

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session as SMSession

engine = create_engine("sqlite://")
Factory = sessionmaker(engine)


def get_session() -> Generator[SMSession, None, None]:
    with SMSession(bind=engine) as session:
        yield session


def get_factory_session():
    session = Factory()
    try:
        yield session
    finally:
        session.close()


def get_committing_session():
    with SMSession(bind=engine) as session:
        yield session
        session.commit()
