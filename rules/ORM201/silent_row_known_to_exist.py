"""Look-alikes from the real-world corpus (issue 7): the row is known to be there, or the
missing case ends the path through a helper of the module. Each was a false alarm once."""
from typing import NoReturn

import sqlalchemy as sa
from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import Address, Node, Parent, TaskInstance, User


# -- a helper of this module that never returns --------------------------------------------------
# airflow `ti_put_rtif`: `if not ti: _raise_ti_not_in_live_table(...)`, annotated NoReturn.
def _raise_not_in_live_table(task_instance_id, session: Session) -> NoReturn:
    if session.scalar(select(sa.func.count()).where(TaskInstance.id == task_instance_id)):
        raise HTTPException(status_code=410)
    raise HTTPException(status_code=404)


def put_rtif(task_instance_id, payload, session: Session):
    task_instance = session.scalar(select(TaskInstance).where(TaskInstance.id == task_instance_id))
    if not task_instance:
        _raise_not_in_live_table(task_instance_id, session)
    task_instance.update_rtif(payload, session=session)


# Not annotated, but every path through the body ends in `raise`.
def _not_found(kind, key):
    detail = f"{kind} {key} not found"
    raise HTTPException(status_code=404, detail=detail)


def show_user(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        _not_found("user", user_id)
    return user.name


class Store:
    def _raise_missing(self, model_id) -> "NoReturn":
        raise KeyError(model_id)

    def logged_model(self, session: Session, model_id):
        model = session.query(User).filter(User.id == model_id).first()
        if not model:
            self._raise_missing(model_id)
        return model.to_entity()


# -- the function wrote the row just before reading it back --------------------------------------
# SQLAlchemy's sharding examples, sqlmodel's uuid tutorial: add, commit, get by the new id.
def read_back_by_id(engine):
    tokyo = User(name="Tokyo")
    newyork = User(name="New York")
    with Session(engine) as sess:
        sess.add_all([tokyo, newyork])
        sess.commit()
        t = sess.get(User, tokyo.id)
        assert t.name == tokyo.name


def read_back_through_a_name(engine):
    with Session(engine) as session:
        hero = User(name="Spider-Boy")
        session.add(hero)
        session.commit()
        hero_id = hero.id
        selected = session.get(User, hero_id)
        print(selected.id)


def read_back_legacy_get(sess: Session):
    a1 = User(name="a1")
    sess.add(a1)
    sess.commit()
    a1 = sess.query(User).get(a1.id)
    assert a1.name == "a1"


# materialized_paths: the ids are given in the constructors.
def move_nodes(session: Session):
    session.add_all([Node(id=1, path="1"), Node(id=3, path="1.3"), Node(id=7, path="1.7")])
    session.flush()
    session.query(Node).get(7).move_to(session.query(Node).get(3))


# versioned_update_old_row (a script): the table cannot be empty, this script just added a row.
s = Session()
p1 = Parent(id=1, data="c1")
s.add(p1)
s.commit()
p1_check = s.query(Parent).first()
assert p1_check.child is None


# filter_public: filtered on values the added objects were built with.
def read_back_filtered(sess: Session):
    sess.add_all([User(name="u4", addresses=[Address(email="u4a1"), Address(email="u4a2")])])
    sess.commit()
    a1 = sess.execute(select(Address).filter_by(email="u4a2")).scalar()
    a2 = sess.execute(select(Address).where(Address.email == "u4a1")).scalars().first()
    return a1.user, a2.user


# -- get-or-create: the branch that found nothing inserted the row, then it is read again ---------
# prefect's block-type migrations.
def upgrade(connection, names):
    block_type = sa.table("block_type", sa.column("id"), sa.column("name"))
    for name in names:
        result = connection.execute(
            sa.select(block_type.c.id).where(block_type.c.name == name)
        ).first()
        if result is None:
            connection.execute(sa.insert(block_type).values(name=name))
        result = connection.execute(
            sa.select(block_type.c.id).where(block_type.c.name == name)
        ).first()
        new_id = result[0]
        print(new_id)


def get_or_create(session: Session, name):
    user = session.query(User).filter_by(name=name).first()
    if not user:
        session.add(User(name=name))
        session.flush()
    user = session.query(User).filter_by(name=name).first()
    return user.id


# -- a function this module runs only after storing rows of the model -------------------------------
# SQLAlchemy `examples/asyncio/greenlet_orm.py`: `session.run_sync(run_queries)` after `add_all()`.
def run_queries(session):
    result = session.execute(select(Parent))
    for parent in result.scalars():
        print(parent)
    result = session.execute(select(Parent).order_by(Parent.id))
    first = result.scalars().first()
    first.data = "new data"


async def run_all(async_session: AsyncSession):
    async with async_session.begin():
        async_session.add_all([Parent(data="p1"), Parent(data="p2")])
    await async_session.run_sync(run_queries)
    await async_session.commit()
