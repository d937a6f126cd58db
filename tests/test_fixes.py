"""Fixes: the edit model, the fix loop, and the rules' fixes on every catalogue fixture (the
fixed file parses, the fix is idempotent, the fixed findings are gone)."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import List

import libcst as cst
import pytest

from session_lint import Settings, lint_source
from session_lint.diagnostics import Diagnostic, Location
from session_lint.fixer import fix_text, unified_diff
from session_lint.fixes import (Applicability, Edit, EditError, Fix, LineIndex, apply_edits, apply_fixes,
                                fix_from_json, fix_to_json)
from session_lint.project_index import ProjectIndex
from tests.conftest import rule_class

CATALOGUE = Path(__file__).resolve().parents[1] / "rules"
FIXABLE = ("ORM201", "ORM303", "ORM501", "ORM502", "ORM503", "ORM900")


def edit(row: int, column: int, end_row: int, end_column: int, content: str) -> Edit:
    return Edit(Location(row, column), Location(end_row, end_column), content)


# -- the edit model ------------------------------------------------------------------------------
def test_apply_edits_replaces_inserts_and_deletes() -> None:
    text = "abc\ndef\n"
    assert apply_edits(text, [edit(1, 2, 1, 3, "X")]) == "aXc\ndef\n"
    assert apply_edits(text, [edit(2, 1, 2, 1, ">")]) == "abc\n>def\n"
    assert apply_edits(text, [edit(1, 3, 2, 2, "")]) == "abef\n"
    assert apply_edits(text, [edit(3, 1, 3, 1, "tail\n")]) == "abc\ndef\ntail\n"


def test_columns_count_code_points_and_rows_follow_every_line_break() -> None:
    text = "é = 1\r\nx = 2\ry\n"
    assert apply_edits(text, [edit(1, 5, 1, 6, "9"), edit(2, 5, 2, 6, "8"), edit(3, 1, 3, 2, "z")]) == \
        "é = 9\r\nx = 8\rz\n"
    index = LineIndex(text)
    assert index.location(index.offset(Location(3, 2))) == Location(3, 2)


@pytest.mark.parametrize("bad", [edit(1, 1, 1, 9, ""), edit(4, 1, 4, 1, ""), edit(1, 3, 1, 2, "")])
def test_edits_outside_the_text_are_refused(bad: Edit) -> None:
    with pytest.raises(EditError):
        apply_edits("abc\n", [bad])


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(EditError):
        apply_edits("abcdef", [edit(1, 1, 1, 4, "x"), edit(1, 3, 1, 5, "y")])
    with pytest.raises(EditError):
        apply_edits("abcdef", [edit(1, 2, 1, 2, "x"), edit(1, 2, 1, 2, "y")])


def test_apply_fixes_defers_a_conflicting_fix_and_shares_identical_edits() -> None:
    text = "import a\nf(x and y)\ng(p or q)\n"
    imports = edit(1, 9, 1, 9, ", b")
    first = Fix.safe("one", edit(2, 3, 2, 10, "b(x, y)"), imports)
    second = Fix.safe("two", edit(3, 3, 3, 9, "b(p, q)"), imports)
    conflicting = Fix.safe("three", edit(2, 5, 2, 8, "!!"))
    fixed, applied = apply_fixes(text, [first, second, conflicting])
    assert fixed == "import a, b\nf(b(x, y))\ng(b(p, q))\n"
    assert applied == [first, second]


def test_fix_json_has_ruffs_keys_and_round_trips() -> None:
    fix = Fix.unsafe("Use `.one()`", edit(2, 5, 2, 10, "one"))
    data = fix_to_json(fix)
    assert data == {"applicability": "unsafe", "message": "Use `.one()`",
                    "edits": [{"content": "one", "location": {"row": 2, "column": 5},
                               "end_location": {"row": 2, "column": 10}}]}
    assert fix_from_json(data) == fix
    assert fix_from_json(None) is None
    for damaged in ({"applicability": "maybe", "message": "", "edits": []},
                    {"applicability": "safe", "message": "", "edits": [{"content": 1}]},
                    {"applicability": "safe", "message": "", "edits": [
                        {"content": "", "location": {"row": 0, "column": 1}, "end_location": {"row": 1, "column": 1}}]}):
        with pytest.raises(ValueError):
            fix_from_json(damaged)


def test_applicability() -> None:
    safe, unsafe = Fix.safe("s", edit(1, 1, 1, 1, "x")), Fix.unsafe("u", edit(1, 1, 1, 1, "x"))
    display = Fix(Applicability.DISPLAY_ONLY, "d", (edit(1, 1, 1, 1, "x"),))
    assert safe.applies(False) and not unsafe.applies(False) and unsafe.applies(True)
    assert not display.applies(True) and not Fix.safe("empty").applies(True)


def test_unified_diff_marks_a_missing_final_newline() -> None:
    assert unified_diff("a\nb", "a\nc", "x.py").endswith("+c\n\\ No newline at end of file\n")


# -- the rules' fixes on the catalogue fixtures ------------------------------------------------------
def fixture_files() -> List[Path]:
    return sorted(p for code in FIXABLE for p in (CATALOGUE / code).rglob("*.py"))


def _linter(path: Path):
    code = path.relative_to(CATALOGUE).parts[0]
    project = path.parent if path.parent != CATALOGUE / code else None
    index = ProjectIndex.scan(sorted(project.rglob("*.py"))) if project else ProjectIndex.scan([path])
    settings = Settings(root=CATALOGUE.parent)
    rule = rule_class(code)

    def lint(text: str) -> List[Diagnostic]:
        return lint_source(text, str(path), [rule], settings, index).diagnostics

    return lint


def _messages(diagnostics: List[Diagnostic]) -> List[str]:
    return sorted(d.message for d in diagnostics)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(CATALOGUE)))
def test_fixes_round_trip_on_fixtures(path: Path) -> None:
    lint = _linter(path)
    text = path.read_text(encoding="utf-8")
    first = lint(text)
    outcome = fix_text(text, first, lint, unsafe=True)
    assert outcome.problem is None
    fixable = [d for d in first if d.fix is not None and d.fix.applies(True)]
    if not fixable:
        assert outcome.text == text
        return
    # The fixed file parses, for Python and for libcst.
    compile(outcome.text, str(path), "exec", dont_inherit=True)
    cst.parse_module(outcome.text)
    # Every fixed finding is gone; the findings without a fix are still there.
    assert not [d for d in outcome.remaining if d.fix is not None and d.fix.applies(True)]
    assert _messages([d for d in first if d.fix is None]) == _messages(outcome.remaining)
    assert len(outcome.fixed) == len(fixable)
    # Idempotent: a second --fix finds nothing to do.
    again = fix_text(outcome.text, lint(outcome.text), lint, unsafe=True)
    assert (again.text, again.fixed) == (outcome.text, [])


def test_every_fixable_rule_offers_fixes_on_its_flagged_fixture() -> None:
    offered = {code: 0 for code in FIXABLE}
    for path in fixture_files():
        code = path.relative_to(CATALOGUE).parts[0]
        offered[code] += sum(1 for d in _linter(path)(path.read_text(encoding="utf-8")) if d.fix is not None)
    assert all(offered.values()), offered


def test_orm5xx_fixes_are_safe_and_add_the_import_once() -> None:
    source = textwrap.dedent('''\
        """Queries."""
        from sqlalchemy import select
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            age: Mapped[int]
            active: Mapped[bool]


        def adults(session):
            return session.scalars(select(User).where(User.active == True and User.age > 18)).all()


        def others(session, ids):
            return session.scalars(select(User).where(User.age < 3 and User.id in ids or User.age is None)).all()
        ''')
    rules = [rule_class(code) for code in ("ORM501", "ORM502", "ORM503")]

    def lint(text: str) -> List[Diagnostic]:
        return lint_source(text, "queries.py", rules, Settings()).diagnostics

    first = lint(source)
    assert {d.fix.applicability for d in first if d.fix} == {Applicability.SAFE}
    outcome = fix_text(source, first, lint, unsafe=False)
    assert outcome.remaining == []
    assert "from sqlalchemy import select, and_, or_\n" in outcome.text
    assert outcome.text.count("import and_") + outcome.text.count(", and_") == 1
    assert "where(and_(User.active == True, User.age > 18))" in outcome.text
    assert "where(or_(and_(User.age < 3, User.id.in_(ids)), User.age.is_(None)))" in outcome.text


def test_import_goes_after_the_leading_imports_when_none_can_be_extended() -> None:
    source = textwrap.dedent('''\
        import sqlalchemy.orm as orm
        from app.models import User  # the model


        def q(session):
            return session.query(User).filter(User.a == 1 or User.b == 2)
        ''')
    rule = rule_class("ORM501")
    index = ProjectIndex({})
    (diagnostic,) = lint_source(source, "q.py", [rule], Settings(), index).diagnostics
    assert diagnostic.fix is not None
    fixed = apply_edits(source, diagnostic.fix.edits)
    assert fixed.splitlines()[:3] == ["import sqlalchemy.orm as orm", "from app.models import User  # the model",
                                      "from sqlalchemy import or_"]


def test_a_condition_with_comments_gets_an_unsafe_fix() -> None:
    source = textwrap.dedent('''\
        from sqlalchemy import select
        from app.models import User


        def q(session):
            return session.scalars(select(User).where(
                User.a == 1  # first
                or User.b == 2
            ))
        ''')
    (diagnostic,) = lint_source(source, "q.py", [rule_class("ORM501")], Settings()).diagnostics
    assert diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.UNSAFE


def test_orm201_fix_renames_the_method_the_hint_names() -> None:
    source = textwrap.dedent('''\
        from sqlalchemy import select
        from sqlalchemy.orm import Session


        def name(session: Session, user_id):
            return session.get(User, user_id).name


        def newest(session: Session):
            return session.scalars(select(User).order_by(User.id.desc())).first().name


        def maybe(session: Session, user_id):
            return session.execute(select(User.name).where(User.id == user_id)).scalar_one_or_none().upper()


        def total(session: Session):
            return session.scalar(select(User.age)) + 1
        ''')
    diagnostics = lint_source(source, "q.py", [rule_class("ORM201")], Settings()).diagnostics
    fixes = {d.location.row: d.fix for d in diagnostics}
    assert {row: fix.edits[0].content for row, fix in fixes.items() if fix} == {
        6: "get_one", 10: "one", 14: "scalar_one"}
    assert fixes[18] is None  # `session.scalar()` has no one-word strict spelling
    assert all(fix.applicability is Applicability.UNSAFE for fix in fixes.values() if fix)
    assert "NoResultFound" in fixes[6].message and "MultipleResultsFound" in fixes[10].message


def test_orm303_fix_counts_in_the_database() -> None:
    source = textwrap.dedent('''\
        from sqlalchemy import select
        from sqlalchemy.orm import Session


        def legacy(session: Session):
            return len(session.query(User)
                       .filter(User.active == True)
                       .all())


        def modern(session: Session):
            return len(session.scalars(select(User).where(User.age > 18)).all())


        def kept(session: Session):
            rows = session.scalars(select(User)).all()
            return len(rows)
        ''')
    lint = _plain_linter("ORM303")
    diagnostics = lint(source)
    assert [d.fix is not None for d in diagnostics] == [True, True, False]
    fixed = fix_text(source, diagnostics, lint, unsafe=True).text
    # The lines were continued inside `len(...)`: parentheses keep them continued.
    assert re.search(r"return \(session\.query\(User\)\n +\.filter\(User\.active == True\)\.count\(\)\)\n", fixed)
    assert "return session.scalar(select(func.count()).select_from(select(User).where(User.age > 18).subquery()))" \
        in fixed
    assert fixed.startswith("from sqlalchemy import select, func\n")
    compile(fixed, "q.py", "exec")


def _plain_linter(*codes: str):
    rules = [rule_class(code) for code in codes]

    def lint(text: str) -> List[Diagnostic]:
        return lint_source(text, "q.py", rules, Settings()).diagnostics

    return lint


def test_a_fix_that_would_break_the_file_is_not_applied() -> None:
    source = "x = 1\n"
    broken = Diagnostic("ORM999", "m", "x.py", Location(1, 1), Location(1, 2), 1,
                        fix=Fix.safe("break", edit(1, 1, 1, 2, "(")))
    outcome = fix_text(source, [broken], lambda text: [], unsafe=False)
    assert outcome.text == source and "unparsable" in (outcome.problem or "")


def test_a_fix_that_never_settles_stops_after_the_pass_limit() -> None:
    def lint(text: str) -> List[Diagnostic]:
        return [Diagnostic("ORM999", "m", "x.py", Location(1, 1), Location(1, 1), 1,
                           fix=Fix.safe("grow", edit(1, 1, 1, 1, "#")))]

    outcome = fix_text("x = 1\n", lint("x = 1\n"), lint, unsafe=False, max_passes=3)
    assert outcome.text == "###x = 1\n" and "did not settle" in (outcome.problem or "")
