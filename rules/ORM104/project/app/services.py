"""Factories and session scopes imported from another module are resolved through the index."""
from app.db import KeepLoaded, SessionLocal, kept_scope
from .db import session_scope
from .models import User


def create_user(name):
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        return user  # expect: ORM104


def rename(user_id, name):
    with session_scope() as session:
        user = session.get(User, user_id)
        user.name = name
    return user.name  # expect: ORM104


def create_user_kept(name):
    with KeepLoaded() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        return user


def rename_kept(user_id, name):
    with kept_scope() as session:
        user = session.get(User, user_id)
        user.name = name
    return user.id


def health_check():
    from .db import create_session

    with create_session() as session:
        job = session.get(User, 1)
    return job.is_alive()
