"""ORM501-ORM503 on a real engine: what SQLAlchemy really does with Python operators in a
filter, that each finding's message says so, and that its hint, pasted over the reported
range, returns the right rows.

Each case is one query expression. The snippet (models + query) is linted with the rule,
then executed against SQLite with three users; then the finding's range is replaced by the
rewrite from its hint and the snippet runs again.
"""
from __future__ import annotations

import re
import sys
import textwrap
import types
from datetime import datetime
from typing import Dict, List, Optional, Tuple, Type

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from session_lint import Settings, lint_source  # noqa: E402
from session_lint.diagnostics import Diagnostic  # noqa: E402
from tests.conftest import rule_class  # noqa: E402

SNIPPET = '''
from datetime import datetime
from typing import Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    age: Mapped[int]
    active: Mapped[bool]
    deleted_at: Mapped[Optional[datetime]]


def query(session, ids):
    return sorted(user.name for user in session.scalars(select(User).where({condition})))
'''

LEGACY = SNIPPET.replace(
    "session.scalars(select(User).where({condition}))",
    "session.query(User).filter({condition})",
)

# ann: active adult; bob: inactive adult, deleted; cid: active teenager.
PEOPLE = [
    ("ann", 30, True, None),
    ("bob", 40, False, "2024-01-01"),
    ("cid", 15, True, None),
]
IDS = [1, 3]  # ann and cid


def run(source: str) -> List[str]:
    # `Mapped[int]` annotations are resolved in the class's module: it must be importable.
    module = types.ModuleType("orm5xx_proof_snippet")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "snippet.py", "exec"), module.__dict__)
        return _query(module.__dict__)
    finally:
        del sys.modules[module.__name__]


def _query(namespace: Dict[str, object]) -> List[str]:
    engine = create_engine("sqlite://")
    base, user = namespace["Base"], namespace["User"]
    base.metadata.create_all(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        for name, age, active, deleted in PEOPLE:
            deleted_at = datetime.fromisoformat(deleted) if deleted else None
            session.add(user(name=name, age=age, active=active, deleted_at=deleted_at))  # type: ignore[operator]
        session.commit()
        return namespace["query"](session, IDS)  # type: ignore[operator]


def lint(source: str, code: str) -> List[Diagnostic]:
    return lint_source(source, "snippet.py", [rule_class(code)], Settings()).diagnostics


def apply_hint(source: str, diagnostic: Diagnostic) -> str:
    """Replace the reported range with the first `...` of the hint: what an autofix will do."""
    assert diagnostic.hint is not None
    match = re.search(r"`([^`]+)`", diagnostic.hint)
    assert match is not None, diagnostic.hint
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: diagnostic.location.row - 1]) + diagnostic.location.column - 1
    end = sum(len(line) for line in lines[: diagnostic.end_location.row - 1]) + diagnostic.end_location.column - 1
    return source[:start] + match.group(1) + source[end:]


Outcome = Tuple[Optional[Type[BaseException]], List[str]]


def prove(code: str, condition: str, observed: Outcome, claim: str, fixed: List[str],
          template: str = SNIPPET) -> None:
    source = textwrap.dedent(template).replace("{condition}", condition)
    diagnostics = lint(source, code)
    assert [d.code for d in diagnostics] == [code], diagnostics
    finding = diagnostics[0]
    assert claim in finding.message, finding.message

    error, rows = observed
    if error is not None:
        with pytest.raises(error):
            run(source)
    else:
        assert run(source) == rows

    repaired = apply_hint(source, finding)
    assert lint(repaired, code) == []
    assert run(repaired) == fixed


