"""Async sessions fail the same way: `await session.rollback()` is needed after a failed commit."""
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import Event, User

log = logging.getLogger(__name__)
engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine, expire_on_commit=False)


async def dependency_session(session: AsyncSession, name: str) -> bool:
    try:
        session.add(User(name=name))
        await session.commit()
    except IntegrityError:  # expect: ORM401
        log.warning("duplicate %s", name)
        return False
    return True


async def consumer(queue):
    async with async_session() as session:
        while True:
            event = await queue.get()
            try:
                session.add(Event(payload=event))
                await session.commit()
            except Exception:  # expect: ORM401
                log.exception("dropping event")


async def rolls_back(session: AsyncSession, name: str) -> bool:
    try:
        session.add(User(name=name))
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def block_ends_after_the_handler(name: str) -> None:
    async with async_session() as session:
        try:
            session.add(User(name=name))
            await session.commit()
        except IntegrityError:
            log.warning("duplicate %s", name)


async def savepoint(session: AsyncSession, names) -> None:
    for name in names:
        try:
            async with session.begin_nested():
                session.add(User(name=name))
        except IntegrityError:
            log.warning("duplicate %s", name)
    await session.commit()


async def new_session_per_event(queue):
    while True:
        event = await queue.get()
        async with async_session() as session:
            try:
                session.add(Event(payload=event))
                await session.commit()
            except Exception:
                log.exception("dropping event")
