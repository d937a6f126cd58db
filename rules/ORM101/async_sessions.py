"""Async sessions follow the same rules with `async with`."""
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import User

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine, expire_on_commit=False)


async def delete_and_forget(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)
        await session.delete(user)  # expect: ORM101


async def add_and_commit(name):
    async with async_session() as session:
        session.add(User(name=name))
        await session.commit()


async def begin_block(name):
    async with async_session.begin() as session:
        session.add(User(name=name))


async def session_class(name):
    async with AsyncSession(engine) as session:
        session.add(User(name=name))  # expect: ORM101
        await session.flush()


async def dependency_session(session: AsyncSession, name):
    session.add(User(name=name))
