"""`--fix`, `--unsafe-fixes`, `--diff`, `--show-fixes` end to end: what is written, what is
printed, and the files that must not be written."""
from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from session_lint.cli import main
from tests.conftest import run_cli

MODELS = textwrap.dedent('''\
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        age: Mapped[int]
        active: Mapped[bool]
    ''')

VIEWS = textwrap.dedent('''\
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.models import User


    def adults(session: Session):
        return session.scalars(select(User).where(User.active == True and User.age > 18)).all()


    def age(session: Session, user_id):
        return session.get(User, user_id).age


    def unknown_age(session: Session, ids):
        return session.scalars(select(User).where(User.age is None, User.id in ids)).all()
    ''')

SAFELY_FIXED = (VIEWS.replace("from sqlalchemy import select\n", "from sqlalchemy import select, and_\n")
                .replace("User.active == True and User.age > 18", "and_(User.active == True, User.age > 18)")
                .replace("User.age is None, User.id in ids", "User.age.is_(None), User.id.in_(ids)"))


def run(args: List[str], capsys) -> Tuple[int, str, str]:
    return run_cli(["--no-cache", *args], capsys)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_applies_the_safe_fixes_and_reports_what_is_left(project: Path, capsys) -> None:
    code, out, err = run(["--fix", "app"], capsys)
    assert (project / "app" / "views.py").read_text() == SAFELY_FIXED
    assert code == 1  # ORM201 is left: its fix is unsafe
    assert "ORM201" in out and "ORM501" not in out and "ORM503" not in out
    assert out.endswith("Found 4 findings (3 fixed, 1 remaining, 1 more with --unsafe-fixes).\n")
    assert err == ""


def test_fix_is_idempotent(project: Path, capsys) -> None:
    run(["--fix", "app"], capsys)
    code, out, _ = run(["--fix", "app"], capsys)
    assert (project / "app" / "views.py").read_text() == SAFELY_FIXED
    assert code == 1 and out.endswith("Found 1 finding (1 more with --unsafe-fixes).\n")


def test_unsafe_fixes_apply_with_fix_only(project: Path, capsys) -> None:
    code, out, _ = run(["--unsafe-fixes", "app"], capsys)
    assert code == 1 and "ORM201 [*]" in out  # shown as fixable, nothing written
    assert (project / "app" / "views.py").read_text() == VIEWS
    code, out, _ = run(["--fix", "--unsafe-fixes", "app"], capsys)
    assert code == 0 and out == "Found 4 findings (4 fixed, 0 remaining).\n"
    assert "session.get_one(User, user_id).age" in (project / "app" / "views.py").read_text()


def test_diff_writes_nothing_and_exits_1_when_there_is_something_to_fix(project: Path, capsys) -> None:
    code, out, err = run(["--diff", "app"], capsys)
    assert code == 1 and err == "session-lint: would fix 3 findings\n"
    assert out.startswith("--- app/views.py\n+++ app/views.py\n@@")
    assert "-from sqlalchemy import select\n+from sqlalchemy import select, and_\n" in out
    assert (project / "app" / "views.py").read_text() == VIEWS
    run(["--fix", "app"], capsys)
    assert run(["--diff", "app"], capsys) == (0, "", "session-lint: would fix 0 findings\n")


def test_show_fixes_lists_the_fixed_findings(project: Path, capsys) -> None:
    _, _, err = run(["--fix", "--show-fixes", "app"], capsys)
    assert err == ("Fixed 3 findings:\n- app/views.py:\n    1 x ORM501 (python-boolean-operator-in-filter)\n"
                   "    1 x ORM502 (python-in-operator-in-filter)\n    1 x ORM503 (identity-comparison-in-filter)\n")


def test_json_carries_the_fix(project: Path, capsys) -> None:
    import json

    _, out, _ = run(["--output-format", "json", "app"], capsys)
    fixes = {item["code"]: item["fix"] for item in json.loads(out)}
    assert fixes["ORM201"]["applicability"] == "unsafe"
    assert fixes["ORM501"]["applicability"] == "safe"
    assert fixes["ORM501"]["edits"][0] == {"content": "and_(User.active == True, User.age > 18)",
                                            "location": {"row": 8, "column": 47},
                                            "end_location": {"row": 8, "column": 84}}


def test_fix_keeps_mode_line_endings_encoding_and_symbolic_links(project: Path, capsys) -> None:
    target = project / "app" / "views.py"
    target.write_bytes(("# -*- coding: latin-1 -*-\n# Café\n" + VIEWS).replace("\n", "\r\n").encode("latin-1"))
    os.chmod(target, 0o640)
    link = project / "link.py"
    link.symlink_to(target)
    run(["--fix", "link.py"], capsys)
    assert link.is_symlink()
    data = target.read_bytes()
    assert data.startswith("# -*- coding: latin-1 -*-\r\n# Café\r\n".encode("latin-1"))
    assert b"and_(User.active == True, User.age > 18)" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in (project / "app").iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_file_changed_while_it_was_fixed_is_not_written(project: Path, capsys, monkeypatch) -> None:
    from session_lint import file_edits

    target = project / "app" / "views.py"
    real = file_edits.fix_source

    def fix_source_then_edit(source, *args, **kwargs):
        outcome = real(source, *args, **kwargs)
        target.write_text(VIEWS + "# saved by an editor meanwhile\n")
        return outcome

    monkeypatch.setattr(file_edits, "fix_source", fix_source_then_edit)
    code, out, err = run(["--fix", "app"], capsys)
    assert target.read_text() == VIEWS + "# saved by an editor meanwhile\n"
    assert code == 2
    assert "app/views.py: not written: it changed since it was read; the change on disk wins" in err
    assert "ORM501" in out  # nothing was fixed, so everything is still reported


def test_fix_and_add_noqa_do_not_go_together(project: Path, capsys) -> None:
    code, out, err = run(["--fix", "--add-noqa", "app"], capsys)
    assert (code, out) == (2, "") and "--add-noqa cannot be combined with --fix" in err


def test_a_cached_run_keeps_the_fixes(project: Path, capsys) -> None:
    # The results cache must store each finding's fix: the summary, JSON and SARIF of a
    # second run read them from there.
    for _ in range(2):
        with pytest.raises(SystemExit):
            main(["--cache-dir", str(project / "cache"), "app"])
        out = capsys.readouterr().out
        assert out.endswith("Found 4 findings (3 fixable with --fix, 1 more with --unsafe-fixes).\n")
