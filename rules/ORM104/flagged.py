"""Objects of a sync session read, or returned, after a commit expired them and the session ended."""
from contextlib import contextmanager

from pydantic import BaseModel
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import Address, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


class UserOut(BaseModel):
    name: str


def read_after_with_block(name):
    with Session(engine) as session:
        user = User(name=name)
        session.add(user)
        session.commit()
    return user.name  # expect: ORM104


def primary_key_too(name):
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
    return user.id  # expect: ORM104


def return_inside_block_after_commit(user_id):
    with SessionLocal() as session:
        user = session.get(User, user_id)
        user.name = "renamed"
        session.commit()
        return user  # expect: ORM104


def begin_block_commits_when_it_ends(user_id):
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
    print(user.email)  # expect: ORM104


def return_inside_begin_block(user_id):
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        return user  # expect: ORM104


def maker_begin_block(user_id):
    with SessionLocal.begin() as session:
        user = session.scalars(select(User).where(User.id == user_id)).one()
    return user.name  # expect: ORM104


def list_of_loaded_objects():
    with SessionLocal() as session:
        users = session.scalars(select(User)).all()
        session.commit()
    for user in users:
        print(user.name)  # expect: ORM104
    names = [u.name for u in users]  # expect: ORM104
    return users[0].email, names  # expect: ORM104


def legacy_query():
    with SessionLocal() as session:
        user = session.query(User).filter_by(name="ada").first()
        session.commit()
    return user.email  # expect: ORM104


def execute_scalar_one(user_id):
    with SessionLocal() as session:
        user = session.execute(select(User).where(User.id == user_id)).scalar_one()
        session.commit()
    return user.name  # expect: ORM104


def closed_in_finally(user_id):
    session = SessionLocal()
    try:
        user = session.get(User, user_id)
        user.visits += 1
        session.commit()
        return user  # expect: ORM104
    finally:
        session.close()


def read_after_finally(user_id):
    session = SessionLocal()
    try:
        user = session.get(User, user_id)
        session.commit()
    finally:
        session.close()
    return user.name  # expect: ORM104


def closed_explicitly():
    session = SessionLocal()
    address = Address(street="Main St")
    session.add(address)
    session.commit()
    session.close()
    address.street += " 1"  # expect: ORM104


def with_a_session_object():
    session = Session(engine)
    with session:
        user = session.get(User, 1)
        session.commit()
    return user.name  # expect: ORM104


def added_together():
    first, second = User(name="a"), User(name="b")
    with Session(engine) as session:
        session.add_all([first, second])
        session.commit()
    return second.name  # expect: ORM104


def methods_read_attributes_too():
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
    return user.to_dict()  # expect: ORM104


def validated_into_a_schema():
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
    return UserOut.model_validate(user)  # expect: ORM104


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def read_after_session_scope(user_id):
    with session_scope() as session:
        user = session.get(User, user_id)
    return user.name  # expect: ORM104


def return_from_session_scope(user_id):
    with session_scope() as session:
        user = session.get(User, user_id)
        return user  # expect: ORM104


def return_the_rows_from_session_scope():
    # The block's exit commits (expiring the rows) and closes the session as the function
    # returns (AlmaLinux/albs-web-server 393c6f27: `with open_session() as db: return
    # db.execute(query).scalars().unique().all()`).
    with session_scope() as session:
        return session.execute(select(User)).scalars().unique().all()  # expect: ORM104


def dict_of_loaded_objects(emails):
    # The dict holds the instances: its values are as expired and detached as they are
    # (AlmaLinux/albs-web-server 393c6f27-3: `result[package.sha256] = package`).
    by_email = {}
    with session_scope() as session:
        for user in session.scalars(select(User).where(User.email.in_(emails))):
            by_email[user.email] = user
        return by_email  # expect: ORM104


def list_filled_with_append():
    found = []
    with Session(engine) as session:
        for user in session.scalars(select(User)).all():
            found.append(user)
        session.commit()
    return found[0].name  # expect: ORM104


def unannotated_session_parameter(session, user_id):
    # An unannotated `session` parameter used only as a session (get/commit/close) is one.
    user = session.get(User, user_id)
    session.commit()
    session.close()
    return user.name  # expect: ORM104


def only_on_one_path(user_id, save):
    with Session(engine) as session:
        user = session.get(User, user_id)
        if save:
            session.commit()
    return user.name  # expect: ORM104


def write_does_not_help_other_attributes(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    user.name = "renamed"
    return user.email  # expect: ORM104


def another_query_does_not_reload_it(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
        session.scalars(select(Address)).all()
    return user.name  # expect: ORM104


with Session(engine) as module_session:
    admin = User(name="admin")
    module_session.add(admin)
    module_session.commit()
print(admin.name)  # expect: ORM104
