"""Qualified names of the SQLAlchemy (and friends) objects the rules care about.

Aliases that point at the same object are listed together, so `from sqlalchemy.orm.session
import Session` and `from sqlalchemy.orm import Session` resolve alike.
"""
from __future__ import annotations

from typing import FrozenSet


def _names(*names: str) -> FrozenSet[str]:
    return frozenset(names)


SESSION_CLASSES = _names(
    "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.Session",
    "sqlmodel.Session",
    "sqlmodel.orm.session.Session",
)
ASYNC_SESSION_CLASSES = _names(
    "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession",
)
ALL_SESSION_CLASSES = SESSION_CLASSES | ASYNC_SESSION_CLASSES
# Also accepted in annotations: the scoped proxies behave like a session for callers.
SESSION_ANNOTATIONS = ALL_SESSION_CLASSES | _names(
    "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.scoping.scoped_session",
    "sqlalchemy.ext.asyncio.async_scoped_session",
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session",
)

SESSIONMAKERS = _names(
    "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.session.sessionmaker",
)
ASYNC_SESSIONMAKERS = _names(
    "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker",
)
SCOPED_SESSIONS = _names(
    "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.scoping.scoped_session",
    "sqlalchemy.ext.asyncio.async_scoped_session",
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session",
)
FLASK_SQLALCHEMY = _names(
    "flask_sqlalchemy.SQLAlchemy",
    "flask_sqlalchemy.extension.SQLAlchemy",
)

# Wrappers that pass an annotation through: Optional[Session], Annotated[Session, Depends()].
TRANSPARENT_ANNOTATIONS = _names(
    "typing.Optional",
    "typing.Annotated",
    "typing_extensions.Annotated",
    "typing.Union",
)

# A Connection (sync or async): a session bound to one borrows it, and its transaction.
CONNECTION_TYPES = _names(
    "sqlalchemy.Connection", "sqlalchemy.engine.Connection", "sqlalchemy.engine.base.Connection",
    "sqlalchemy.ext.asyncio.AsyncConnection", "sqlalchemy.ext.asyncio.engine.AsyncConnection",
)
