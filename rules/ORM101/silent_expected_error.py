"""ORM101 look-alikes, class D: the flush is expected to fail (`with pytest.raises(...)`):
an error path, nothing is meant to be stored.

Shapes from sqlmodel `tests/test_datetime.py` and advanced-alchemy
`tests/integration/test_unique_mixin.py`.
"""
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.ext.asyncio import AsyncSession

from models import User

engine = create_engine("sqlite://")


def add_and_flush_inside(event, operation):
    with Session(engine) as session:
        with pytest.raises(StatementError, match="timezone information"):
            if operation == "insert":
                session.add(event)
                session.flush()


def add_before_flush_inside(rows):
    with Session(engine) as session:
        session.add_all(User(**row) for row in rows)
        with pytest.raises(IntegrityError):
            # An exception should be raised when not using ``as_unique_sync``
            session.flush()


async def async_add_before_flush_inside(async_engine, rows):
    async with AsyncSession(async_engine) as session:
        session.add_all(User(**row) for row in rows)
        with pytest.raises(IntegrityError):
            await session.flush()


def unittest_style(case):
    with Session(engine) as session:
        session.add(User(name=None))
        with case.assertRaises(IntegrityError):
            session.flush()
