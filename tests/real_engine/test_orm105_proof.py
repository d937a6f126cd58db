"""ORM105 on a real async engine (SQLite through aiosqlite): every flagged form raises
MissingGreenlet (inside a StatementError, as SQLAlchemy 2.1 reports it) or, once the session
has ended, DetachedInstanceError; every suggested fix and every silent look-alike reads its
values.

Each snippet is linted and then executed as it is: `scenario(engine)` plays the caller, and
`serialize()` stands for what FastAPI does with a returned object: a plain attribute read of
each field, in the event loop.
"""
from __future__ import annotations

import asyncio
import textwrap
from typing import Callable, Dict, List, Optional, Tuple

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("aiosqlite")
pytest.importorskip("greenlet")
from sqlalchemy import String  # noqa: E402
from sqlalchemy.exc import MissingGreenlet, StatementError  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncEngine, async_sessionmaker, create_async_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402
from sqlalchemy.orm.exc import DetachedInstanceError  # noqa: E402

from tests.conftest import findings  # noqa: E402

# A load that fails with MissingGreenlet leaves a coroutine that was never awaited; the garbage
# collector reports it whenever it runs, often during a later test.
pytestmark = pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")


class Base(AsyncAttrs, DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))

    def to_dict(self) -> Dict[str, object]:
        return {"id": self.id, "name": self.name}


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)


class UserOut:
    """Reads the attributes of what it is given, as pydantic's `from_attributes` does."""

    @classmethod
    def model_validate(cls, obj: User) -> Dict[str, object]:
        return {"id": obj.id, "name": obj.name}


class Router:
    """`@router.post(...)`: registers nothing, so the handler can be called directly."""

    def post(self, path: str, **options: object) -> Callable:
        return lambda handler: handler


def serialize(obj: User) -> Dict[str, object]:
    return {"id": obj.id, "name": obj.name}


HEADER = """
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import sessionmaker
"""

# (id, body, the flagged line counted from the first line of the body, the error it raises)
FLAGGED: List[Tuple[str, str, int, str]] = [
    ("read while the session is open", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = User(name="ada")
        session.add(user)
        await session.commit()
        return user.name
""", 7, "greenlet"),
    ("primary key while the session is open", """
async def scenario(engine):
    async with AsyncSession(engine) as session:
        user = await session.get(User, 1)
        await session.commit()
        return user.id
""", 6, "greenlet"),
    ("sessionmaker(class_=AsyncSession)", """
async def scenario(engine):
    async with sessionmaker(engine, class_=AsyncSession)() as session:
        user = (await session.scalars(select(User))).first()
        await session.commit()
        return user.to_dict()
""", 6, "greenlet"),
    ("returned to a response model from a request handler", """
router = Router()

@router.post("/users", response_model=UserOut)
async def create_user(name: str, session: AsyncSession):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user

async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        return serialize(await create_user("ada", session))
""", 9, "greenlet"),
    ("model_validate after the commit", """
async def rename(session: AsyncSession):
    user = await session.get(User, 1)
    user.name = "renamed"
    await session.commit()
    return UserOut.model_validate(user)

async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        return await rename(session)
""", 6, "greenlet"),
    ("the end of async with session.begin() commits", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        async with session.begin():
            user = await session.get(User, 1)
        return user.name
""", 6, "greenlet"),
    ("read after the session ended", """
async def scenario(engine):
    async with async_sessionmaker(engine).begin() as session:
        user = await session.get(User, 1)
    return user.name
""", 5, "detached"),
    ("a query of another class does not reload it", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.commit()
        await session.scalars(select(Order))
        return user.name
""", 7, "greenlet"),
]

FIXED: List[Tuple[str, str]] = [
    ("await session.refresh() after the commit", """
router = Router()

@router.post("/users", response_model=UserOut)
async def create_user(name: str, session: AsyncSession):
    user = User(name=name)
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return user

async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        return serialize(await create_user("ada", session))
"""),
    ("expire_on_commit=False on the async_sessionmaker", """
async def scenario(engine):
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        user = User(name="ada")
        session.add(user)
        await session.commit()
    return user.name
"""),
    ("expire_on_commit=False on the AsyncSession", """
async def scenario(engine):
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user = await session.get(User, 1)
        await session.commit()
        return user.to_dict()
"""),
]

SILENT: List[Tuple[str, str]] = [
    ("read before the commit", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        name = user.name
        await session.commit()
    return name
"""),
    ("write, then read that attribute back", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.commit()
        user.name = "renamed"
        return user.name
"""),
    ("primary key after a flush", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = User(name="ada")
        session.add(user)
        await session.flush()
        return user.id
"""),
    ("awaitable_attrs loads with awaited I/O", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.commit()
        await user.awaitable_attrs.name
        return user.name
"""),
    ("run_sync reads inside a greenlet", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.commit()
        return await session.run_sync(lambda sync_session: user.name)
"""),
    ("a query of the same class after the commit loads it again", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.commit()
        await session.scalars(select(User))
        return user.name
"""),
    ("deleted objects keep their values", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        user = await session.get(User, 1)
        await session.delete(user)
        await session.commit()
        return user.id, user.name
"""),
    ("reads inside a begin() block", """
async def scenario(engine):
    async with async_sessionmaker(engine)() as session:
        async with session.begin():
            user = await session.get(User, 1)
            return user.name
"""),
]


@pytest.fixture
def engine():
    async def make() -> AsyncEngine:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine)() as session:
            session.add_all([User(id=1, name="ada"), Order(id=1)])
            await session.commit()
        return engine

    loop = asyncio.new_event_loop()
    engine = loop.run_until_complete(make())
    yield loop, engine
    loop.run_until_complete(engine.dispose())
    loop.close()


def run(body: str, engine) -> Optional[BaseException]:
    loop, async_engine = engine
    namespace: Dict[str, object] = {"User": User, "Order": Order, "UserOut": UserOut,
                                    "Router": Router, "serialize": serialize}
    exec(compile(HEADER + textwrap.dedent(body), "snippet.py", "exec"), namespace)
    try:
        loop.run_until_complete(namespace["scenario"](async_engine))  # type: ignore[operator]
    except Exception as error:
        return error
    return None


def is_missing_greenlet(error: Optional[BaseException]) -> bool:
    if isinstance(error, StatementError):
        error = error.orig
    return isinstance(error, MissingGreenlet)


def flagged_rows(body: str) -> List[int]:
    offset = HEADER.count("\n")
    return [row - offset for row, _ in findings(HEADER + textwrap.dedent(body), "ORM105")]


@pytest.mark.parametrize("body, line, error", [(body, line, error) for _, body, line, error in FLAGGED],
                         ids=[name for name, _, _, _ in FLAGGED])
def test_flagged_form_raises(engine, body: str, line: int, error: str) -> None:
    assert flagged_rows(body) == [line]
    raised = run(body, engine)
    if error == "greenlet":
        assert is_missing_greenlet(raised), repr(raised)
    else:
        assert isinstance(raised, DetachedInstanceError), repr(raised)


@pytest.mark.parametrize("body", [body for _, body in FIXED + SILENT], ids=[name for name, _ in FIXED + SILENT])
def test_fixes_and_silent_forms_read_their_values(engine, body: str) -> None:
    assert flagged_rows(body) == []
    assert run(body, engine) is None
