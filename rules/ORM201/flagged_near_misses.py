"""ORM201 near misses of the silent cases in `silent_row_known_to_exist.py`: each still reads
a row that may be missing."""
import sqlalchemy as sa
from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import Address, Node, Parent, User


def _maybe_raise(user_id):
    if user_id is None:
        raise HTTPException(status_code=404)
    return None


def _log_missing(user_id):
    print("missing", user_id)


def helper_may_return(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    if user is None:
        _maybe_raise(user_id)
    return user.name


def helper_only_logs(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    if user is None:
        _log_missing(user_id)
    return user.name


def other_id_than_written(session: Session, user_id):
    session.add(User(id=1, name="ann"))
    session.commit()
    user = session.get(User, user_id)  # expect: ORM201
    return user.name


def deleted_in_between(session: Session):
    user = User(name="ann")
    session.add(user)
    session.commit()
    session.delete(user)
    session.commit()
    again = session.get(User, user.id)  # expect: ORM201
    return again.name


def rolled_back_in_between(session: Session):
    session.add(Node(id=7, path="1.7"))
    session.rollback()
    return session.query(Node).get(7).path  # expect: ORM201


def other_model_written(session: Session):
    session.add(Parent(id=1, data="c1"))
    session.commit()
    newest = session.query(User).order_by(User.id.desc()).first()  # expect: ORM201
    return newest.name


def filtered_on_other_value(session: Session, email):
    session.add_all([User(name="u4", addresses=[Address(email="u4a1")])])
    session.commit()
    a1 = session.execute(select(Address).filter_by(email=email)).scalar()  # expect: ORM201
    a2 = session.execute(select(Address).where(Address.email != "u4a1")).scalars().first()  # expect: ORM201
    return a1.user, a2.user


def written_by_another_function(session: Session):
    # the rows were added somewhere else: the table may be empty here
    newest = session.scalars(select(User).order_by(User.id)).first()  # expect: ORM201
    newest.data = "new data"


def written_on_another_session(session: Session, other: Session):
    user = User(name="ann")
    other.add(user)
    found = session.query(User).filter_by(name="ann").first()  # expect: ORM201
    return found.id


def read_again_without_insert(connection, name):
    block_type = sa.table("block_type", sa.column("id"), sa.column("name"))
    result = connection.execute(sa.select(block_type.c.id).where(block_type.c.name == name)).first()
    if result is None:
        print("no block type", name)
    result = connection.execute(sa.select(block_type.c.id).where(block_type.c.name == name)).first()  # expect: ORM201
    return result[0]


def different_query_after_insert(session: Session, name):
    user = session.query(User).filter_by(name=name).first()
    if not user:
        session.add(User(name=name))
    user = session.query(User).filter_by(email=name).first()  # expect: ORM201
    return user.id


def written_in_a_loop_that_may_not_run(session: Session, paths):
    for path in paths:
        session.add(Node(path=path))
    session.flush()
    root = session.query(Node).first()  # expect: ORM201
    return root.path


def written_in_a_branch(session: Session, seed: bool):
    if seed:
        session.add(Parent(id=1, data="c1"))
    parent = session.query(Parent).first()  # expect: ORM201
    return parent.data


def written_in_a_try_that_may_fail(session: Session, log):
    try:
        session.add(Parent(id=1, data="c1"))
        session.commit()
    except Exception:
        log.exception("seed failed")
    parent = session.query(Parent).first()  # expect: ORM201
    return parent.data


def key_is_not_an_identity(session: Session):
    session.add(Node(id=1, depth=5))
    session.commit()
    node = session.get(Node, 5)  # expect: ORM201
    return node.path


def key_of_another_model(session: Session):
    address = Address(email="a@x", user_id=7)
    session.add(address)
    session.commit()
    owner = session.get(User, address.user_id)  # expect: ORM201
    return owner.name


def filtered_statement_after_storing(session: Session, name):
    # `session.scalar(select(...).where(...))` is filtered, although the session it runs on is not.
    session.add(User(name="ann"))
    session.commit()
    user = session.scalar(select(User).where(User.name == name))  # expect: ORM201
    return user.id


# A function run through `run_sync()` by a caller that stored nothing of the model first.
def read_first_parent(session):
    parent = session.execute(select(Parent).order_by(Parent.id)).scalars().first()  # expect: ORM201
    parent.data = "changed"


async def read_without_storing(async_session: AsyncSession):
    async_session.add_all([User(name="u1")])
    await async_session.run_sync(read_first_parent)


# Also handed to something else: it may run where nothing was stored.
def read_first_address(session):
    address = session.execute(select(Address).order_by(Address.id)).scalars().first()  # expect: ORM201
    address.email = "changed"


async def read_after_storing(async_session: AsyncSession, scheduler):
    async_session.add_all([Address(email="a@x")])
    await async_session.run_sync(read_first_address)
    scheduler.every_hour(read_first_address)
