"""`--add-noqa` and the opt-in ORM900 (unused or unknown `# noqa` codes) with its fix."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from session_lint.noqa import add_noqa_edits, without_codes
from session_lint.fixes import apply_edits
from tests.conftest import cli_project, run_cli

VIEWS = textwrap.dedent('''\
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.models import User


    def age(session: Session, user_id):
        return session.get(User, user_id).age  # the age


    def email(session: Session, user_id):
        return session.execute(
            select(User).where(User.id == user_id)
        ).scalar_one_or_none().email


    def name(session: Session, user_id):
        return session.get(User, user_id).name  # noqa: E501


    def text_first(session: Session, user_id):
        return session.get(User, """
            multi-line string first""").name


    def both(session: Session, ids):
        return len(session.scalars(select(User).where(User.id in ids)).all())
    ''')


def run(args: List[str], capsys) -> Tuple[int, str, str]:
    return run_cli(["--no-cache", *args], capsys)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    return cli_project(tmp_path, monkeypatch, {"app/views.py": VIEWS})  # type: ignore[return-value]


def test_add_noqa_suppresses_every_finding_where_noqa_is_read(project: Path, capsys) -> None:
    code, out, err = run(["--add-noqa", "app"], capsys)
    assert (code, out, err) == (0, "", "session-lint: added 5 `# noqa` comments\n")
    lines = (project / "app" / "views.py").read_text().splitlines()
    assert lines[7] == "    return session.get(User, user_id).age  # the age  # noqa: ORM201"
    # A statement over several lines: its first line, where `noqa_row` points.
    assert lines[11] == "    return session.execute(  # noqa: ORM201"
    assert lines[17] == "    return session.get(User, user_id).name  # noqa: E501, ORM201"  # existing codes kept
    # The first line ends inside a string: the comment goes on the statement's next line.
    assert lines[21:23] == ["    return session.get(User, \"\"\"", "        multi-line string first\"\"\").name  # noqa: ORM201"]
    assert lines[26] == "    return len(session.scalars(select(User).where(User.id in ids)).all())  # noqa: ORM303, ORM502"
    assert run(["app"], capsys)[:2] == (0, "All checks passed.\n")


def test_add_noqa_is_idempotent(project: Path, capsys) -> None:
    run(["--add-noqa", "app"], capsys)
    first = (project / "app" / "views.py").read_text()
    assert run(["--add-noqa", "app"], capsys) == (0, "", "session-lint: added 0 `# noqa` comments\n")
    assert (project / "app" / "views.py").read_text() == first


def test_add_noqa_edits_extend_a_code_list_and_respect_a_blanket_noqa() -> None:
    text = "a = 1  # noqa: X1\nb = 2  # noqa\nc = 3 \\\n    + 4\n"
    edits = add_noqa_edits(text, [("ORM201", (1,)), ("ORM303", (1,)), ("ORM201", (2,)), ("ORM101", (3, 4))])
    assert apply_edits(text, edits) == "a = 1  # noqa: X1, ORM201, ORM303\nb = 2  # noqa\nc = 3 \\\n    + 4  # noqa: ORM101\n"


@pytest.mark.parametrize("comment, codes, expected", [
    ("# noqa: ORM201", ["ORM201"], ""),
    ("# noqa: ORM201, E501", ["ORM201"], "# noqa: E501"),
    ("# explain  # noqa: ORM303", ["ORM303"], "# explain"),
    ("# noqa:ORM1 ORM999", ["ORM999"], "# noqa:ORM1"),
    ("# no directive", ["ORM201"], None),
])
def test_without_codes(comment: str, codes: List[str], expected) -> None:
    assert without_codes(comment, codes) == expected


def test_unused_noqa_is_opt_in_and_its_fix_removes_the_dead_codes(project: Path, capsys) -> None:
    views = project / "app" / "views.py"
    views.write_text(VIEWS.replace("# the age", "# noqa: ORM201") + "\n\ndef clean():\n    return 1  # noqa: ORM201, ORM999, E501\n")
    assert "ORM900" not in run(["app"], capsys)[1]
    code, out, _ = run(["--extend-select", "ORM900", "--output-format", "concise", "app"], capsys)
    unused = [line for line in out.splitlines() if "ORM900" in line]
    assert unused == ["app/views.py:31:15: ORM900 [*] `# noqa` code ORM201 suppresses nothing: no such finding on "
                      "this statement; `# noqa` names ORM999, which no installed rule has"]
    run(["--extend-select", "ORM900", "--fix", "app"], capsys)
    assert views.read_text().endswith("    return 1  # noqa: E501\n")
    assert "return session.get(User, user_id).age  # noqa: ORM201\n" in views.read_text()  # used: kept
