"""Async sessions: `await session.close()`, or `async with`."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import User

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine, expire_on_commit=False)


async def not_closed(user_id):
    session = async_session()  # expect: ORM102
    return await session.get(User, user_id)


async def session_class_not_closed(user_id):
    session = AsyncSession(engine)  # expect: ORM102
    return await session.get(User, user_id)


async def maker_called_in_place(url):
    session = async_sessionmaker(create_async_engine(url))()  # expect: ORM102
    return (await session.scalars(select(User))).all()


async def async_with(user_id):
    async with async_session() as session:
        return await session.get(User, user_id)


async def closed_in_finally(user_id):
    session = async_session()
    try:
        return await session.get(User, user_id)
    finally:
        await session.close()


async def get_session():
    async with async_session() as session:
        yield session


async def dependency_with_finally():
    session = async_session()
    try:
        yield session
    finally:
        await session.close()
