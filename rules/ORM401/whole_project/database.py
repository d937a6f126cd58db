from contextlib import asynccontextmanager

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.ext.asyncio import async_sessionmaker

db = SQLAlchemy()
SessionLocal = async_sessionmaker(create_async_engine("sqlite+aiosqlite://"))


@asynccontextmanager
async def tracked_db(operation):
    session = SessionLocal()
    try:
        yield session
    finally:
        await session.close()
