"""ORM102: a session whose last act is `commit()` or `rollback()` holds no connection.

The transaction is over and the connection is back in the pool; nothing starts a new one
before the function drops the session. (Closing is still tidier; it is not a leak.)
From SQLAlchemy's `examples/performance/*.py` `setup_database()` functions.
"""
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")
async_engine = create_async_engine("sqlite+aiosqlite://")


def setup_database(n):
    session = Session(engine)
    session.add_all([User(name=f"user {i}") for i in range(n)])
    session.commit()


def store(name):
    session = Session(engine)
    session.add(User(name=name))
    session.commit()
    return name


def discard(name, keep):
    session = Session(engine)
    session.add(User(name=name))
    if keep:
        session.commit()
        return True
    session.rollback()
    return False


async def store_async(name):
    session = AsyncSession(async_engine)
    session.add(User(name=name))
    await session.commit()
