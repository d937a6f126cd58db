"""The first tier of the front end (frontend.py): which top-level statements libcst parses,
and that whatever it parses sits exactly where it is in the file.

That no finding is lost is checked on every fixture and example (and, opt-in, the corpus) by
tests/test_prefilter.py::test_second_tier_hides_no_finding*.
"""
from __future__ import annotations

import ast
import re
from typing import List, Optional

import libcst as cst
import pytest

from session_lint import engine, frontend
from session_lint.rules import BUILTIN_RULES
from session_lint.settings import Settings

HEADER = "from sqlalchemy.orm import Session, sessionmaker\nfrom app.util import slugify\n\n"
FILLER = "".join(f"\ndef unrelated_{i}(text):\n    words = text.split()\n    return '-'.join(words)\n"
                 for i in range(12))


@pytest.fixture(autouse=True)
def small_modules_too(monkeypatch) -> None:
    monkeypatch.setattr(frontend, "_MIN_LINES", 0)


def reduce(text: str, factories: List[str] = ()) -> Optional[str]:
    return frontend.reduced_source(text, factories)


def kept_names(reduced: str) -> List[str]:
    """Functions and classes whose body survived (a dropped one's body is one string)."""
    names = []
    for statement in ast.parse(reduced).body:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            body = statement.body
            stub = len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            if not stub:
                names.append(statement.name)
    return names


def test_only_what_can_matter_keeps_its_body() -> None:
    text = HEADER + FILLER + (
        "\nMaker = sessionmaker()\n"
        "\ndef label(user):\n    return slugify(user.name)\n"
        "\ndef create(user):\n    with Maker() as session:\n        session.add(user)\n    return label(user)\n"
    )
    reduced = reduce(text)
    assert reduced is not None
    assert kept_names(reduced) == ["label", "create"]  # `label`: called by `create`


def test_every_line_and_column_stays_where_it_was() -> None:
    text = HEADER + FILLER + "\ndef create(engine, user):\n    with Session(engine) as s:\n        s.add(user)\n"
    reduced = reduce(text)
    assert reduced is not None and reduced.count("\n") == text.count("\n")
    original, kept = text.split("\n"), reduced.split("\n")
    for number, line in enumerate(kept):
        assert line == original[number] or line.strip() in ("", '"""', "..."), (number, line)
    module = cst.parse_module(reduced)
    assert module.code == reduced


def test_line_endings_are_kept() -> None:
    text = (HEADER + FILLER + "\ndef create(engine, user):\n    with Session(engine) as s:\n        s.add(user)\n")
    crlf = text.replace("\n", "\r\n")
    reduced = reduce(crlf)
    assert reduced is not None
    assert reduced.count("\r\n") == crlf.count("\r\n") and "\n" not in reduced.replace("\r\n", "")


def test_what_spells_a_seed_is_kept_transitively() -> None:
    text = HEADER + FILLER + (
        "\nMaker = sessionmaker()\n"
        "\nfrom contextlib import contextmanager\n"
        "\n@contextmanager\ndef scope():\n    s = Maker()\n    yield s\n    s.commit()\n"
        "\ndef read(user_id):\n    with scope() as s:\n        user = s.get(User, user_id)\n    return user.name\n"
        "\nif __name__ == '__main__':\n    read(1)\n"
    )
    reduced = reduce(text)
    assert reduced is not None and kept_names(reduced) == ["scope", "read"]
    assert "    read(1)\n" in reduced


def test_structure_the_model_reads_stays() -> None:
    # Alembic's revision names (migrations.is_alembic_revision) and `def upgrade()` itself.
    text = HEADER + "revision = 'abc'\ndown_revision = None\n" + FILLER + (
        "\ndef upgrade():\n    op.execute('UPDATE t SET x = 1')\n    op.execute('UPDATE t SET y = 2')\n"
        "\ndef helper(engine):\n    with Session(engine) as s:\n        s.add(1)\n"
    )
    reduced = reduce(text)
    assert reduced is not None
    tree = ast.parse(reduced)
    assert {"revision", "down_revision"} <= {t.id for s in tree.body if isinstance(s, ast.Assign)
                                              for t in s.targets if isinstance(t, ast.Name)}
    assert "upgrade" in [s.name for s in tree.body if isinstance(s, ast.FunctionDef)]