# (condition, what SQLAlchemy really does, what the message must say, rows after the fix)
ORM501_CASES = [
    # `==` clauses are falsy: `and` returns the left side and drops the age test.
    ("User.active == True and User.age > 18", (None, ["ann", "cid"]),
     "and `User.age > 18` is silently dropped", ["ann"]),
    # `!=` clauses are truthy: `and` returns the right side and drops the name test.
    ("User.name != 'ann' and User.age > 18", (None, ["ann", "bob"]),
     "and `User.name != 'ann'` is silently dropped", ["bob"]),
    # `or` skips the falsy `==` and returns the right side only.
    ("User.name == 'ann' or User.name == 'bob'", (None, ["bob"]),
     "and `User.name == 'ann'` is silently dropped", ["ann", "bob"]),
    # any other clause refuses bool().
    ("User.age > 18 and User.active", (TypeError, []), "raises `TypeError", ["ann"]),
    ("not (User.age > 18)", (TypeError, []), "raises `TypeError", ["cid"]),
    ("13 <= User.age <= 19", (TypeError, []), "raises `TypeError", ["cid"]),
    ("13 < User.age < 19", (TypeError, []), "raises `TypeError", ["cid"]),
    # `not` on a truthy attribute / a falsy `==` is a plain constant.
    ("not User.active", (None, []), "the constant `False`", ["bob"]),
    ("not (User.name == 'ann')", (None, ["ann", "bob", "cid"]), "the constant `True`", ["bob", "cid"]),
]


@pytest.mark.parametrize("condition,observed,claim,fixed", ORM501_CASES, ids=[c[0] for c in ORM501_CASES])
def test_orm501_python_boolean_operators(condition: str, observed: Outcome, claim: str, fixed: List[str]) -> None:
    prove("ORM501", condition, observed, claim, fixed)


def test_orm501_on_a_legacy_query() -> None:
    prove("ORM501", "User.active == True and User.age > 18", (None, ["ann", "cid"]),
          "silently dropped", ["ann"], template=LEGACY)


def test_orm501_python_value_first_is_fine() -> None:
    source = textwrap.dedent(SNIPPET).replace("{condition}", "not ids or User.id.in_(ids)")
    assert lint(source, "ORM501") == []
    assert run(source) == ["ann", "cid"]


ORM502_CASES = [
    # the list compares with `==` (falsy): the constant False, no rows
    ("User.id in ids", (None, []), "the constant `False`", ["ann", "cid"]),
    # and `not in` is the constant True: every row
    ("User.id not in ids", (None, ["ann", "bob", "cid"]), "the constant `True`", ["bob"]),
    ("User.name in ('ann', 'bob')", (None, []), "the constant `False`", ["ann", "bob"]),
    # a string in parentheses is not a tuple
    ("User.name in ('ann')", (TypeError, []), "raises `TypeError: 'in <string>'", ["ann"]),
    ("User.id in select(User.id).where(User.age > 18)", (TypeError, []),
     "raises `TypeError: argument of type 'Select' is not iterable`", ["ann", "bob"]),
    # the column on the right: SQLAlchemy refuses `__contains__`
    ("'nn' in User.name", (NotImplementedError, []), "`NotImplementedError", ["ann"]),
]


@pytest.mark.parametrize("condition,observed,claim,fixed", ORM502_CASES, ids=[c[0] for c in ORM502_CASES])
def test_orm502_python_in_operator(condition: str, observed: Outcome, claim: str, fixed: List[str]) -> None:
    prove("ORM502", condition, observed, claim, fixed)


ORM503_CASES = [
    ("User.deleted_at is None", (None, []), "the constant `False`", ["ann", "cid"]),
    ("User.deleted_at is not None", (None, ["ann", "bob", "cid"]), "the constant `True`", ["bob"]),
    ("None is User.deleted_at", (None, []), "the constant `False`", ["ann", "cid"]),
    ("User.active is not True", (None, ["ann", "bob", "cid"]), "the constant `True`", ["bob"]),
    # inside or_(): the constant False silently drops the alternative
    ("or_(User.deleted_at is None, User.age > 35)", (None, ["bob"]), "the constant `False`", ["ann", "bob", "cid"]),
]


@pytest.mark.parametrize("condition,observed,claim,fixed", ORM503_CASES, ids=[c[0] for c in ORM503_CASES])
def test_orm503_identity_comparison(condition: str, observed: Outcome, claim: str, fixed: List[str]) -> None:
    prove("ORM503", condition, observed, claim, fixed)


def test_orm503_on_a_legacy_query() -> None:
    prove("ORM503", "User.deleted_at is None", (None, []), "the constant `False`", ["ann", "cid"], template=LEGACY)
