"""Baselines end to end: recorded findings stay hidden through unrelated edits, new ones
are reported, stale entries are listed and dropped by re-writing."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from session_lint.baseline import Baseline, normalised_statement
from session_lint.diagnostics import Diagnostic, Location
from tests.conftest import cli_project, run_cli

VIEWS = textwrap.dedent('''\
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.models import User


    def age(session: Session, user_id):
        return session.get(User, user_id).age


    def ages(session: Session, first, second):
        return session.get(User, first).age + session.get(User, second).age
    ''')


def run(args: List[str], capsys) -> Tuple[int, str, str]:
    return run_cli(["--no-cache", *args], capsys)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    return cli_project(tmp_path, monkeypatch, {"app/views.py": VIEWS})  # type: ignore[return-value]


def test_write_then_check_hides_every_recorded_finding(project: Path, capsys) -> None:
    code, out, err = run(["--write-baseline", "baseline.json", "app"], capsys)
    assert (code, out, err) == (0, "", "session-lint: recorded 3 findings in baseline.json\n")
    recorded = json.loads((project / "baseline.json").read_text())
    assert [(f["path"], f["code"], f["occurrence"]) for f in recorded["findings"]] == [
        ("app/views.py", "ORM201", 0), ("app/views.py", "ORM201", 0), ("app/views.py", "ORM201", 1)]
    assert run(["--baseline", "baseline.json", "app"], capsys) == (
        0, "All checks passed (3 findings hidden by the baseline).\n", "")


def test_recorded_findings_survive_an_inserted_line_and_reformatting(project: Path, capsys) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    edited = ('"""Views."""\nimport os\n' + VIEWS).replace(
        "return session.get(User, user_id).age", "return session.get(  # a comment\n        User, user_id).age")
    views.write_text(edited)
    code, out, _ = run(["--baseline", "baseline.json", "app"], capsys)
    assert (code, out) == (0, "All checks passed (3 findings hidden by the baseline).\n")


def test_a_new_finding_is_reported_even_next_to_recorded_ones(project: Path, capsys) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    views.write_text(VIEWS + "\n\ndef name(session: Session, user_id):\n    return session.get(User, user_id).name\n")
    code, out, _ = run(["--output-format", "concise", "--baseline", "baseline.json", "app"], capsys)
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()] == ["app/views.py:16:20"]
    code, out, _ = run(["--baseline", "baseline.json", "app"], capsys)
    assert out.endswith("Found 1 finding (1 more with --unsafe-fixes, 3 findings hidden by the baseline).\n")


def test_a_copy_of_a_recorded_statement_is_new(project: Path, capsys) -> None:
    # Findings are told apart by their statement and their order among its copies.
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    views.write_text(VIEWS + "\n\ndef more(session: Session, first, second):\n"
                             "    return session.get(User, first).age + session.get(User, second).age\n")
    code, out, _ = run(["--output-format", "concise", "--baseline", "baseline.json", "app"], capsys)
    assert code == 1 and [line.split(": ")[0] for line in out.splitlines()] == ["app/views.py:16:20",
                                                                                  "app/views.py:16:51"]


def test_editing_the_flagged_statement_makes_its_findings_new(project: Path, capsys) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    views.write_text(VIEWS.replace("session.get(User, user_id).age", "session.get(User, user_id).age * 2"))
    code, out, _ = run(["--output-format", "concise", "--baseline", "baseline.json", "app"], capsys)
    assert code == 1 and [line.split(": ")[0] for line in out.splitlines()] == ["app/views.py:8:20"]


def test_stale_entries_are_counted_listed_and_dropped_by_rewriting(project: Path, capsys) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    views.write_text(VIEWS.replace("return session.get(User, user_id).age", "return session.get_one(User, user_id).age"))
    code, out, err = run(["--baseline", "baseline.json", "app"], capsys)
    assert (code, out) == (0, "All checks passed (2 findings hidden by the baseline).\n")
    assert err == ("session-lint: 1 baseline entry matches no finding any more (--show-stale-baseline lists "
                   "them; --write-baseline drops them)\n")
    _, _, err = run(["--baseline", "baseline.json", "--show-stale-baseline", "app"], capsys)
    assert err.startswith("session-lint: stale baseline entry: app/views.py: ORM201 (line 8 when recorded): "
                          "`session.get()` returns None")
    run(["--write-baseline", "baseline.json", "app"], capsys)
    assert run(["--baseline", "baseline.json", "app"], capsys)[2] == ""


def test_linting_one_file_does_not_make_other_files_entries_stale(project: Path, capsys) -> None:
    (project / "app" / "other.py").write_text(VIEWS)
    run(["--write-baseline", "baseline.json", "app"], capsys)
    code, out, err = run(["--baseline", "baseline.json", "app/views.py"], capsys)
    assert (code, out, err) == (0, "All checks passed (3 findings hidden by the baseline).\n", "")


def test_paths_are_relative_to_the_baseline_file_whatever_the_working_directory(project: Path, capsys,
                                                                               monkeypatch) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    monkeypatch.chdir(project / "app")
    code, out, _ = run(["--baseline", "../baseline.json", "views.py"], capsys)
    assert (code, out) == (0, "All checks passed (3 findings hidden by the baseline).\n")


def test_fix_and_add_noqa_leave_baselined_findings_alone(project: Path, capsys) -> None:
    run(["--write-baseline", "baseline.json", "app"], capsys)
    views = project / "app" / "views.py"
    views.write_text(VIEWS + "\n\ndef name(session: Session, user_id):\n    return session.get(User, user_id).name\n")
    run(["--baseline", "baseline.json", "--fix", "--unsafe-fixes", "app"], capsys)
    text = views.read_text()
    assert text.count("session.get_one(") == 1 and "session.get_one(User, user_id).name" in text
    views.write_text(VIEWS + "\n\ndef name(session: Session, user_id):\n    return session.get(User, user_id).name\n")
    run(["--baseline", "baseline.json", "--add-noqa", "app"], capsys)
    assert views.read_text().count("# noqa") == 1


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not a baseline file (invalid JSON"),
    ('{"kind": "other", "format": 1, "findings": []}', "not a session-lint baseline"),
    ('{"kind": "session-lint-baseline", "format": 1, "findings": [{"path": 1}]}', "a baseline entry is damaged"),
])
def test_a_damaged_baseline_is_one_error_line(project: Path, capsys, content: str, problem: str) -> None:
    (project / "baseline.json").write_text(content)
    code, out, err = run(["--baseline", "baseline.json", "app"], capsys)
    assert (code, out) == (2, "") and problem in err and len(err.splitlines()) == 1


def test_a_missing_baseline_is_an_error(project: Path, capsys) -> None:
    code, _, err = run(["--baseline", "missing.json", "app"], capsys)
    assert code == 2 and "missing.json: cannot read the baseline" in err


def test_statement_normalisation_ignores_layout_and_comments() -> None:
    def diagnostic(rows) -> Diagnostic:
        return Diagnostic("ORM201", "m", "x.py", Location(rows[0], 1), Location(rows[0], 2), rows[0],
                          statement_rows=tuple(rows))

    one = ["x = session.get(User, 1).name  # noqa: E501"]
    two = ["x = session.get(  # why", "    User,   1", ").name"]
    assert normalised_statement(diagnostic([1]), lambda f, r: one[r - 1]) == \
        normalised_statement(diagnostic([1, 2, 3]), lambda f, r: two[r - 1]) == \
        "x = session . get ( User , 1 ) . name"
    # A compound statement's header cut before its body still normalises (open bracket).
    header = ["with Session(", "    engine"]
    assert normalised_statement(diagnostic([1, 2]), lambda f, r: header[r - 1]) == "with Session( engine"


def test_baseline_loads_what_it_wrote(tmp_path: Path) -> None:
    from session_lint.baseline import write

    target = tmp_path / "b.json"
    diagnostic = Diagnostic("ORM201", "message", str(tmp_path / "a.py"), Location(3, 1), Location(3, 2), 3,
                            statement_rows=(3,))
    assert write(target, [diagnostic], lambda f, r: "x = 1") == 1
    loaded = Baseline.load(target)
    assert [(e.path, e.code, e.occurrence, e.row) for e in loaded.recorded] == [("a.py", "ORM201", 0, 3)]
    assert loaded.split([diagnostic], lambda f, r: "x  =  1").hidden == [diagnostic]