def test_an_imported_project_factory_is_a_seed() -> None:
    text = "from app.db import Db\n" + FILLER + "\ndef create(user):\n    s = Db()\n    s.add(user)\n"
    reduced = reduce(text, ["Db"])
    assert reduced is not None and kept_names(reduced) == ["create"]
    assert reduce(text, []) is not None and kept_names(reduce(text, [])) == []


def test_docstrings_are_no_evidence() -> None:
    text = HEADER + FILLER + (
        '\ndef documented(text):\n    """Like sqlalchemy.orm.Session.query, but for words."""\n    return text\n'
        "\ndef create(engine, user):\n    with Session(engine) as s:\n        s.add(user)\n"
    )
    reduced = reduce(text)
    assert reduced is not None and kept_names(reduced) == ["create"]


@pytest.mark.parametrize("body", [
    "def one_liner(x): return x\n",
    "def spread(\n    x,\n): return x\n",
    "class Holder:\n    @staticmethod\n    def inner(x):\n        return x\n\n    other = 1\n",
    "def tabs(x):\n\tif x:\n\t\treturn 1\n\treturn 2\n",
    "def accents(x):\n    café = 'é' * 3  # ünïcode\n    return café\n",
    "a = [\n    1,\n    2,\n    3,\n]; b = 2\n",
    "for i in range(3):\n    pass\nelse:\n    x = 1\n",
    "def two_line_body(x):\n    y = x\n    return y\n",
    "x = (1 +\n     2 +\n     3 +\n     4)\n",
])
def test_dropped_statements_leave_a_module_that_parses_as_the_file_does(body: str) -> None:
    text = HEADER + body + FILLER + "\ndef create(engine, user):\n    with Session(engine) as s:\n        s.add(user)\n"
    reduced = reduce(text)
    assert reduced is not None
    assert reduced.count("\n") == text.count("\n")
    cst.parse_module(reduced)
    compile(reduced, "x.py", "exec")


def test_statements_on_one_line_stay_together() -> None:
    text = HEADER + FILLER + "helper = 1; Maker = sessionmaker()\n\ndef f(x):\n    return helper\n"
    reduced = reduce(text)
    assert reduced is not None and "helper = 1; Maker = sessionmaker()\n" in reduced


def test_code_ast_cannot_read_is_left_alone() -> None:
    assert reduce(HEADER + "def f(:\n    pass\n" + FILLER) is None


def test_findings_of_a_reduced_module_are_those_of_the_whole_one(monkeypatch) -> None:
    text = HEADER + FILLER * 3 + (
        "\ndef create(engine, user):\n    with Session(engine) as session:\n        session.add(user)\n"
        "\ndef lookup(engine, user_id):\n    with Session(engine) as session:\n"
        "        return session.get(User, user_id).name\n"
    )
    parsed: List[str] = []
    real = cst.parse_module

    def recording(source, *args, **kwargs):
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", recording)

    def findings():
        result = engine.lint_source(text, "app.py", list(BUILTIN_RULES), Settings())
        return [(d.location.row, d.location.column, d.end_location.row, d.code, d.message, d.statement_rows)
                for d in result.diagnostics]

    reduced = findings()
    assert len(parsed) == 1 and "words = text.split()" not in parsed[0]
    monkeypatch.setattr(engine, "SECOND_TIER", False)
    assert reduced == findings() and {code for _, _, _, code, _, _ in reduced} == {"ORM101", "ORM201"}
    assert parsed[-1] == text


def test_a_rule_that_needs_no_evidence_sees_the_whole_module(monkeypatch) -> None:
    from session_lint import Finding, Rule

    class EveryFunction(Rule):
        code, name, summary = "TST101", "every-function", "flags every function"

        def check(self, context):
            for statement in context.module.body:
                if isinstance(statement, cst.FunctionDef) and len(statement.body.body) > 1:
                    yield Finding(statement, statement.name.value)

    text = HEADER + FILLER
    result = engine.lint_source(text, "app.py", [EveryFunction, *BUILTIN_RULES], Settings())
    assert len([d for d in result.diagnostics if d.code == "TST101"]) == len(re.findall(r"^def ", FILLER, re.M))
