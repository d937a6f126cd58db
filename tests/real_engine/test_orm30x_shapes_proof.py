"""ORM301-ORM304 shapes from real fixed bugs (issue 18), on a real engine: relationship
collections as row sources (`with_parent()`), lazy loads once per row, presence tests,
counting loops, a count beside a page, and a helper queried once per item. Each flagged
snippet and the rewrite its message suggests return the same values, while the database
sends fewer rows or receives fewer statements.

The models are written in the snippets themselves, as the linter reads relationships of the
module it lints; each test builds its own in-memory database from them.
"""
from __future__ import annotations

import re
import sqlite3
import textwrap
from typing import Any, Dict, Tuple

import pytest

pytest.importorskip("sqlalchemy")
from sqlalchemy import create_engine, event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.pool import StaticPool  # noqa: E402

from tests.conftest import findings, messages  # noqa: E402
from tests.real_engine.test_orm30x_proof import Traffic, _CountingConnection, _Meter  # noqa: E402

MODELS = """
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, select
from sqlalchemy.orm import Session, declarative_base, object_session, relationship, selectinload, with_parent

Base = declarative_base()

book_readers = Table(
    "book_readers", Base.metadata,
    Column("book_id", Integer, ForeignKey("book.id")),
    Column("reader_id", Integer, ForeignKey("reader.id")),
)


class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String)
{author_methods}

class Reader(Base):
    __tablename__ = "reader"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Book(Base):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    pages = Column(Integer)
    genre = Column(String)
    author_id = Column(Integer, ForeignKey(Author.id), nullable=False)
    author = relationship(Author, backref="books")
    readers = relationship(Reader, secondary=book_readers)
{book_methods}
"""
AUTHORS, BOOKS_PER_AUTHOR, READERS = 20, 15, 12
GENRES = ("poetry", "novel", "essay")


def module(author_methods: str = "", book_methods: str = "", functions: str = "") -> str:
    indent = lambda text: textwrap.indent(textwrap.dedent(text), "    ")  # noqa: E731
    return MODELS.format(author_methods=indent(author_methods), book_methods=indent(book_methods)) \
        + textwrap.dedent(functions)


def load(source: str) -> Tuple[Dict[str, Any], Any]:
    """Run `source`, build its tables in a fresh in-memory database and fill them."""
    namespace: Dict[str, Any] = {}
    exec(compile(source, "snippet.py", "exec"), namespace)
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", factory=_CountingConnection, check_same_thread=False),
        poolclass=StaticPool,
    )
    namespace["Base"].metadata.create_all(engine)
    Author, Book, Reader = namespace["Author"], namespace["Book"], namespace["Reader"]
    with Session(engine) as session:
        readers = [Reader(id=i, name=f"reader {i}") for i in range(1, READERS + 1)]
        session.add_all(readers)
        for a in range(1, AUTHORS + 1):
            author = Author(id=a, name=f"author {a}")
            session.add(author)
            for b in range(BOOKS_PER_AUTHOR):
                book = Book(title=f"book {a}.{b}", pages=10 * a + b, genre=GENRES[(a + b) % 3], author=author)
                book.readers = readers[: (a + b) % READERS]
                session.add(book)
        session.commit()

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        _Meter.traffic.statements += 1

    return namespace, engine


def measured(engine: Any, work: Any) -> Tuple[Any, Traffic]:
    _Meter.traffic = Traffic()
    with Session(engine) as session:
        value = work(session)
    traffic = _Meter.traffic
    _Meter.traffic = Traffic()  # what comes next (filling another database) is not this work's
    return value, traffic


def suggested(source: str, code: str, pattern: str) -> str:
    (message,) = messages(source, code)
    match = re.search(pattern, message)
    assert match, message
    return match.group(1)


