"""Query helpers: `search()` cuts its query to a page before ordering it; `ordered_search()`
orders first; `recent()` takes the first rows without an offset."""
from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class SeenEntry(Base):
    __tablename__ = "seen_entry"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    added = Column(DateTime)


def search(start=None, stop=None, count=False, session=None):
    query = session.query(SeenEntry)
    if count:
        return query.count()
    query = query.slice(start, stop).from_self()
    return query.order_by(SeenEntry.added)


def ordered_search(start=None, stop=None, session=None):
    query = session.query(SeenEntry).order_by(SeenEntry.added)
    return query.slice(start, stop)


def page_of_rows(session, page, size):
    query = session.query(SeenEntry)
    return query.offset(page * size).limit(size).all()
