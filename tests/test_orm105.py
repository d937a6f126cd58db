"""ORM105 implicit-io-after-commit: messages, request handlers, and what a session received as
a parameter is assumed to do.

The flagged and silent forms themselves are the catalogue fixtures in `rules/ORM105/`.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from session_lint import Settings, lint_source
from session_lint.project_index import ProjectIndex
from tests.conftest import findings, rule_class


def diagnostics(source: str, filename: str = "snippet.py", index: ProjectIndex = ProjectIndex()):
    return lint_source(textwrap.dedent(source), filename, [rule_class("ORM105")], Settings(), index).diagnostics


def project(tmp_path: Path, files: Dict[str, str]) -> List[Path]:
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(path)
    return paths


def test_message_while_the_session_is_open() -> None:
    source = """
    from sqlalchemy.ext.asyncio import async_sessionmaker

    maker = async_sessionmaker(engine)

    async def create(name):
        async with maker() as session:
            user = User(name=name)
            session.add(user)
            await session.commit()
            return user.id
    """
    [finding] = diagnostics(source)
    assert (finding.location.row, finding.location.column) == (11, 16)
    assert finding.message == (
        "`user.id` reads `user` synchronously: `await session.commit()` on line 10 expired `user`, "
        "and loading it again is I/O that a plain attribute read cannot await, so this raises "
        "MissingGreenlet"
    )
    assert finding.hint == ("`await session.refresh(user)` after the commit, or pass "
                            "`expire_on_commit=False` to `maker` (line 4)")


def test_message_after_the_session_ended() -> None:
    source = """
    from sqlalchemy.ext.asyncio import AsyncSession

    async def create(engine, name):
        async with AsyncSession(engine) as session:
            user = User(name=name)
            session.add(user)
            await session.commit()
        return user.name
    """
    [finding] = diagnostics(source)
    assert finding.location.row == 9
    assert finding.message.endswith("and the `async with AsyncSession(engine) as session` block closed the "
                                    "session when it ended on line 8, so this raises DetachedInstanceError")


VIEW = """
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter()

{decorator}
async def create(name: str, session: AsyncSession):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user
"""


@pytest.mark.parametrize("decorator, flagged", [
    ('@router.post("/users", response_model=UserOut)', True),
    ('@router.get("/users")', True),
    ("", False),  # a helper: its caller can still `await session.refresh(user)`
])
def test_return_counts_in_request_handlers(decorator: str, flagged: bool) -> None:
    assert findings(VIEW.format(decorator=decorator), "ORM105") == ([(12, "ORM105")] if flagged else [])


def test_return_message_in_a_request_handler() -> None:
    [finding] = diagnostics(VIEW.format(decorator='@router.post("/users")'))
    assert finding.message.startswith("`return` hands out an expired `user`: `await session.commit()` on "
                                      "line 11 expired `user`")
    assert finding.message.endswith("so building the response from it raises MissingGreenlet")


PARAMETER = """
from sqlalchemy.ext.asyncio import AsyncSession

async def rename(session: AsyncSession, user_id: int):
    user = await session.get(User, user_id)
    await session.commit()
    return user.name
"""


@pytest.mark.parametrize("factories, flagged", [
    ([], True),  # nothing known: SQLAlchemy's default
    (["async_sessionmaker(engine, expire_on_commit=False)"], False),
    (["async_sessionmaker(engine, expire_on_commit=False)",
      "sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)"], False),
    (["async_sessionmaker(engine, expire_on_commit=False)", "async_sessionmaker(engine)"], True),
    (["async_sessionmaker(engine)"], True),
    # Sync factories say nothing about async sessions.
    (["sessionmaker(engine, expire_on_commit=False)"], True),
])
def test_a_parameter_session_follows_the_projects_factories(tmp_path: Path, factories: List[str],
                                                            flagged: bool) -> None:
    db = "".join(f"Maker{number} = {call}\n" for number, call in enumerate(factories))
    paths = project(tmp_path, {
        "db.py": "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
                 "from sqlalchemy.orm import sessionmaker\n" + db,
        "service.py": PARAMETER,
    })
    found = findings(PARAMETER, "ORM105", filename=str(paths[1]), index=ProjectIndex.scan(paths))
    assert found == ([(7, "ORM105")] if flagged else [])


def test_async_sessions_of_a_sessionmaker_in_another_module(tmp_path: Path) -> None:
    source = """
    from app.db import Maker

    async def rename(user_id):
        async with Maker() as session:
            user = await session.get(User, user_id)
            await session.commit()
            return user.name
    """
    paths = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from sqlalchemy.ext.asyncio import AsyncSession\nfrom sqlalchemy.orm import sessionmaker\n"
                     "Maker = sessionmaker(engine, class_=AsyncSession)\n",
        "app/service.py": source,
    })
    index = ProjectIndex.scan(paths)
    assert findings(source, "ORM105", filename=str(paths[2]), index=index) == [(8, "ORM105")]
    # The same session is not a sync one: ORM104 has nothing to say about it.
    assert findings(source, "ORM104", filename=str(paths[2]), index=index) == []


def test_sync_sessions_are_left_to_orm104() -> None:
    source = """
    from sqlalchemy.orm import Session

    async def rename(engine, user_id):
        with Session(engine) as session:
            user = session.get(User, user_id)
            session.commit()
        return user.name
    """
    assert findings(source, "ORM105") == []
    assert findings(source, "ORM104") == [(8, "ORM104")]