# -- ORM303 over a relationship collection ----------------------------------------------------
def test_orm303_relationship_sum_with_parent_gives_the_same_total() -> None:
    # spiral-project-ihatemoney-32d76178, agdsn-pycroft-2f285604 (a backref's collection)
    flagged = module(author_methods="""
    def page_total(self):
        return sum(b.pages for b in self.books)
    """)
    assert findings(flagged, "ORM303") == [(20, "ORM303")]
    sql = suggested(flagged, "ORM303", r"with `(select\(func\.sum.*?)`$")
    assert sql == "select(func.sum(Book.pages)).where(with_parent(self, Author.books))"
    rewrite = module(author_methods=f"""
    def page_total(self):
        return object_session(self).scalar({sql})
    """)
    assert findings(rewrite, "ORM303") == []
    namespace, engine = load(flagged)
    total, loaded = measured(engine, lambda s: s.get(namespace["Author"], 7).page_total())
    namespace, engine = load(rewrite)
    same, computed = measured(engine, lambda s: s.get(namespace["Author"], 7).page_total())
    assert total == same == sum(70 + b for b in range(BOOKS_PER_AUTHOR))
    assert loaded.rows == 1 + BOOKS_PER_AUTHOR and computed.rows == 2


def test_orm303_many_to_many_count_with_parent_counts_the_same_rows() -> None:
    flagged = module(book_methods="""
    def reader_count(self):
        return len(self.readers)
    """)
    sql = suggested(flagged, "ORM303", r"with `(select\(func\.count.*?)`$")
    assert sql == "select(func.count()).select_from(Reader).where(with_parent(self, Book.readers))"
    rewrite = module(book_methods=f"""
    def reader_count(self):
        return object_session(self).scalar({sql})
    """)
    namespace, engine = load(flagged)
    counts, loaded = measured(engine, lambda s: [s.get(namespace["Book"], i).reader_count() for i in (5, 50, 77)])
    namespace, engine = load(rewrite)
    same, computed = measured(engine, lambda s: [s.get(namespace["Book"], i).reader_count() for i in (5, 50, 77)])
    assert counts == same and any(counts)
    assert computed.rows == 6 < loaded.rows


# -- ORM304: a lazy relationship read on every row --------------------------------------------
def test_orm304_lazy_load_per_row_becomes_one_more_query_with_selectinload() -> None:
    # agdsn-pycroft-2edf427e, emfcamp-Website-13696f95, Flexget-Flexget-fa78c485
    flagged = module(functions="""
    def author_names(session):
        return [book.author.name for book in session.scalars(select(Book)).all()]
    """)
    (message,) = messages(flagged, "ORM304")
    option = re.search(r"`\.options\((.*?)\)` on the query", message).group(1)
    assert option == "selectinload(Book.author)"
    rewrite = module(functions=f"""
    def author_names(session):
        return [book.author.name for book in session.scalars(select(Book).options({option})).all()]
    """)
    assert findings(rewrite, "ORM304") == []
    namespace, engine = load(flagged)
    names, lazy = measured(engine, namespace["author_names"])
    namespace, engine = load(rewrite)
    same, eager = measured(engine, namespace["author_names"])
    assert names == same and len(names) == AUTHORS * BOOKS_PER_AUTHOR
    assert lazy.statements == 1 + AUTHORS and eager.statements == 2


# -- ORM303: presence tests, counting loops, a count beside a page -----------------------------
def test_orm303_presence_test_fetches_one_row() -> None:
    # Mailu-Mailu-39b0d440, Dallinger-Dallinger-7567bf80
    flagged = module(functions="""
    def has_long_books(session, pages):
        found = session.scalars(select(Book).where(Book.pages > pages)).all()
        if found:
            return True
        return False
    """)
    assert "`.limit(1)` and `.first() is not None`" in messages(flagged, "ORM303")[0]
    rewrite = module(functions="""
    def has_long_books(session, pages):
        return session.scalars(select(Book).where(Book.pages > pages).limit(1)).first() is not None
    """)
    namespace, engine = load(flagged)
    answer, loaded = measured(engine, lambda s: namespace["has_long_books"](s, 50))
    namespace, engine = load(rewrite)
    same, tested = measured(engine, lambda s: namespace["has_long_books"](s, 50))
    assert answer is same is True
    assert tested.rows == 1 < loaded.rows


