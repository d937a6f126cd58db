"""ORM101: work that can reach the end of its session without a commit."""
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
import sqlalchemy.orm as orm

from models import Address, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
OtherFactory = orm.sessionmaker(bind=engine)


def with_block_ends_without_commit(name):
    with Session(engine) as session:
        session.add(User(name=name))  # expect: ORM101


def factory_with_block(name):
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)  # expect: ORM101
        session.flush()  # a flush is not a commit


def qualified_factory_and_add_all(names):
    with OtherFactory() as s:
        s.add_all([User(name=n) for n in names])  # expect: ORM101


def commit_only_in_one_branch(name, confirmed):
    with SessionLocal() as session:
        session.add(User(name=name))  # expect: ORM101
        if confirmed:
            session.commit()


def commit_before_the_add(name):
    with Session(engine) as session:
        session.commit()
        session.add(User(name=name))  # expect: ORM101


def return_inside_the_block(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.delete(user)  # expect: ORM101
        return user_id


def local_session_closed(name):
    session = SessionLocal()
    session.add(User(name=name))  # expect: ORM101
    session.close()


def local_session_dropped(name):
    session = Session(engine)
    session.merge(User(name=name))  # expect: ORM101
    print("done")


def closed_in_finally(name):
    session = SessionLocal()
    try:
        session.add(User(name=name))  # expect: ORM101
    finally:
        session.close()


def parameter_session_closed(session: Session, name):
    session.add(User(name=name))  # expect: ORM101
    session.close()


def early_return_skips_commit(name, dry_run):
    with SessionLocal() as session:
        session.add(User(name=name))  # expect: ORM101
        if dry_run:
            return None
        session.commit()


def loop_body_adds_after_last_commit(rows):
    with SessionLocal() as session:
        for row in rows:
            session.commit()
            session.add(User(name=row))  # expect: ORM101


def break_leaves_the_block(rows):
    for row in rows:
        with SessionLocal() as session:
            session.add(Address(email=row))  # expect: ORM101
            if row == "stop":
                break
            session.commit()


def handler_adds_and_ends(name):
    with SessionLocal() as session:
        try:
            session.add(User(name=name))
            session.commit()
        except ValueError:
            session.add(Address(email="failed"))  # expect: ORM101


def two_blocks_same_name(a, b):
    with SessionLocal() as session:
        session.add(User(name=a))
        session.commit()
    with SessionLocal() as session:
        session.add(User(name=b))  # expect: ORM101


with Session(engine) as script_session:
    script_session.add(User(name="seed"))  # expect: ORM101
