"""ORM301-ORM304 on a real engine: the flagged code and the rewrite its message suggests
return the same rows, while the database sends fewer rows (ORM301-ORM303) or receives
fewer statements (ORM304).

SQLite's driver is given a cursor that counts the rows it hands to SQLAlchemy, and an
event listener counts the statements sent; both are what "work the database should do"
saves.
"""
from __future__ import annotations

import re
import sqlite3
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import ForeignKey, String, create_engine, event, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from sqlalchemy.pool import StaticPool  # noqa: E402

from tests.conftest import findings, messages  # noqa: E402

USERS = 200


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(50))
    age: Mapped[int]
    country: Mapped[Optional[str]] = mapped_column(String(2))


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(50))


@dataclass
class Traffic:
    """What crossed the wire while a snippet ran."""

    statements: int = 0
    rows: int = 0


class _Meter:
    traffic = Traffic()


class _CountingCursor(sqlite3.Cursor):
    def fetchone(self) -> Any:
        row = super().fetchone()
        _Meter.traffic.rows += row is not None
        return row

    def fetchmany(self, *args: Any) -> List[Any]:
        rows = super().fetchmany(*args)
        _Meter.traffic.rows += len(rows)
        return rows

    def fetchall(self) -> List[Any]:
        rows = super().fetchall()
        _Meter.traffic.rows += len(rows)
        return rows


class _CountingConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _CountingCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", factory=_CountingConnection, check_same_thread=False),
        poolclass=StaticPool,
    )
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for i in range(1, USERS + 1):
            session.add(User(id=i, email=f"user{i}@example.com", age=i % 90,
                             country=None if i % 7 == 0 else ("NZ" if i % 3 == 0 else "FR")))
            session.add(Post(user_id=i, title=f"post {i}"))
        session.commit()

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        _Meter.traffic.statements += 1

    yield engine
    engine.dispose()


HEADER = """
from sqlalchemy import select
from sqlalchemy.orm import Session
"""


