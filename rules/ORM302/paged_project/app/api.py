"""Flexget 56957a94 and d36b6928: a page of rows from a helper of another module, turned
into dicts and sorted in Python, which orders only the rows the page happened to hold."""
from operator import itemgetter

from app import seen


def seen_entries(session, page, page_size, sort_by, order):
    start = page_size * (page - 1)
    raw = seen.search(start=start, stop=start + page_size, session=session)
    converted = [entry.to_dict() for entry in raw.all()]
    return sorted(converted, key=itemgetter(sort_by), reverse=order)  # expect: ORM302


def seen_rows(session, page, size):
    rows = seen.page_of_rows(session, page, size)
    return sorted(rows, key=lambda row: row.title)  # expect: ORM302


def ordered_entries(session, start, stop):
    raw = seen.ordered_search(start=start, stop=stop, session=session)
    converted = [entry.to_dict() for entry in raw]
    return sorted(converted, key=itemgetter("title"))  # ordered before the cut: a stable page


def top_entries(session):
    rows = session.query(seen.SeenEntry).limit(10).all()
    return sorted(rows, key=lambda row: row.title)  # the first rows, no page after them
