"""Query helpers of the project: what they return decides what their callers must check."""
from typing import Optional

from sqlalchemy import func, orm

from models import Item


def _model_query(session, *args):
    return session.query(*args)


def base_query(session, model):
    query = _model_query(session, model)
    query = query.filter_by(deleted_at=None)
    return query


def with_details(query):
    return query.options(orm.joinedload(Item.owner))


def get_by_name(session, name) -> Optional[Item]:
    return session.query(Item).filter_by(name=name).first()


def lookup(session, name):
    # Unannotated: its callers are not told a row may be missing (on real code these were
    # mostly lookups of rows that exist by the caller's invariant), so they stay silent.
    return session.query(Item).filter_by(name=name).first()


def get_or_raise(session, name):
    return session.query(Item).filter_by(name=name).one()


def get_checked(session, name):
    item = session.query(Item).filter_by(name=name).first()
    if item is None:
        raise LookupError(name)
    return item


def newest_number(session):
    return _model_query(session, func.max(Item.number)).first()[0] or 0  # silent: an aggregate row always exists
