"""ORM102 stays silent on an unbound `Session()`: with no bind it cannot check out a
connection (a query or a flush raises UnboundExecutionError), so `close()` has nothing to
give back. Shape from advanced-alchemy `repository/memory/base.py`, which uses a throwaway
session to collect the objects a cascade would add.
"""
from sqlalchemy.orm import Session


def new_instances(instance):
    session = Session()
    session.add(instance)
    relations = list(session.new)
    session.expunge_all()
    return relations


def pending_count(instances):
    return len(Session(autoflush=False).new)
