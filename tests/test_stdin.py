"""`session-lint - --stdin-filename app/views.py`: the text on standard input is linted as
that file would be, with the project's knowledge of its real location."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest

DB = textwrap.dedent('''\
    from sqlalchemy.orm import sessionmaker

    SessionLocal = sessionmaker()
    ''')

# No import from SQLAlchemy: only the project index knows `SessionLocal` is a session factory.
VIEWS = textwrap.dedent('''\
    from app.db import SessionLocal


    def create(user):
        with SessionLocal() as session:
            session.add(user)
    ''')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\nper-file-ignores = { \"legacy/**\" = [\"ORM101\"] }\n")
    for folder in ("app", "legacy", "tests"):
        (tmp_path / folder).mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text(DB)
    return tmp_path


def session_lint(args: List[str], cwd: Path, text: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "session_lint", "--no-cache", *args], cwd=cwd, input=text,
                          capture_output=True, text=True, timeout=120)


def test_stdin_is_linted_as_the_named_file_with_the_project_index(project: Path) -> None:
    # The file on disk does not even exist yet (an editor's unsaved buffer).
    done = session_lint(["--output-format", "concise", "-", "--stdin-filename", "app/views.py"], project, VIEWS)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith("app/views.py:6:9: ORM101 `session.add()` is never committed")


def test_stdin_from_a_subdirectory_knows_the_same_project(project: Path) -> None:
    done = session_lint(["--output-format", "concise", "-", "--stdin-filename", "views.py"], project / "app", VIEWS)
    assert done.returncode == 1 and done.stdout.startswith("views.py:6:9: ORM101")


def test_per_file_ignores_and_test_code_follow_the_stdin_filename(project: Path) -> None:
    assert session_lint(["-", "--stdin-filename", "legacy/views.py"], project, VIEWS).returncode == 0
    get = "from app.db import SessionLocal\n\n\ndef name(i):\n    with SessionLocal() as s:\n        return s.get(User, i).name\n"
    assert session_lint(["-", "--stdin-filename", "app/views.py"], project, get).returncode == 1
    assert session_lint(["-", "--stdin-filename", "tests/test_views.py"], project, get).returncode == 0


def test_the_stdin_text_wins_over_the_file_on_disk(project: Path) -> None:
    (project / "app" / "views.py").write_text("x = 1\n")
    done = session_lint(["--output-format", "json", "-", "--stdin-filename", "app/views.py"], project, VIEWS)
    assert done.returncode == 1 and '"filename": "app/views.py"' in done.stdout


def test_stdin_without_a_name(project: Path) -> None:
    text = "from sqlalchemy.orm import Session\n\ndef f(engine, u):\n    with Session(engine) as s:\n        s.add(u)\n"
    done = session_lint(["--output-format", "concise", "-"], project, text)
    assert done.returncode == 1 and done.stdout.startswith("-:5:9: ORM101")


def test_stdin_fix_prints_the_fixed_text_and_the_report_on_stderr(project: Path) -> None:
    text = ("from sqlalchemy import select\nfrom app.models import User\n\n\ndef q(session):\n"
            "    return session.scalars(select(User).where(User.deleted_at is None))\n")
    done = session_lint(["--fix", "-", "--stdin-filename", "app/q.py"], project, text)
    assert done.returncode == 0
    assert done.stdout == text.replace("User.deleted_at is None", "User.deleted_at.is_(None)")
    assert done.stderr == "Found 1 finding (1 fixed, 0 remaining).\n"
    diff = session_lint(["--diff", "-", "--stdin-filename", "app/q.py"], project, text)
    assert diff.returncode == 1 and "+    return session.scalars(select(User).where(User.deleted_at.is_(None)))" \
        in diff.stdout


def test_stdin_cannot_be_mixed_with_paths_or_add_noqa(project: Path) -> None:
    for args in (["-", "app"], ["--add-noqa", "-"], ["--stdin-filename", "x.py", "app"]):
        done = session_lint(args, project, "")
        assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1, args
