"""Look-alikes ORM105 must stay silent on."""
from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from models import User

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine)
keep_loaded = async_sessionmaker(engine, expire_on_commit=False)
ClassMaker = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
router = APIRouter()


async def get_session():
    async with keep_loaded() as session:
        yield session


async def factory_keeps_loaded_values(name):
    async with keep_loaded() as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
        return user.name


async def session_class_keeps_loaded_values(name):
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
    return user.name


async def sessionmaker_of_async_sessions_keeps_loaded_values(user_id):
    async with ClassMaker() as session:
        user = await session.get(User, user_id)
        await session.commit()
        return user.name


async def refreshed_after_the_commit(name):
    async with async_session() as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
        await session.refresh(user)
        return user.name


async def read_before_the_commit(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        name = user.name
        await session.commit()
    return name


async def write_and_read_back(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        await session.commit()
        user.name = "renamed"
        return user.name


async def flushed_not_committed(name):
    async with async_session() as session:
        user = User(name=name)
        session.add(user)
        await session.flush()
        return user.id


async def awaitable_attrs_load_with_await(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        await session.commit()
        await user.awaitable_attrs.name
        return user.name


async def run_sync_loads_in_a_greenlet(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        await session.commit()
        return await session.run_sync(lambda sync_session: user.name)


async def reloaded_by_a_later_query(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        await session.commit()
        await session.scalars(select(User))
        return user.name


async def repository_returns_to_its_caller(session: AsyncSession, name: str):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user  # not a request handler, and the caller's session is still open


@router.post("/users")
async def refreshed_view(name: str, session: AsyncSession = Depends(get_session)):
    user = User(name=name)
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return user


def sync_sessions_are_orm104s(sync_engine):
    with Session(sync_engine) as session:
        user = session.get(User, 1)
        session.commit()
        return user.name


async def begin_block_used_inside(user_id):
    async with async_session() as session:
        async with session.begin():
            user = await session.get(User, user_id)
            user.visits += 1
            print(user.name)


async def expire_on_commit_switched_off(user_id):
    async with async_session() as session:
        session.sync_session.expire_on_commit = False
        session.expire_on_commit = False
        user = await session.get(User, user_id)
        await session.commit()
        return user.name


@router.delete("/users/{user_id}")
async def deleted_objects_keep_their_values(user_id: int, session: AsyncSession = Depends(get_session)):
    user = await session.get(User, user_id)
    await session.delete(user)
    await session.commit()
    return {"deleted": user.id, "name": user.name}


async def rows_returned_from_a_block_that_does_not_commit():
    async with async_session() as session:
        return (await session.scalars(select(User))).all()


async def each_row_refreshed_after_the_commit(names):
    created = []
    async with async_session() as session:
        for name in names:
            user = User(name=name)
            session.add(user)
            created.append(user)
        await session.commit()
        for user in created:
            await session.refresh(user)
    return created
