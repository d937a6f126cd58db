"""ORM104 on a real engine, for what a function hands out without naming it: the rows a
`return` loads inside a block that commits and closes on the way out, and dicts or lists the
instances were collected into (AlmaLinux/albs-web-server 393c6f27, `open_session()` of
fastapi-sqla: commit and close at the end of the `with`).

Each snippet is linted and then executed: `scenario(engine)` plays the caller, reading an
attribute of what it was given.
"""
from __future__ import annotations

import textwrap
from typing import Dict, List, Optional, Tuple

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from sqlalchemy.orm.exc import DetachedInstanceError  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class Package(Base):
    __tablename__ = "packages"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))


HEADER = """
from contextlib import contextmanager
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

@contextmanager
def open_session(engine):
    session = sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
"""

# (id, body, the flagged line counted from the first line of the body)
FLAGGED: List[Tuple[str, str, int]] = [
    ("rows returned from inside a committing session scope", """
def load(engine):
    with open_session(engine) as db:
        return db.execute(select(Package)).scalars().unique().all()

def scenario(engine):
    return load(engine)[0].sha256
""", 4),
    ("rows returned from inside a maker.begin() block", """
def load(engine):
    with sessionmaker(engine).begin() as db:
        return db.scalars(select(Package)).all()

def scenario(engine):
    return load(engine)[0].sha256
""", 4),
    ("a dict of instances returned from a committing session scope", """
def load(engine):
    result = {}
    with open_session(engine) as db:
        for package in db.scalars(select(Package)):
            result[package.sha256] = package
        return result

def scenario(engine):
    return [p.id for p in load(engine).values()]
""", 7),
    ("a list filled with append, read after commit and close", """
def scenario(engine):
    found = []
    with Session(engine) as db:
        for package in db.scalars(select(Package)).all():
            found.append(package)
        db.commit()
    return found[0].sha256
""", 8),
]

SILENT: List[Tuple[str, str]] = [
    ("rows returned from a block that closes without committing", """
def load(engine):
    with Session(engine) as db:
        return db.scalars(select(Package)).all()

def scenario(engine):
    return load(engine)[0].sha256
"""),
    ("expire_on_commit=False on the session", """
def load(engine):
    with open_session(engine) as db:
        db.expire_on_commit = False
        return db.execute(select(Package)).scalars().unique().all()

def scenario(engine):
    return load(engine)[0].sha256
"""),
    ("plain values collected, not instances", """
def scenario(engine):
    ids = {}
    with open_session(engine) as db:
        for package in db.scalars(select(Package)):
            ids[package.sha256] = package.id
    return ids["abc"]
"""),
    ("each element refreshed after the commit", """
def scenario(engine):
    created = []
    with Session(engine) as db:
        for sha in ("d1", "d2"):
            package = Package(sha256=sha)
            db.add(package)
            created.append(package)
        db.commit()
        for package in created:
            db.refresh(package)
    return [p.sha256 for p in created]
"""),
]


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Package(id=1, sha256="abc"))
        session.commit()
    yield engine
    engine.dispose()


def run(body: str, engine) -> Optional[BaseException]:
    namespace: Dict[str, object] = {"Package": Package}
    exec(compile(HEADER + textwrap.dedent(body), "snippet.py", "exec"), namespace)
    try:
        namespace["scenario"](engine)  # type: ignore[operator]
    except Exception as error:
        return error
    return None


def flagged_rows(body: str) -> List[int]:
    offset = HEADER.count("\n")
    return [row - offset for row, _ in findings(HEADER + textwrap.dedent(body), "ORM104")]


@pytest.mark.parametrize("body, line", [(body, line) for _, body, line in FLAGGED],
                         ids=[name for name, _, _ in FLAGGED])
def test_flagged_form_raises_detached_instance_error(engine, body: str, line: int) -> None:
    assert flagged_rows(body) == [line]
    assert isinstance(run(body, engine), DetachedInstanceError)


@pytest.mark.parametrize("body", [body for _, body in SILENT], ids=[name for name, _ in SILENT])
def test_silent_forms_read_their_values(engine, body: str) -> None:
    assert flagged_rows(body) == []
    assert run(body, engine) is None
