"""ORM201 on a real engine: the flagged code crashes when the row is missing, the
suggested fixes answer "not found" (or raise a clear NoResultFound) instead."""
from __future__ import annotations

import asyncio
import textwrap
from typing import Any, Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.exc import NoResultFound  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(50))


FLAGGED = """
from sqlalchemy import select
from sqlalchemy.orm import Session

def email_of(session: Session, user_id):
    user = session.get(User, user_id)
    return user.email

def email_by_address(session: Session, address):
    user = session.execute(select(User).where(User.email == address)).scalars().first()
    return user.email
"""

FIXED_WITH_CHECK = """
from sqlalchemy import select
from sqlalchemy.orm import Session

def email_of(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        return None
    return user.email

def email_by_address(session: Session, address):
    user = session.execute(select(User).where(User.email == address)).scalars().first()
    return user.email if user else None
"""

FIXED_WITH_STRICT_METHODS = """
from sqlalchemy import select
from sqlalchemy.orm import Session

def email_of(session: Session, user_id):
    user = session.get_one(User, user_id)
    return user.email

def email_by_address(session: Session, address):
    user = session.execute(select(User).where(User.email == address)).scalar_one()
    return user.email
"""


def load(source: str) -> Dict[str, Any]:
    namespace: Dict[str, Any] = {"User": User}
    exec(compile(textwrap.dedent(source), "snippet.py", "exec"), namespace)
    return namespace


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(id=1, email="ada@example.com"))
        session.commit()
    yield engine
    engine.dispose()


def test_flagged_code_crashes_exactly_when_the_row_is_missing(engine) -> None:
    assert findings(FLAGGED, "ORM201") == [(6, "ORM201"), (10, "ORM201")]
    code = load(FLAGGED)
    with Session(engine) as session:
        assert code["email_of"](session, 1) == "ada@example.com"
        assert code["email_by_address"](session, "ada@example.com") == "ada@example.com"
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'email'"):
            code["email_of"](session, 2)
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'email'"):
            code["email_by_address"](session, "bob@example.com")


def test_checking_for_none_answers_not_found(engine) -> None:
    assert findings(FIXED_WITH_CHECK, "ORM201") == []
    code = load(FIXED_WITH_CHECK)
    with Session(engine) as session:
        assert code["email_of"](session, 1) == "ada@example.com"
        assert code["email_of"](session, 2) is None
        assert code["email_by_address"](session, "bob@example.com") is None


def test_strict_methods_make_absence_an_explicit_error(engine) -> None:
    assert findings(FIXED_WITH_STRICT_METHODS, "ORM201") == []
    code = load(FIXED_WITH_STRICT_METHODS)
    with Session(engine) as session:
        assert code["email_of"](session, 1) == "ada@example.com"
        with pytest.raises(NoResultFound):
            code["email_of"](session, 2)
        with pytest.raises(NoResultFound):
            code["email_by_address"](session, "bob@example.com")


def test_max_of_an_empty_table_is_none_but_count_is_not(engine) -> None:
    source = """
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    def next_id(session: Session):
        highest = session.scalar(select(func.max(User.id)).where(User.id > 100))
        return highest + 1

    def one_more(session: Session):
        total = session.scalar(select(func.count()).select_from(User).where(User.id > 100))
        return total + 1
    """
    assert findings(source, "ORM201") == [(6, "ORM201")]
    code = load(source)
    with Session(engine) as session:
        with pytest.raises(TypeError, match="NoneType"):
            code["next_id"](session)
        assert code["one_more"](session) == 1
        # ...and an aggregate without GROUP BY always returns its one row.
        assert session.execute(select(func.max(User.id)).where(User.id > 100)).first() is not None


def test_async_session_get_crashes_and_the_check_fixes_it() -> None:
    pytest.importorskip("aiosqlite")
    pytest.importorskip("greenlet")
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    flagged = """
    from sqlalchemy.ext.asyncio import AsyncSession

    async def email_of(session: AsyncSession, user_id):
        user = await session.get(User, user_id)
        return user.email
    """
    fixed = """
    from sqlalchemy.ext.asyncio import AsyncSession

    async def email_of(session: AsyncSession, user_id):
        user = await session.get(User, user_id)
        if user is None:
            return None
        return user.email
    """
    assert findings(flagged, "ORM201") == [(5, "ORM201")]
    assert findings(fixed, "ORM201") == []

    async def scenario() -> None:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine) as session:
            with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'email'"):
                await load(flagged)["email_of"](session, 7)
            assert await load(fixed)["email_of"](session, 7) is None
        await engine.dispose()

    asyncio.run(scenario())
