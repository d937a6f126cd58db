"""Async sessions: `await session.commit()` per row is just as slow."""
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import Event

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine)


async def store_events(session: AsyncSession, events):
    for event in events:
        session.add(Event(payload=event))
        await session.commit()  # expect: ORM103


async def store_stream(stream):
    async with async_session() as session:
        async for event in stream:
            session.add(Event(payload=event))
            await session.commit()  # expect: ORM103


async def one_commit(session: AsyncSession, events):
    for event in events:
        session.add(Event(payload=event))
    await session.commit()


async def consumer(queue):
    async with async_session() as session:
        while True:
            event = await queue.get()
            session.add(Event(payload=event))
            await session.commit()