def run(source: str, engine: Any, name: str, *args: Any) -> "tuple[Any, Traffic]":
    """Call function `name` of `source` with a fresh session; return its result and the traffic."""
    namespace: Dict[str, Any] = {"User": User, "Post": Post}
    exec(compile(HEADER + textwrap.dedent(source), "snippet.py", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    _Meter.traffic = Traffic()
    with Session(engine) as session:
        result = function(session, *args)
        # Compare plain values: the objects belong to this session.
        value = _plain(result)
    return value, _Meter.traffic


def _plain(result: Any) -> Any:
    if isinstance(result, list):
        return sorted(_plain(item) for item in result)
    if isinstance(result, dict):
        return {key: _plain(value) for key, value in result.items()}
    if isinstance(result, User):
        return result.id
    if isinstance(result, Post):
        return (result.user_id, result.title)
    return result


def suggested(source: str, code: str, pattern: str) -> str:
    """The SQL text the rule's message suggests, as matched by `pattern`."""
    (message,) = messages(HEADER + textwrap.dedent(source), code)
    match = re.search(pattern, message)
    assert match, message
    return match.group(1)


# -- ORM301 ------------------------------------------------------------------------------------
FILTER_LOOP = """
def older_than(session, min_age):
    users = session.scalars(select(User)).all()
    found = []
    for user in users:
        if user.age >= min_age and user.country is not None:
            found.append(user)
    return found
"""


def test_orm301_rewrite_returns_the_same_rows_and_the_database_sends_fewer(engine: Any) -> None:
    assert findings(HEADER + textwrap.dedent(FILTER_LOOP), "ORM301") == [(8, "ORM301")]
    where = suggested(FILTER_LOOP, "ORM301", r"`\.where\((.*?)\)`")
    assert where == "User.age >= min_age, User.country.is_not(None)"
    rewrite = f"""
    def older_than(session, min_age):
        return session.scalars(select(User).where({where})).all()
    """
    assert findings(HEADER + textwrap.dedent(rewrite), "ORM301") == []

    flagged_rows, flagged = run(FILTER_LOOP, engine, "older_than", 80)
    rewritten_rows, rewritten = run(rewrite, engine, "older_than", 80)
    assert flagged_rows == rewritten_rows and flagged_rows
    assert flagged.rows == USERS
    assert rewritten.rows == len(rewritten_rows) < USERS


FIRST_MATCH = """
def by_email(session, email):
    for user in session.scalars(select(User)):
        if user.email == email:
            return user
    return None
"""


def test_orm301_first_match_rewrite_fetches_one_row(engine: Any) -> None:
    where = suggested(FIRST_MATCH, "ORM301", r"`\.where\((.*?)\)`")
    rewrite = f"""
    def by_email(session, email):
        return session.scalars(select(User).where({where}).limit(1)).first()
    """
    flagged_user, flagged = run(FIRST_MATCH, engine, "by_email", "user150@example.com")
    rewritten_user, rewritten = run(rewrite, engine, "by_email", "user150@example.com")
    assert flagged_user == rewritten_user == 150
    assert flagged.rows == USERS and rewritten.rows == 1


# -- ORM302 ------------------------------------------------------------------------------------
SORT_SLICE = """
def youngest(session):
    users = session.scalars(select(User)).all()
    return sorted(users, key=lambda u: (u.age, u.id))[:5]
"""


def test_orm302_order_by_and_limit_return_the_same_rows(engine: Any) -> None:
    order = suggested(SORT_SLICE, "ORM302", r"`\.order_by\((.*?)\)` and `\.limit\(5\)`")
    rewrite = f"""
    def youngest(session):
        return session.scalars(select(User).order_by({order}).limit(5)).all()
    """
    flagged_rows, flagged = run(SORT_SLICE, engine, "youngest")
    rewritten_rows, rewritten = run(rewrite, engine, "youngest")
    assert flagged_rows == rewritten_rows and len(rewritten_rows) == 5
    assert flagged.rows == USERS and rewritten.rows == 5


# -- ORM303 ------------------------------------------------------------------------------------
COUNT = """
def adults(session):
    return len([u for u in session.scalars(select(User)).all() if u.age >= 18])
"""


def test_orm303_count_in_the_database(engine: Any) -> None:
    count = suggested(COUNT, "ORM303", r"with `(select\(func\.count\(\).*?)`")
    rewrite = f"""
    from sqlalchemy import func

    def adults(session):
        return session.scalar({count})
    """
    flagged_count, flagged = run(COUNT, engine, "adults")
    rewritten_count, rewritten = run(rewrite, engine, "adults")
    assert flagged_count == rewritten_count > 0
    assert flagged.rows == USERS and rewritten.rows == 1


# -- ORM304 ------------------------------------------------------------------------------------
GET_PER_ID = """
def load(session: Session, ids):
    return [session.get(User, i) for i in ids]
"""


def test_orm304_one_statement_instead_of_one_per_item(engine: Any) -> None:
    assert findings(HEADER + textwrap.dedent(GET_PER_ID), "ORM304") == [(6, "ORM304")]
    where = suggested(GET_PER_ID, "ORM304", r"`select\(User\)\.where\((.*?)\)`")
    rewrite = f"""
    def load(session, ids):
        return session.scalars(select(User).where({where.replace("<User primary key>", "User.id")})).all()
    """
    ids = list(range(10, 60))
    flagged_users, flagged = run(GET_PER_ID, engine, "load", ids)
    rewritten_users, rewritten = run(rewrite, engine, "load", ids)
    assert flagged_users == rewritten_users == ids
    assert flagged.statements == len(ids) and rewritten.statements == 1


POSTS_PER_USER = """
def posts_by_user(session, users):
    found = {}
    for user in users:
        found[user.id] = session.scalars(select(Post).where(Post.user_id == user.id)).all()
    return found
"""


def test_orm304_in_clause_from_the_message(engine: Any) -> None:
    where = suggested(POSTS_PER_USER, "ORM304", r"`\.where\((.*?)\)`")
    assert where == "Post.user_id.in_([user.id for user in users])"
    rewrite = f"""
    def posts_by_user(session, users):
        found = {{user.id: [] for user in users}}
        for post in session.scalars(select(Post).where({where})):
            found[post.user_id].append(post)
        return found
    """
    with Session(engine) as session:
        users = session.scalars(select(User).where(User.id <= 30)).all()
        session.expunge_all()
    flagged_posts, flagged = run(POSTS_PER_USER, engine, "posts_by_user", users)
    rewritten_posts, rewritten = run(rewrite, engine, "posts_by_user", users)
    assert flagged_posts == rewritten_posts and len(flagged_posts) == 30
    assert flagged.statements == 30 and rewritten.statements == 1


def test_counting_helpers_see_everything(engine: Any) -> None:
    """The meters themselves: a count query is one statement and one row."""
    _, traffic = run("""
    from sqlalchemy import func

    def total(session):
        return session.scalar(select(func.count()).select_from(User))
    """, engine, "total")
    assert traffic == Traffic(statements=1, rows=1)
