from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite://")
async_session = async_sessionmaker(engine)


@asynccontextmanager
async def session_scope():
    async with async_session() as session:
        yield session
        await session.commit()
