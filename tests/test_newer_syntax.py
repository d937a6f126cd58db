"""The project index reads a module written for a newer Python than the one running it
(PEP 701 f-strings on 3.11 and older): its facts are not lost (issue 18, qualicharge). A
module it cannot read even so (a `match` statement on 3.9, a `type` statement before 3.12)
is named in a warning when it is linted, not left out of the project model without a word."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from session_lint.cache import ResultCache
from session_lint.project.facts import scan_facts
from session_lint.project.newer_syntax import parse_module
from session_lint.project_index import decode_scan, encode_scan, scan_source
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings

# Python 3.12's f-strings: a backslash and the enclosing quote inside the braces.
NEWER = '''
from sqlmodel import Session as SMSession


def get_session():
    with SMSession(bind=engine) as session:
        yield session


def body(rows):
    return f"{'\\n'.join([r for r in rows])}"


def report(rows):
    return f"""
    {"\\n".join(rows)}
    """


def after(db):
    return db.query(Item).first()
'''


def test_a_module_with_newer_f_strings_is_read_with_its_lines() -> None:
    tree = parse_module(NEWER)
    assert tree is not None
    lines = {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert lines == {"get_session": 5, "body": 10, "report": 14, "after": 20}


def test_its_facts_are_those_of_any_module() -> None:
    facts = scan_facts(NEWER)
    assert facts is not None
    functions = facts["functions"]
    assert set(functions) >= {"get_session", "body", "report", "after"}
    assert functions["get_session"]["yields_session"] is True  # `SMSession` is sqlmodel's Session


def test_a_raw_f_string_is_read_too() -> None:
    tree = parse_module("""def pattern(words):\n    return fR"{'\\\\b'.join(words)}"\n""")
    assert tree is not None and isinstance(tree.body[0], ast.FunctionDef)


def test_a_module_no_parser_reads_stays_unread() -> None:
    assert parse_module("def broken(:\n    return f'{x}'\n") is None
    assert scan_facts("def broken(:\n    pass\n") is None


# -- a module this Python cannot read at all: said, not skipped ----------------------------------
# A `type` statement (PEP 695, Python 3.12): libcst reads it, older interpreters' `ast` does not.
_HELPERS = ("from typing import Optional\n\nfrom sqlalchemy.orm import Session\n\ntype Name = str\n\n\n"
            "def user_named(session: Session, name: Name) -> Optional[object]:\n"
            "    return session.query(object).filter_by(name=name).first()\n")
_VIEWS = "from app.helpers import user_named\n\n\ndef show(session, name):\n    return user_named(session, name).name\n"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads `type` statements")
def test_a_module_this_python_cannot_read_is_named_not_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    for relative, text in {"pyproject.toml": "", "app/__init__.py": "", "app/helpers.py": _HELPERS,
                           "app/views.py": _VIEWS}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    files = sorted((tmp_path / "app").glob("*.py"))
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    expected = [f"{tmp_path / 'app' / 'helpers.py'}: left out of the project model: this Python ({version}) "
                "cannot read it (line 5: invalid syntax); findings in the files that use it may be missed: run "
                "session-lint with the Python the code is written for"]
    for cache in (None, ResultCache(tmp_path / "cache"), ResultCache(tmp_path / "cache")):  # cold, then warm twice
        report = lint_files(files, BUILTIN_RULES, Settings(root=tmp_path), cache=cache)
        if cache is not None:
            assert cache.save() is None
        assert report.warnings == expected


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads `type` statements")
def test_the_reason_is_kept_with_the_scan() -> None:
    scan = scan_source(_HELPERS.encode(), "/app/helpers.py")
    assert scan.facts is None and scan.unreadable == "line 5: invalid syntax"
    assert decode_scan(encode_scan(scan), "/app/helpers.py").unreadable == "line 5: invalid syntax"
    assert scan_source(_VIEWS.encode(), "/app/views.py").unreadable is None


def test_a_module_saved_with_a_byte_order_mark_is_in_the_project_model(tmp_path: Path) -> None:
    """`ast.parse` of a string refuses U+FEFF: a helper module saved with a BOM (a Windows
    editor) was left out of the model without a word, and the view's finding was lost."""
    helpers = "\ufeff" + _HELPERS.replace("type Name = str\n", "Name = str\n")
    for relative, data in {"pyproject.toml": b"", "app/__init__.py": b"", "app/helpers.py": helpers.encode(),
                           "app/views.py": _VIEWS.encode()}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(data)
    assert scan_source(helpers.encode(), str(tmp_path / "app" / "helpers.py")).facts is not None
    report = lint_files(sorted((tmp_path / "app").glob("*.py")), BUILTIN_RULES, Settings(root=tmp_path))
    assert report.warnings == []
    assert [(Path(d.filename).name, d.code, d.location.row) for d in report.diagnostics] == [("views.py", "ORM201", 5)]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads `type` statements")
def test_an_unreadable_module_not_linted_is_named_when_the_index_is_built(tmp_path: Path, monkeypatch) -> None:
    """`session-lint views.py`: the helper it uses is scanned for the index, not linted; the
    run that builds the index says it left the helper out (one line for all such modules)."""
    monkeypatch.chdir(tmp_path)
    for relative, text in {"pyproject.toml": "", "app/__init__.py": "", "app/helpers.py": _HELPERS,
                           "app/other.py": _HELPERS, "app/views.py": _VIEWS}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    report = lint_files([Path("app/views.py")], BUILTIN_RULES, Settings(root=tmp_path),
                        index_also=sorted(Path("app").glob("*.py")))
    assert report.warnings == [
        f"{Path('app/helpers.py')}: left out of the project model: this Python ({version}) cannot read it "
        "(line 5: invalid syntax), and 1 more; findings in the files that use them may be missed: run "
        "session-lint with the Python the code is written for"]
    linted_too = lint_files([Path("app/views.py"), Path("app/helpers.py"), Path("app/other.py")], BUILTIN_RULES,
                            Settings(root=tmp_path), index_also=sorted(Path("app").glob("*.py")))
    assert [line.split(":")[0] for line in linted_too.warnings] == [str(Path("app/helpers.py")),
                                                                    str(Path("app/other.py"))]