def test_orm303_counting_loop_becomes_group_by() -> None:
    # RedHatInsights-insights-host-inventory-7cf64f26
    flagged = module(functions="""
    def per_genre(session):
        counts = {}
        for book in session.scalars(select(Book)):
            if book.genre not in counts:
                counts[book.genre] = 1
            else:
                counts[book.genre] += 1
        return counts
    """)
    sql = suggested(flagged, "ORM303", r"with `(select\(.*?)`$")
    assert sql == "select(Book.genre, func.count()).group_by(Book.genre)"
    rewrite = module(functions=f"""
    def per_genre(session):
        return dict(session.execute({sql}).all())
    """)
    namespace, engine = load(flagged)
    counts, loaded = measured(engine, namespace["per_genre"])
    namespace, engine = load(rewrite)
    same, grouped = measured(engine, namespace["per_genre"])
    assert counts == same and sum(counts.values()) == AUTHORS * BOOKS_PER_AUTHOR
    assert loaded.rows == AUTHORS * BOOKS_PER_AUTHOR and grouped.rows == len(GENRES)


def test_orm302_orm303_count_beside_a_page_become_a_count_and_a_limit() -> None:
    # PowerDNS-Admin-PowerDNS-Admin-dc69f000
    flagged = module(functions="""
    def recent(session, author_id):
        books = []
        books = session.scalars(select(Book).where(Book.author_id == author_id).order_by(Book.pages.desc())).all()
        total = len(books)
        books = books[:4]
        return total, [b.title for b in books]
    """)
    assert sorted(code for _, code in findings(flagged, "ORM302", "ORM303")) == ["ORM302", "ORM303"]
    rewrite = module(functions="""
    def recent(session, author_id):
        where = Book.author_id == author_id
        total = session.scalar(select(func.count()).select_from(Book).where(where))
        books = session.scalars(select(Book).where(where).order_by(Book.pages.desc()).limit(4)).all()
        return total, [b.title for b in books]
    """)
    namespace, engine = load(flagged)
    page, loaded = measured(engine, lambda s: namespace["recent"](s, 3))
    namespace, engine = load(rewrite)
    same, limited = measured(engine, lambda s: namespace["recent"](s, 3))
    assert page == same and page[0] == BOOKS_PER_AUTHOR and len(page[1]) == 4
    assert loaded.rows == BOOKS_PER_AUTHOR and limited.rows == 1 + 4


# -- ORM304: a helper of the module queried once per item -------------------------------------
def test_orm304_helper_per_item_becomes_one_in_query() -> None:
    # infobyte-faraday-f00d313d
    flagged = module(functions="""
    def export(session, author_ids):
        return [_author_row(session, author_id) for author_id in author_ids]

    def _author_row(session, author_id):
        author = session.scalars(select(Author).where(Author.id == author_id)).one()
        return {"id": author.id, "name": author.name}
    """)
    assert findings(flagged, "ORM304") == [(38, "ORM304")]
    rewrite = module(functions="""
    def export(session, author_ids):
        found = {a.id: a for a in session.scalars(select(Author).where(Author.id.in_(author_ids)))}
        return [{"id": found[i].id, "name": found[i].name} for i in author_ids]
    """)
    ids = list(range(2, 14))
    namespace, engine = load(flagged)
    rows, per_item = measured(engine, lambda s: namespace["export"](s, ids))
    namespace, engine = load(rewrite)
    same, batched = measured(engine, lambda s: namespace["export"](s, ids))
    assert rows == same and len(rows) == len(ids)
    assert per_item.statements == len(ids) and batched.statements == 1
