"""The project index reads a module written for a newer Python than the one running it
(PEP 701 f-strings on 3.11 and older): its facts are not lost (issue 18, qualicharge)."""
from __future__ import annotations

import ast

from session_lint.project.facts import scan_facts
from session_lint.project.newer_syntax import parse_module

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
