"""`--fix` on generated programs: hypothesmith writes a module, a query with a planted ORM501,
ORM502 or ORM503 mistake in `session.query(User).filter(...)` follows it, and the CLI fixes
the file. The fixed file must still compile, a second `--fix` must change nothing, and the
planted finding must be gone. (tests/real_engine/test_fixes_proof.py checks on SQLite that
the fixed queries return the right rows; this checks the fixes survive any surrounding code:
`from __future__` imports, docstrings, names bound to `and_`, odd layouts.)"""
from __future__ import annotations

import ast
import json
import re
import tempfile
import warnings
from pathlib import Path
from typing import Dict, List

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, assume, given, settings, strategies as st  # noqa: E402

from tests.conftest import run_cli  # noqa: E402

PLANTED = '''

from sqlalchemy import Boolean, Column, Integer, String
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    age = Column(Integer)
    active = Column(Boolean)


def planted_orm501(session: Session):
    return session.query(User).filter({ORM501}).all()


def planted_orm502(session: Session, ids):
    return session.query(User).filter({ORM502}).all()


def planted_orm503(session: Session):
    return session.query(User).filter({ORM503}).all()
'''
COLUMNS = st.sampled_from(["id", "name", "age", "active"])
# The mistakes the safe fixes of ORM501-ORM503 repair, one condition of each per program.
MISTAKES = st.fixed_dictionaries({
    "ORM501": st.one_of(
        st.builds("User.{} == 1 {} User.{} > 2".format, COLUMNS, st.sampled_from(["and", "or"]), COLUMNS),
        st.builds("not User.{}".format, COLUMNS),
    ),
    "ORM502": st.builds("User.{} {} ids".format, COLUMNS, st.sampled_from(["in", "not in"])),
    "ORM503": st.builds("User.{} {}".format, COLUMNS, st.sampled_from(["is None", "is not None", "is True"])),
})
CODES = ("ORM501", "ORM502", "ORM503")
# Module heads that an added import must respect, put before the generated code.
HEADS = st.sampled_from([
    "",
    '"""A module docstring."""\nfrom __future__ import annotations\n',
    "# -*- coding: utf-8 -*-\nfrom __future__ import annotations, division\nimport os\n",
    "and_ = or_ = not_ = None\n",
    "from sqlalchemy import or_ as either, and_\n",
    "if True:\n    from sqlalchemy import *\n",
])
# Generating a program is most of the cost (about 0.5 s each): few examples, no deadline.
PROPERTY = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def compiles(text: str) -> bool:
    """Python's own verdict (stricter than a parse: a `from __future__` import after other
    statements is a SyntaxError only when compiled)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `1()` and the like warn, harmlessly
            compile(text, "planted.py", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def has_statements(text: str) -> bool:
    """A program with code in it: left alone, the generator's examples under a fixed seed
    are mostly empty."""
    try:
        return bool(ast.parse(text).body) and compiles(text)
    except (SyntaxError, ValueError):
        return False


def planted_codes(out: str, first_row: int) -> List[str]:
    """The ORM5xx codes found in the planted code (at or below `first_row`), sorted."""
    return sorted(item["code"] for item in json.loads(out)
                  if item["code"] in CODES and item["location"]["row"] >= first_row)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_fix_on_generated_programs_parses_is_idempotent_and_removes_the_mistakes(capsys, monkeypatch) -> None:
    @PROPERTY
    @given(head=HEADS, generated=hypothesmith.from_grammar().filter(has_statements), conditions=MISTAKES)
    def check(head: str, generated: str, conditions: Dict[str, str]) -> None:
        prelude = head + generated
        assume(compiles(prelude))
        text = prelude + "\n" + PLANTED.format(**conditions)
        assume(compiles(text))  # a prelude ending in an open construct cannot take more code
        # The first row of the planted code, counting line breaks as Python does
        # (str.splitlines would also break at \x0c, \x85 and the like, which hypothesmith writes).
        first_row = len(re.split(r"\r\n|\r|\n", prelude)) + 1
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            (root / ".git").mkdir()
            path = root / "planted.py"
            path.write_text(text, encoding="utf-8")
            monkeypatch.chdir(root)

            _, out, err = run_cli(["--no-cache", "--output-format", "json", "planted.py"], capsys)
            assert planted_codes(out, first_row) == list(CODES), (conditions, err)

            _, out, err = run_cli(["--no-cache", "--output-format", "json", "--fix", "planted.py"], capsys)
            fixed = path.read_text(encoding="utf-8")
            assert compiles(fixed), (conditions, fixed)
            # An import the ORM501 fix adds above moves the planted code down, never up.
            assert planted_codes(out, first_row) == [], (conditions, fixed, err)

            _, out, err = run_cli(["--no-cache", "--output-format", "json", "--fix", "planted.py"], capsys)
            assert path.read_text(encoding="utf-8") == fixed, conditions
            assert planted_codes(out, first_row) == []

    check()
