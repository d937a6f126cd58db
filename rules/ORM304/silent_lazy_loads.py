"""ORM304 look-alikes of lazy loads: loader options on the query, relationships loaded with
their parent, columns, writes, and one row rather than a loop's rows."""
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base, joinedload, relationship, selectinload

Base = declarative_base()


class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Book(Base):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    author_id = Column(Integer, ForeignKey(Author.id))
    author = relationship(Author)
    chapters = relationship("Chapter", lazy="selectin")


class Chapter(Base):
    __tablename__ = "chapter"
    id = Column(Integer, primary_key=True)
    book_id = Column(Integer, ForeignKey(Book.id))


def with_loader_options(session: Session) -> list:
    books = session.scalars(select(Book).options(selectinload(Book.author))).all()
    return [book.author.name for book in books]


def legacy_with_options(session: Session) -> list:
    return [b.author.name for b in session.query(Book).options(joinedload(Book.author)).all()]


def loaded_with_the_parent(session: Session) -> list:
    return [len(book.chapters) for book in session.scalars(select(Book))]


def columns_only(session: Session) -> list:
    return [book.title for book in session.scalars(select(Book))]


def assigned_not_read(session: Session, author: Author) -> None:
    for book in session.scalars(select(Book)):
        book.author = author


def one_book(session: Session, book_id: int) -> str:
    book = session.get(Book, book_id)
    return book.author.name


def a_few_books_written_out(first: Book, second: Book) -> list:
    return [book.author.name for book in (first, second)]
