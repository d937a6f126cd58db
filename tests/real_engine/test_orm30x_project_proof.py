"""ORM30x over classes of *other* modules (issue 18), on a real engine: the linter reads a
small project whose models, relationships and lookup helpers live in one module and whose
rows are used in another; the flagged code and the rewrite its message suggests return the
same values while the database receives fewer statements (counted with an event listener),
or, for a page sorted in Python, the rewrite returns the page the caller asked for.

The bugs behind each case: agdsn-pycroft-2edf427e and emfcamp-Website-13696f95 (lazy
relationships of imported classes per row), Gozargah-Marzban-8485fda0 (rows of a helper of
another module), freedomofpress-securedrop-848a1245-2 (a property that runs a query per row),
simple-login-app-940db183 (a lookup classmethod of a base per loop item), Flexget 56957a94
(a page of an unordered query sorted in Python).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("sqlalchemy")
from tests.real_engine.project_harness import Use, fixture_project, statements  # noqa: E402

PACKAGE = "orm30x_proof_app"
MODELS = '''
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import backref, declarative_base, relationship, scoped_session, sessionmaker

Session = scoped_session(sessionmaker())
Base = declarative_base()
Base.query = Session.query_property()


class ModelMixin:
    @classmethod
    def get(cls, id):
        return Session.get(cls, id)


class Host(Base):
    __tablename__ = "host"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Switch(Base):
    __tablename__ = "switch"
    id = Column(Integer, primary_key=True)
    host_id = Column(Integer, ForeignKey(Host.id))
    host = relationship(Host)


class Mailbox(Base, ModelMixin):
    __tablename__ = "mailbox"
    id = Column(Integer, primary_key=True)
    email = Column(String)


class Submission(Base, ModelMixin):
    __tablename__ = "submission"
    id = Column(Integer, primary_key=True)
    source_id = Column(Integer)
    downloaded = Column(Boolean, default=False)

    @property
    def seen(self):
        return bool(self.downloaded or self.seen_files.count())


class SeenFile(Base):
    __tablename__ = "seen_file"
    id = Column(Integer, primary_key=True)
    file_id = Column(Integer, ForeignKey(Submission.id))
    file = relationship(Submission, backref=backref("seen_files", lazy="dynamic"))


def search(start, stop):
    query = Session.query(Mailbox)
    query = query.slice(start, stop)
    return query
'''
HOSTS, MAILBOXES, SUBMISSIONS = 30, 40, 25


def fill(models: Any, session: Any) -> None:
    for i in range(1, HOSTS + 1):
        session.add(models.Switch(id=i, host=models.Host(id=i, name=f"host {i}")))
    for i in range(1, MAILBOXES + 1):
        session.add(models.Mailbox(id=MAILBOXES + 1 - i, email=f"box{i:02d}@example.com"))
    for i in range(1, SUBMISSIONS + 1):
        submission = models.Submission(id=i, source_id=1, downloaded=i % 5 == 0)
        session.add(submission)
        if i % 3 == 0:
            session.add(models.SeenFile(file=submission))


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Use]:
    """`use(views_source)`: lint `views.py` against the models, import both, fill an
    in-memory database; returns (findings, the views module's namespace)."""
    yield from fixture_project(tmp_path, PACKAGE, MODELS, fill)


def test_lazy_relationship_of_an_imported_class_then_selectinload(project) -> None:
    found, views = project("""
        from sqlalchemy.orm import selectinload
        from orm30x_proof_app.models import Switch


        def names():
            return [switch.host.name for switch in Switch.query.all()]


        def names_eagerly():
            return [switch.host.name for switch in Switch.query.options(selectinload(Switch.host)).all()]
    """)
    assert found == [(7, "ORM304")]
    lazy, lazy_count = statements(views, "names")
    eager, eager_count = statements(views, "names_eagerly")
    assert lazy == eager and len(lazy) == HOSTS
    assert lazy_count == 1 + HOSTS and eager_count == 2


def test_property_that_queries_per_row_then_one_filtered_query(project) -> None:
    found, views = project("""
        from sqlalchemy import or_
        from orm30x_proof_app.models import SeenFile, Submission


        def unread(source_id):
            submissions = Submission.query.filter(Submission.source_id == source_id).all()
            return [s.id for s in submissions if not s.seen]


        def unread_in_sql(source_id):
            seen = Submission.query.filter(or_(Submission.downloaded, Submission.seen_files.any()))
            ids = {s.id for s in seen}
            return [s.id for s in Submission.query.filter(Submission.source_id == source_id,
                                                          Submission.id.notin_(ids)).all()]
    """)
    assert found == [(8, "ORM304")]
    per_row, per_row_count = statements(views, "unread", 1)
    in_sql, in_sql_count = statements(views, "unread_in_sql", 1)
    assert per_row == in_sql and per_row
    assert per_row_count == 1 + sum(1 for i in range(1, SUBMISSIONS + 1) if i % 5) and in_sql_count == 2


def test_lookup_helper_per_item_then_one_in_query(project) -> None:
    found, views = project("""
        from orm30x_proof_app.models import Mailbox


        def mailboxes(ids):
            found = []
            for mailbox_id in ids:
                found.append(Mailbox.get(mailbox_id).email)
            return found


        def mailboxes_at_once(ids):
            by_id = {m.id: m for m in Mailbox.query.filter(Mailbox.id.in_(ids)).all()}
            return [by_id[i].email for i in ids]
    """)
    assert found == [(8, "ORM304")]
    ids = list(range(3, 23))
    looked_up, per_item = statements(views, "mailboxes", ids)
    batched, at_once = statements(views, "mailboxes_at_once", ids)
    assert looked_up == batched and per_item == len(ids) and at_once == 1


def test_page_sorted_in_python_is_not_the_page_asked_for(project) -> None:
    found, views = project("""
        from orm30x_proof_app import models


        def first_page_by_email():
            rows = [box.email for box in models.search(0, 10)]
            return sorted(rows)


        def first_page_ordered():
            return [box.email for box in models.Session.query(models.Mailbox)
                    .order_by(models.Mailbox.email).slice(0, 10)]
    """)
    assert found == [(7, "ORM302")]
    python_sorted, _ = statements(views, "first_page_by_email")
    ordered, _ = statements(views, "first_page_ordered")
    everything = sorted(f"box{i:02d}@example.com" for i in range(1, MAILBOXES + 1))
    # The page of an unordered query holds the rows the database lists first (here by
    # primary key, which runs against the e-mail order): sorting it cannot give page one.
    assert ordered == everything[:10] and python_sorted != ordered
