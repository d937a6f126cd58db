"""ORM101 on commands, on a real engine: a click command that adds to a scoped session
(what Flask-SQLAlchemy's `db.session` is) and ends without a commit stores nothing once the
registry is torn down (as the app context does after a command); committing stores the row."""
from __future__ import annotations

import textwrap
from typing import Dict

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from click.testing import CliRunner  # noqa: E402
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class Role(Base):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


FLAGGED = """
import click
from sqlalchemy.orm import scoped_session, sessionmaker

Scoped = scoped_session(sessionmaker(engine))

@click.command()
@click.argument("name")
def add_role(name):
    Scoped.add(Role(name=name))
    click.echo("added")
"""

FIXED = FLAGGED.replace('    click.echo("added")', '    Scoped.commit()\n    click.echo("added")')


def run(source: str, engine) -> int:
    """Run the snippet's command as the CLI would, tear the registry down, count the rows."""
    namespace: Dict[str, object] = {"Role": Role, "engine": engine}
    exec(compile(textwrap.dedent(source), "commands.py", "exec"), namespace)
    result = CliRunner().invoke(namespace["add_role"], ["admin"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    namespace["Scoped"].remove()  # type: ignore[attr-defined]
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(Role)) or 0


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_a_command_that_ends_without_commit_loses_the_row(engine) -> None:
    assert findings(FLAGGED, "ORM101") == [(10, "ORM101")]
    assert run(FLAGGED, engine) == 0


def test_committing_in_the_command_stores_the_row(engine) -> None:
    assert findings(FIXED, "ORM101") == []
    assert run(FIXED, engine) == 1
