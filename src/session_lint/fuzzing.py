"""Shared by the fuzz test and the long fuzz campaign: lint one generated program with every
rule and say what, if anything, escaped.

Programs generated from Python's grammar rarely say `session.add` or `.first()`, and the
rules' cheap token check skips a file without their tokens; so each program is also linted
in session-heavy variants: its names renamed into SQLAlchemy's vocabulary (`session`, `add`,
`commit`, `query`, `first`, ...), and its statements moved inside a view that opens a session
in a `with` block inside a loop and a `try`, between session operations (sync and async).
Every variant is still a program libcst parses, and holds every rule's tokens: every rule
runs on it, deep paths included.
"""
from __future__ import annotations

import zlib
from typing import List, Optional, Sequence, Union

import libcst as cst

from .engine import lint_source
from .rules import BUILTIN_RULES
from .settings import Settings

SESSION_PRELUDE = (
    "from sqlalchemy import select\n"
    "from sqlalchemy.orm import Session, sessionmaker\n"
    "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
    "from flask_sqlalchemy import SQLAlchemy\n"
    "from flask import abort\n"
    "db = SQLAlchemy()\n"
    "SessionLocal = sessionmaker()\n"
)

# Names of sessions, their methods, queries and results; a generated name is replaced by one
# of these (chosen by a hash of the name, so the same name always gets the same new name).
VOCABULARY = (
    "session", "db", "s", "SessionLocal", "Session", "sessionmaker", "async_sessionmaker",
    "scoped_session", "engine", "User", "user", "users", "item", "items", "row", "rows", "result",
    "add", "add_all", "delete", "merge", "commit", "rollback", "flush", "close", "begin",
    "begin_nested", "refresh", "expire", "expunge", "query", "execute", "scalars", "scalar",
    "scalar_one", "scalar_one_or_none", "one_or_none", "one", "first", "get", "get_or_404",
    "first_or_404", "all", "fetchone", "filter", "filter_by", "where", "order_by", "limit",
    "select", "count", "len", "sorted", "sum", "id", "name", "abort", "exit", "Exception",
    "IntegrityError", "log", "append", "in_", "is_", "and_", "or_",
)
# What a renamed `x.attribute` is called on: mostly sessions.
RECEIVERS = ("session", "session", "session", "s", "db", "User", "result", "query", "self")
_KEEP = frozenset({"True", "False", "None", "__BODY__"})

# The generated statements go between session operations, so that every rule's tokens are
# present and its analysis runs across the generated control flow.
_SYNC_VIEW = (
    "def view(engine, items):\n"
    "    for item in items:\n"
    "        try:\n"
    "            with Session(engine) as session:\n"
    "                user = session.query(User).filter(User.id == item).first()\n"
    "                __BODY__\n"
    "                session.add(user)  # noqa: ORM201, ORM999\n"  # for ORM900 (unused noqa)
    "                session.flush()\n"
    "                session.commit()\n"
    "        except Exception:\n"
    "            log(item)\n"
    "    return [u for u in session.execute(select(User)).scalars().all() if u.name]\n"
)
_ASYNC_VIEW = (
    "async def view(engine, user_id):\n"
    "    async with async_sessionmaker(engine)() as session:\n"
    "        user = await session.get(User, user_id)\n"
    "        __BODY__\n"
    "        db.session.delete(user)  # noqa: ORM101, ORM9\n"
    "        await session.commit()\n"
    "        return user.name, len(db.session.scalars(select(User)).all())\n"
)


class _Rename(cst.CSTTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value in _KEEP:
            return updated_node
        index = zlib.crc32(updated_node.value.encode("utf-8", "surrogatepass")) % len(VOCABULARY)
        return updated_node.with_changes(value=VOCABULARY[index])

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        value = updated_node.value
        if isinstance(value, cst.Name) and value.value not in _KEEP:
            index = zlib.crc32(value.value.encode()) % len(RECEIVERS)
            return updated_node.with_changes(value=value.with_changes(value=RECEIVERS[index]))
        return updated_node


class _Insert(cst.CSTTransformer):
    def __init__(self, body: Sequence[cst.BaseStatement]) -> None:
        super().__init__()
        self.body = body

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.BaseStatement, cst.FlattenSentinel[cst.BaseStatement]]:
        statement = updated_node.body[0] if len(updated_node.body) == 1 else None
        if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Name) \
                and statement.value.value == "__BODY__":
            return cst.FlattenSentinel(self.body)
        return updated_node


def session_variants(source: str) -> List[str]:
    """The session-heavy variants of `source` (none when libcst cannot parse it)."""
    try:
        renamed = cst.parse_module(source).visit(_Rename())
        body = list(renamed.body) or [cst.SimpleStatementLine([cst.Pass()])]
        variants = []
        for template in (_SYNC_VIEW, _ASYNC_VIEW):
            variants.append(SESSION_PRELUDE + cst.parse_module(template).visit(_Insert(body)).code)
        return variants
    except Exception:  # the harness's own limits (say, a body libcst cannot re-emit): skip
        return []


def lint_generated(source: str) -> Optional[str]:
    """None when the engine handled `source` cleanly, else a description of what went wrong."""
    for text in (source, SESSION_PRELUDE + source, *session_variants(source)):
        try:
            result = lint_source(text, "generated.py", BUILTIN_RULES, Settings())
        except BaseException as error:  # the engine promises never to raise
            return f"exception escaped: {type(error).__name__}: {error}\n--- variant ---\n{text}"
        internal = [d for d in result.diagnostics if d.code == "ORM002"]
        if internal:
            return f"internal error: {internal[0].message}\n{''.join(result.tracebacks)}--- variant ---\n{text}"
    return None
