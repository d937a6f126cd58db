"""ORM101 look-alikes, class E: a `Session()` with no bind can track objects but never write
them, so what is added to it is not meant to be stored; and `expunge_all()` / `expunge(obj)`
take the pending objects back on purpose.

Shapes from advanced-alchemy `repository/memory/base.py` and SQLAlchemy
`test/orm/test_cascade.py` / `test/orm/test_bind.py`.
"""
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")


class SQLAlchemyMultiStore:
    @staticmethod
    def _new_instances(instance):
        session = Session()
        session.add(instance)
        relations = list(session.new)
        session.expunge_all()
        return relations


def cascades_on_collection(a1, b1):
    s = Session()
    s.add(a1)
    b1.a = a1
    assert b1 in s


def unbound_flush_raises(Foo):
    sess = Session()
    sess.add(Foo())
    try:
        sess.flush()
    except Exception:
        pass


def preview_then_take_back(user):
    with Session(engine) as session:
        session.add(user)
        pending = list(session.new)
        session.expunge(user)
        return pending
