"""ORM101 look-alikes: every add here is committed, owned by someone else, or not a session."""
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from models import User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
Scoped = scoped_session(SessionLocal)


def committed(name):
    with Session(engine) as session:
        session.add(User(name=name))
        session.commit()


def begin_block(name):
    with Session(engine) as session:
        with session.begin():
            session.add(User(name=name))


def begin_in_same_with(name):
    with Session(engine) as session, session.begin():
        session.add(User(name=name))


def maker_begin(name):
    with SessionLocal.begin() as session:
        session.add(User(name=name))


def rolled_back_on_purpose(name):
    with SessionLocal() as session:
        session.add(User(name=name))
        session.rollback()


def parameter_session(session: Session, name):
    # The caller owns the transaction.
    session.add(User(name=name))


def unannotated_parameter(session, name):
    session.add(User(name=name))


def not_a_session(items):
    seen = set()
    seen.add(1)
    items.add("x")
    cart = Cart()
    cart.add(2)
    return seen


def returned_to_caller(name):
    session = SessionLocal()
    session.add(User(name=name))
    return session


def handed_to_a_helper(name):
    with SessionLocal() as session:
        session.add(User(name=name))
        save_all(session)


def stored_on_self(self, name):
    session = SessionLocal()
    self.session = session
    session.add(User(name=name))


def commit_in_every_branch(name, flag):
    with SessionLocal() as session:
        session.add(User(name=name))
        if flag:
            session.commit()
        else:
            session.commit()


def raise_path_is_an_error_path(name):
    with SessionLocal() as session:
        session.add(User(name=name))
        if not name:
            raise ValueError("name required")
        session.commit()


def commit_fails_into_handler(name, log):
    with SessionLocal() as session:
        session.add(User(name=name))
        try:
            session.commit()
        except Exception:
            log.exception("commit failed")
            session.rollback()


def scoped_registry_outside_a_view(name):
    Scoped.add(User(name=name))


def loop_commits_each_row(rows):
    with SessionLocal() as session:
        for row in rows:
            session.add(User(name=row))
            session.commit()


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    finally:
        session.close()


def user_context_manager(name):
    with session_scope() as session:
        session.add(User(name=name))


def nested_function_is_its_own_scope(name):
    with SessionLocal() as session:
        def later():
            session.add(User(name=name))
        session.commit()
        return later


def lambda_is_not_run_here(name):
    with SessionLocal() as session:
        callback = lambda: session.add(User(name=name))  # noqa: E731
        session.commit()
        return callback


def while_true_until_commit(name):
    with SessionLocal() as session:
        while True:
            session.add(User(name=name))
            session.commit()
            break


class Cart:
    def add(self, item):
        return item
