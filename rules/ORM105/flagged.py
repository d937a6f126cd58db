"""Objects of an AsyncSession read synchronously after a commit expired them."""
from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker

from models import Order, User

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine)
ClassMaker = sessionmaker(engine, class_=AsyncSession)
router = APIRouter()


class UserOut(BaseModel):
    id: int
    name: str


async def get_session():
    async with async_session() as session:
        yield session


async def read_while_open(name):
    async with async_session() as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
        print(user.id)  # expect: ORM105


async def session_class_default(name):
    async with AsyncSession(engine) as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
        return user.name  # expect: ORM105


async def sessionmaker_of_async_sessions(user_id):
    async with ClassMaker() as session:
        user = await session.get(User, user_id)
        await session.commit()
        return user.name  # expect: ORM105


@router.post("/users", response_model=UserOut)
async def create_user(name: str, session: AsyncSession = Depends(get_session)):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user  # expect: ORM105


@router.get("/users/{user_id}")
async def touch_user(user_id: int, session: AsyncSession = Depends(get_session)):
    user = (await session.scalars(select(User).where(User.id == user_id))).one()
    user.visits += 1
    await session.commit()
    return UserOut.model_validate(user)  # expect: ORM105


async def to_dict_reads_attributes(session: AsyncSession, user_id: int):
    result = await session.execute(select(User).where(User.id == user_id))
    user = result.scalar_one()
    await session.commit()
    return user.to_dict()  # expect: ORM105


async def encoded(session: AsyncSession, user_id: int):
    user = await session.get(User, user_id)
    await session.commit()
    return jsonable_encoder(user)  # expect: ORM105


async def list_after_commit(session: AsyncSession):
    users = (await session.scalars(select(User))).all()
    await session.commit()
    for user in users:
        print(user.name)  # expect: ORM105
    return [u.id for u in users]  # expect: ORM105


async def begin_block_commits_when_it_ends(user_id):
    async with async_session() as session:
        async with session.begin():
            user = await session.get(User, user_id)
        return user.name  # expect: ORM105


async def read_after_the_block(user_id):
    async with async_session.begin() as session:
        user = await session.get(User, user_id)
    return user.name  # expect: ORM105


async def returned_as_the_session_ends(name):
    async with async_session() as session:
        user = User(name=name)
        session.add(user)
        await session.commit()
        return user  # expect: ORM105


async def increment_reads_first(session: AsyncSession, user_id: int):
    user = await session.get(User, user_id)
    await session.commit()
    user.visits += 1  # expect: ORM105


async def another_class_does_not_reload_it(session: AsyncSession, user_id: int):
    user = await session.get(User, user_id)
    await session.commit()
    await session.scalars(select(Order))
    return user.name  # expect: ORM105


async def rows_returned_from_a_begin_block():
    # The block commits (expiring the rows) and closes as the function returns.
    async with async_session.begin() as session:
        return (await session.scalars(select(User))).all()  # expect: ORM105


async def collected_into_a_dict():
    by_name = {}
    async with async_session() as session:
        for user in (await session.scalars(select(User))).all():
            by_name[user.name] = user
        await session.commit()
    return by_name  # expect: ORM105
