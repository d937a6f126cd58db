"""Async sessions: the same results, awaited."""
from fastapi import Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import User

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine, expire_on_commit=False)


async def get_session():
    async with async_session() as session:
        yield session


async def awaited_get(session: AsyncSession, user_id):
    user = await session.get(User, user_id)  # expect: ORM201
    return user.email


async def awaited_result(session: AsyncSession, name):
    stmt = select(User).where(User.name == name)
    user = (await session.execute(stmt)).scalar_one_or_none()  # expect: ORM201
    return user.email


async def awaited_get_chained(session: AsyncSession, user_id):
    return (await session.get(User, user_id)).email  # expect: ORM201


async def awaited_scalars(session: AsyncSession, name):
    result = await session.scalars(select(User).where(User.name == name))
    user = result.first()  # expect: ORM201
    return user.email


async def async_with_block(user_id):
    async with async_session() as session:
        user = await session.get(User, user_id)  # expect: ORM201
        user.visits += 1
        await session.commit()


async def fastapi_dependency(user_id: int, session: AsyncSession = Depends(get_session)):
    user = await session.get(User, user_id)  # expect: ORM201
    return {"email": user.email}


# -- checked --------------------------------------------------------------------------------------
async def fastapi_404(user_id: int, session: AsyncSession = Depends(get_session)):
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return {"email": user.email}


async def walrus_on_await(session: AsyncSession, user_id):
    if (user := await session.get(User, user_id)) is None:
        return None
    return user.email


async def checked_in_async_with(name):
    async with async_session() as session:
        result = await session.execute(select(User).where(User.name == name))
        user = result.scalar_one_or_none()
        if not user:
            return None
        return user.email


async def strict(session: AsyncSession, name):
    user = (await session.execute(select(User).where(User.name == name))).scalar_one()
    return user.email
