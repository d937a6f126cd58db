"""ORM302 stays silent when the statement keeps only the row whose `id` equals a value: `id`
is the primary key by the convention nearly every schema follows, so at most one row comes
back and `rows[0]` costs what `.first()` would. Shape from buildbot `db/masters.py`
(`setMasterState`), where the condition sits in a local name.
"""
import sqlalchemy as sa
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models import User


def master_was_active(conn, masters, masterid):
    whereclause = masters.c.id == masterid
    rows = conn.execute(sa.select(masters.c.active).where(whereclause)).fetchall()
    if not rows:
        return False
    return bool(rows[0].active)


def user_by_id(session: Session, user_id: int) -> User:
    return session.scalars(select(User).where(User.id == user_id)).all()[0]


def legacy_filter_by(session: Session, user_id: int) -> User:
    return session.query(User).filter_by(id=user_id).all()[0]


def among_other_conditions(session: Session, user_id: int) -> User:
    return session.scalars(select(User).where(and_(User.active, User.id == user_id))).all()[0]


def value_on_the_left(session: Session, user_id: int) -> User:
    return session.query(User).filter(user_id == User.id).all()[0]
