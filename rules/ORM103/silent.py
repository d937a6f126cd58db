"""ORM103 look-alikes: batches, per-item isolation on purpose, queue consumers."""
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import Tag, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


def commit_after_the_loop(session: Session, names):
    for name in names:
        session.add(User(name=name))
    session.commit()


def batches_of_a_thousand(session: Session, names):
    for index, name in enumerate(names, start=1):
        session.add(User(name=name))
        if index % 1000 == 0:
            session.commit()
    session.commit()


def each_item_isolated_on_purpose(session: Session, names):
    for name in names:
        try:
            session.add(User(name=name))
            session.commit()
        except IntegrityError:
            session.rollback()


def begin_block_per_item(session: Session, names):
    for name in names:
        with session.begin():
            session.add(User(name=name))


def maker_begin_per_item(names):
    for name in names:
        with SessionLocal.begin() as session:
            session.add(User(name=name))


def session_per_item(names):
    for name in names:
        with SessionLocal() as session:
            session.add(User(name=name))
            session.commit()


def inner_loop_is_the_batch(session: Session, groups):
    for group in groups:
        for name in group:
            session.add(User(name=name))
        session.commit()


def add_all_per_chunk(session: Session, chunks):
    for chunk in chunks:
        session.add_all(chunk)
        session.commit()


def queue_consumer(session: Session, queue):
    while True:
        name = queue.get()
        session.add(User(name=name))
        session.commit()


def no_add_in_the_loop(session: Session, users):
    for user in users:
        user.active = False
        session.commit()


def different_sessions(session: Session, audit: Session, names):
    for name in names:
        audit.add(Tag(name=name))
        session.commit()


def callback_defined_in_the_loop(session: Session, names):
    callbacks = []
    for name in names:
        def save(name=name):
            session.add(User(name=name))
            session.commit()
        callbacks.append(save)
    return callbacks


def not_a_session(cache, names):
    for name in names:
        cache.add(name)
        cache.commit()


def first_valid_only(session: Session, candidates):
    for name in candidates:
        if not name:
            continue
        session.add(User(name=name))
        session.commit()
        break
