"""ORM102: sessions created outside `with` that a path leaves open."""
import sqlalchemy.orm as orm
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


def returns_without_closing(user_id):
    session = SessionLocal()  # expect: ORM102
    return session.get(User, user_id)


def falls_off_the_end(user_id):
    session = Session(engine)  # expect: ORM102
    print(session.get(User, user_id))


def reads_after_the_last_commit(name):
    session = Session(engine)  # expect: ORM102
    user = User(name=name)
    session.add(user)
    session.commit()
    return user.id  # the expired attribute loads again: a new transaction, left open


def closes_only_on_the_happy_path(user_id):
    session = SessionLocal()  # expect: ORM102
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    session.close()
    return user


def closes_in_one_branch(names, dry_run):
    session = SessionLocal()  # expect: ORM102
    session.add_all([User(name=n) for n in names])
    if dry_run:
        return 0
    session.commit()
    session.close()
    return len(names)


def continue_skips_the_close(batches):
    for batch in batches:
        session = SessionLocal()  # expect: ORM102
        if not batch:
            continue
        session.add_all(batch)
        session.commit()
        session.close()


def temporary_session():
    return Session(engine).scalars(select(User)).all()  # expect: ORM102


def temporary_from_a_factory():
    return SessionLocal().query(User).count()  # expect: ORM102


def maker_called_in_place(url):
    session = orm.sessionmaker(bind=create_engine(url))()  # expect: ORM102
    return session.scalars(select(User.name)).all()


def annotated_local(user_id) -> str:
    session: Session = SessionLocal()  # expect: ORM102
    return session.get(User, user_id).name


def maker_configured_elsewhere(user_id):
    # a sessionmaker made without a bind is bound later by `maker.configure(bind=...)`
    maker = sessionmaker()
    session = maker()  # expect: ORM102
    return session.get(User, user_id)
