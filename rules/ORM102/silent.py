"""ORM102 look-alikes: every session here is closed, handed on, or owned by someone else."""
import atexit
from contextlib import closing, contextmanager

from alembic import op
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, create_engine, select
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from models import User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
Scoped = scoped_session(SessionLocal)
db = SQLAlchemy()
module_session = SessionLocal()


def with_block(user_id):
    with SessionLocal() as session:
        return session.get(User, user_id)


def finally_close(user_id):
    session = SessionLocal()
    try:
        return session.get(User, user_id)
    finally:
        session.close()


def created_inside_try_closed_if_present(user_id):
    session = None
    try:
        session = SessionLocal()
        return session.get(User, user_id)
    finally:
        if session is not None:
            session.close()


def closed_on_every_normal_path(user_id):
    session = SessionLocal()
    user = session.get(User, user_id)
    if user is None:
        session.close()
        return None
    name = user.name
    session.close()
    return name


def closing_helper(user_id):
    with closing(SessionLocal()) as session:
        return session.get(User, user_id)


def session_as_context_manager(user_id):
    session = SessionLocal()
    with session:
        return session.get(User, user_id)


def get_db():
    db_session = SessionLocal()
    try:
        yield db_session
    finally:
        db_session.close()


def factory():
    session = SessionLocal()
    session.info["tenant"] = "main"
    return session


def passed_to_a_repository():
    session = SessionLocal()
    return UserRepository(session)


class UserRepository:
    def __init__(self, session=None):
        self.session = session or SessionLocal()

    def open(self):
        self.session = Session(engine)


def closed_at_exit():
    session = SessionLocal()
    atexit.register(session.close)
    return session.scalars(select(User)).all()


def scoped_sessions():
    session = Scoped()
    return session.scalars(select(User)).all()


def flask_sqlalchemy_session():
    return db.session.scalars(select(User)).all()


def alembic_migration():
    session = Session(bind=op.get_bind())
    for user in session.scalars(select(User)):
        user.name = user.name.strip()
    session.commit()


def borrowed_connection():
    with engine.connect() as connection:
        session = Session(bind=connection)
        session.execute(select(User))


def annotated_connection(connection: Connection):
    session = Session(connection)
    session.execute(select(User))


def begin_block_on_a_temporary(name):
    with Session(engine).begin() as transaction:
        transaction.session.add(User(name=name))


def invalidated(user_id):
    session = SessionLocal()
    try:
        return session.get(User, user_id)
    except Exception:
        session.invalidate()
        raise
    finally:
        session.close()


def reraise_inside_a_handled_try(user_id):
    session = SessionLocal()
    try:
        if user_id is None:
            raise ValueError("no id")
        return session.get(User, user_id)
    except ValueError:
        return None
    finally:
        session.close()


def infinite_worker(queue):
    session = SessionLocal()
    while True:
        job = queue.get()
        session.add(job)
        session.commit()


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    finally:
        session.close()


def returns_a_lazy_query(name):
    # The caller iterates the query later, through this session: closing here breaks it.
    session = SessionLocal()
    return session.query(User).filter_by(name=name)


def returns_a_result(stmt):
    session = SessionLocal()
    result = session.execute(stmt)
    return result


def closed_by_a_finalizer(request):
    session = SessionLocal()
    request.add_finalizer(lambda: session.close())
    return session.scalars(select(User)).all()
