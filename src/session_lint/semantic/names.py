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
# Session factories that well-known frameworks create for applications to call: calling one
# makes a session the caller must commit and close, as `sessionmaker()` does.
FRAMEWORK_SESSIONMAKERS = _names(
    "airflow.settings.Session",  # Airflow's sessionmaker for DAG callables and plugins
    "airflow.models.settings.Session",  # the same module, imported through airflow.models (Airflow 1.x)
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


# -- method names every analysis agrees on ------------------------------------------------------
# Session methods that run the statement given as their first argument (`exec` is SQLModel's).
RUNS_STATEMENT = frozenset({"execute", "scalars", "scalar", "exec"})
# Flask-SQLAlchemy's query methods that run the query or abort with a 404.
RUNS_OR_404 = frozenset({"first_or_404", "one_or_404"})
# Session methods that hand new or changed objects to the session.
WRITE_METHODS = frozenset({"add", "add_all", "merge"})
# ... and those that take objects out of it or throw away what was pending.
UNDO_METHODS = frozenset({"delete", "rollback", "expunge", "expunge_all"})
# Session methods whose work only lasts if the session commits.
WORK_METHODS = WRITE_METHODS | {"delete"}

# Session scopes of libraries: `with open_session() as session:` yields a session that the
# block's end commits and closes (fastapi-sqla's sync scope keeps SQLAlchemy's default
# `expire_on_commit=True`; its async one sets it to False, so only the sync one is here).
LIBRARY_SESSION_SCOPES = _names("fastapi_sqla.open_session", "fastapi_sqla.sqla.open_session")
