"""Mapped classes across modules (`facts.mapped_class_facts`, `project/mapped_classes.py`):
relationships one row or many, backrefs put on another module's class, query attributes
(`query_property()` on an imported base, a metaclass property), properties that query, and
what lookup helpers say to their callers (`rows_entity`, `picks`, `page`)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

from session_lint.project.mapped_classes import LAZY, QUERY, project_classes
from session_lint.project_index import ProjectIndex

MODELS = '''
    from typing import List, Optional
    from sqlalchemy import Column, ForeignKey, Integer, String
    from sqlalchemy.orm import DeclarativeMeta, Mapped, as_declarative, backref, relationship
    from app.db import Base, session


    class _Meta(DeclarativeMeta):
        @property
        def q(cls):
            return session.query(cls)

        @property
        def title(cls):
            return cls.__name__


    @as_declarative(metaclass=_Meta)
    class ModelBase:
        pass


    class Author(Base):
        __tablename__ = "author"
        id = Column(Integer, primary_key=True)
        books = relationship("Book")
        shelves: Mapped[List["Shelf"]] = relationship()
        agent = relationship("Agent", uselist=False, lazy="joined")


    class Book(Base):
        __tablename__ = "book"
        id = Column(Integer, primary_key=True)
        author_id = Column(Integer, ForeignKey("author.id"))
        publisher_id = Column(Integer, ForeignKey("publisher.id"))
        publisher = relationship("Publisher", backref=backref("books", lazy="dynamic"))

        @property
        def sold(self):
            return self.sales.count()

        @property
        def label(self):
            return self.title.upper()


    class Member(ModelBase):
        __tablename__ = "member"
        id = Column(Integer, primary_key=True)
'''
OTHER = '''
    from sqlalchemy import Column, ForeignKey, Integer
    from sqlalchemy.orm import backref, relationship
    from app.db import Base


    class Publisher(Base):
        __tablename__ = "publisher"
        id = Column(Integer, primary_key=True)


    class Sale(Base):
        __tablename__ = "sale"
        id = Column(Integer, primary_key=True)
        book_id = Column(Integer, ForeignKey("book.id"))
        book = relationship("Book", backref=backref("sales", lazy="dynamic"))
'''
DB = '''
    from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker
    session = scoped_session(sessionmaker())
    Base = declarative_base()
    Base.query = session.query_property()
'''
HELPERS = '''
    from app.db import session
    from app.models import Book


    def books_of(author_id):
        query = session.query(Book)
        query = query.filter(Book.author_id == author_id)
        return query.all()


    def book_page(start, stop):
        query = session.query(Book)
        query = query.slice(start, stop)
        return query


    def ordered_page(start, stop):
        query = session.query(Book).order_by(Book.id)
        query = query.slice(start, stop)
        return query


    def lookup(**kwargs):
        return session.query(Book).filter_by(**kwargs).first()


    def by_id(book_id):
        return session.get(Book, book_id)
'''


def project(tmp_path: Path, files: Dict[str, str]) -> ProjectIndex:
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(path)
    return ProjectIndex.scan(paths)


def test_relationships_query_attributes_and_properties_across_modules(tmp_path) -> None:
    index = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS,
                               "app/other.py": OTHER, "app/helpers.py": HELPERS})
    classes = project_classes(index.summaries)
    models = str((tmp_path / "app/models.py").resolve())
    helpers = str((tmp_path / "app/helpers.py").resolve())
    assert classes.resolve(helpers, "Book") == (models, "Book")
    author = (models, "Author")
    books = classes.relationship(author, "books")  # the foreign key is on Book
    assert books is not None and books.collection and books.loading == LAZY and books.target == (models, "Book")
    shelves = classes.relationship(author, "shelves")  # `Mapped[List[...]]`; Shelf is no class: unknown
    assert shelves is None
    agent = classes.relationship(author, "agent")
    assert agent is None  # "Agent" is no mapped class of the project
    book = (models, "Book")
    publisher = classes.relationship(book, "publisher")
    assert publisher is not None and not publisher.collection
    other = str((tmp_path / "app/other.py").resolve())
    # A backref declared in models.py on a class of other.py, and the other way round.
    backward = classes.relationship((other, "Publisher"), "books")
    assert backward is not None and backward.collection and backward.loading == QUERY
    sales = classes.relationship(book, "sales")
    assert sales is not None and sales.collection and sales.loading == QUERY
    assert classes.property_queries(book, "sold") and not classes.property_queries(book, "label")
    # `Base.query` of an imported `declarative_base()`, `Member.q` of a metaclass property.
    assert classes.query_attribute(book, "query")
    assert classes.query_attribute((models, "Member"), "q")
    assert not classes.query_attribute((models, "Member"), "title")
    assert not classes.query_attribute((models, "Member"), "query")


def test_lookup_helpers_say_what_they_return(tmp_path) -> None:
    index = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS,
                               "app/helpers.py": HELPERS})
    helpers = index.summaries.facts[str((tmp_path / "app/helpers.py").resolve())]["functions"]
    assert helpers["books_of"]["rows_entity"] == "Book" and helpers["books_of"]["picks"] == ["author_id"]
    assert helpers["book_page"]["page"] and not helpers["ordered_page"]["page"]
    assert helpers["lookup"]["picks"] == ["**kwargs"]
    assert helpers["by_id"]["picks"] == ["book_id"]
    fingerprint = index.fingerprint()
    # A relationship's loading changed in the models changes what the views' rows are.
    changed = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB,
                                 "app/models.py": MODELS.replace('lazy="dynamic"', 'lazy="joined"'),
                                 "app/helpers.py": HELPERS})
    assert changed.fingerprint() != fingerprint


ROWS = '''
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    from app.db import session
    from app import helpers
    from app.models import Author, Book


    def author(author_id):
        return session.query(Author).filter(Author.id == author_id).first()


    def author_by_key(db, author_id):
        return db.get(Author, author_id)


    def author_with_books(author_id):
        found = session.scalars(select(Author).options(selectinload(Author.books)).where(Author.id == author_id))
        return found.one_or_none()


    def previous(author_id):
        """The author, or None."""
        if author_id is None:
            return None
        return author(author_id)


    def two_kinds(book_id, author_id):
        if book_id:
            return session.query(Book).filter(Book.id == book_id).first()
        return session.query(Author).filter(Author.id == author_id).first()


    def authors(ids):
        result = []
        for author_id in ids:
            row = author(author_id)
            if row is not None:
                result.append(row)
        return result


    def authors_and_books(ids):
        result = []
        for author_id in ids:
            result.append(author(author_id))
        for book in session.query(Book).all():
            result.append(book)
        return result


    def authors_extended(ids):
        """Authors, then books: None is never among them."""
        result = []
        for author_id in ids:
            row = author(author_id)
            result.append(row)
        result.extend(helpers.books_of(1))
        return result


    def new_authors(names):
        """New authors, none of them in the session."""
        result = []
        for name in names:
            row = Author(name=name)
            result.append(row)
        return result
'''


def test_helpers_say_which_row_and_which_rows_they_return(tmp_path) -> None:
    index = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS,
                               "app/other.py": OTHER, "app/helpers.py": HELPERS, "app/rows.py": ROWS})
    path = str((tmp_path / "app/rows.py").resolve())
    functions = index.summaries.facts[path]["functions"]
    assert functions["author"]["row_entity"] == "Author" and not functions["author"]["row_options"]
    assert functions["author_by_key"]["row_entity"] == "Author"
    assert functions["author_with_books"]["row_entity"] == "Author" and functions["author_with_books"]["row_options"]
    assert functions["two_kinds"]["row_entity"] is None  # two classes
    assert functions["authors"]["filled_rows"] == ["call:author"]
    assert functions["authors_and_books"]["filled_rows"] == ["Book", "call:author"]
    assert not functions["authors_extended"].get("filled_rows")  # `extend()`: items we cannot name
    assert not functions["new_authors"].get("filled_rows")  # new objects, not rows
    classes = project_classes(index.summaries)
    author = (str((tmp_path / "app/models.py").resolve()), "Author")
    assert classes.row_class((path, "author")) == author
    assert classes.row_class((path, "previous")) == author  # through the function it returns the call of
    assert classes.row_options((path, "author_with_books")) and not classes.row_options((path, "previous"))
    assert classes.items_class((path, "authors")) == author
    assert classes.items_class((path, "authors_and_books")) is None  # authors and books
    helpers = str((tmp_path / "app/helpers.py").resolve())
    assert classes.items_class((helpers, "books_of")) == (author[0], "Book")  # the rows of its query
    # Names that make a statement worth reading: the helpers returning a row or a list of
    # rows of a class the project resolves (not a list of two classes' rows).
    names = set(index.evidence_names())
    assert {"author", "previous", "authors"} <= names and "authors_and_books" not in names
    fingerprint = index.fingerprint()
    # Which class a helper returns one row of is part of what its callers' rows are.
    changed = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS,
                                 "app/other.py": OTHER, "app/helpers.py": HELPERS,
                                 "app/rows.py": ROWS.replace("query(Author).filter(Author.id == author_id).first()",
                                                             "query(Book).filter(Book.id == author_id).first()")})
    assert changed.fingerprint() != fingerprint
    # ... and so is the function whose call a helper returns (`previous` returns `author(...)`).
    rerouted = project(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/models.py": MODELS,
                                  "app/other.py": OTHER, "app/helpers.py": HELPERS,
                                  "app/rows.py": ROWS.replace("return author(author_id)",
                                                              "return two_kinds(author_id, author_id)")})
    assert rerouted.fingerprint() != fingerprint
