"""ORM104/ORM105 on the shapes of real fixed bugs (issue 18, AlmaLinux/albs-web-server
393c6f27): rows returned straight from a block that commits and closes as the function
returns, and instances collected into a dict or a list."""
from __future__ import annotations

from tests.conftest import findings, messages

HEADER = """
from contextlib import contextmanager
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import Package

engine = create_engine("sqlite://")
Maker = sessionmaker(engine)


@contextmanager
def open_session():
    with Maker() as session:
        yield session
        session.commit()
"""


def rows(body: str, *codes: str):
    offset = HEADER.count("\n")
    return [(row - offset, code) for row, code in findings(HEADER + body, *(codes or ("ORM104", "ORM105")))]


def test_returned_rows_name_the_expression_and_offer_no_refresh():
    body = """
def load():
    with open_session() as db:
        return db.scalars(select(Package)).all()
"""
    assert rows(body) == [(4, "ORM104")]
    [message] = messages(HEADER + body, "ORM104")
    assert "`db.scalars(select(Package)).all()`" in message
    assert "as the function returns" in message


def test_returned_row_committed_in_finally():
    assert rows("""
def load():
    db = Maker()
    try:
        return db.get(Package, 1)
    finally:
        db.commit()
        db.close()
""") == [(5, "ORM104")]


def test_returned_rows_loaded_after_the_last_commit_are_fine():
    assert rows("""
def load():
    with Maker() as db:
        db.commit()
        return db.scalars(select(Package)).all()
""") == []


def test_returned_call_of_something_else_is_not_tracked():
    assert rows("""
def load():
    with open_session() as db:
        return len(db.scalars(select(Package)).all())
""") == []


def test_collected_then_rebound_container_is_forgotten():
    assert rows("""
def load():
    found = []
    with open_session() as db:
        for package in db.scalars(select(Package)):
            found.append(package)
    found = [1, 2]
    return found
""") == []


def test_dict_element_read_after_the_block():
    assert rows("""
def load(key):
    by_sha = {}
    with open_session() as db:
        for package in db.scalars(select(Package)):
            by_sha[package.sha256] = package
    return by_sha[key].id
""") == [(7, "ORM104")]


def test_refresh_of_every_element_reloads_the_list():
    assert rows("""
def load(names):
    created = []
    with Maker() as db:
        for name in names:
            package = Package(name=name)
            db.add(package)
            created.append(package)
        db.commit()
        for package in created:
            db.refresh(package)
    return created
""") == []


def test_refresh_of_some_elements_only_does_not():
    assert rows("""
def load(names):
    created = []
    with Maker() as db:
        for name in names:
            package = Package(name=name)
            db.add(package)
            created.append(package)
        db.commit()
        for package in created:
            if package.name:
                db.refresh(package)
    return created
""") == [(13, "ORM104")]
