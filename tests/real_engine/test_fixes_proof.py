"""The fixes on a real engine: a query fixed by `--fix` returns the rows its author meant.

The ORM5xx cases are generated: conditions built from column tests with `and`/`or`/`not`,
`in`, `is None`, planted in `.where()` / `.filter()`. Each program is linted and fixed; the
fixed program must compile, lint clean, fix to itself again, and return on SQLite exactly
the rows a Python evaluation of the intended condition selects. The unsafe ORM201 and
ORM303 fixes are checked for what they promise: the same count, and `NoResultFound`
instead of None.
"""
from __future__ import annotations

import sys
import textwrap
import types
from datetime import datetime
from typing import Callable, Dict, List, Tuple

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.exc import NoResultFound  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from session_lint import Settings, lint_source  # noqa: E402
from session_lint.diagnostics import Diagnostic  # noqa: E402
from session_lint.fixer import fix_text  # noqa: E402
from tests.conftest import rule_class  # noqa: E402

PROGRAM = '''
from datetime import datetime
from typing import Optional

from sqlalchemy import select
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


def modern(session):
    return sorted(user.name for user in session.scalars(select(User).where({condition})))


def legacy(session):
    return sorted(user.name for user in session.query(User).filter({condition}))
'''

# (name, age, active, deleted_at); ids 1..5 in this order.
PEOPLE = [
    ("ann", 30, True, None),
    ("bob", 40, False, datetime(2024, 1, 1)),
    ("cid", 15, True, None),
    ("dan", 18, False, None),
    ("eve", 65, True, datetime(2023, 5, 5)),
]
Row = Dict[str, object]
ROWS: List[Row] = [dict(id=i, name=n, age=a, active=x, deleted_at=d) for i, (n, a, x, d) in enumerate(PEOPLE, 1)]
ORM5XX = [rule_class(code) for code in ("ORM501", "ORM502", "ORM503")]


def load(source: str, name: str) -> Dict[str, object]:
    # `Mapped[...]` annotations are resolved in the class's module: it must be importable.
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module.__dict__


def session_for(namespace: Dict[str, object]) -> Session:
    engine = create_engine("sqlite://")
    namespace["Base"].metadata.create_all(engine)  # type: ignore[attr-defined]
    session = Session(engine)
    for row in ROWS:
        session.add(namespace["User"](**{k: v for k, v in row.items() if k != "id"}))  # type: ignore[operator]
    session.commit()
    return session


def fix(source: str, rules, unsafe: bool = False) -> Tuple[str, List[Diagnostic]]:
    def lint(text: str) -> List[Diagnostic]:
        return lint_source(text, "program.py", rules, Settings()).diagnostics

    first = lint(source)
    outcome = fix_text(source, first, lint, unsafe=unsafe)
    assert outcome.problem is None
    again = fix_text(outcome.text, outcome.remaining, lint, unsafe=unsafe)
    assert again.text == outcome.text, "the fix is not idempotent"
    return outcome.text, first


# -- generated conditions -----------------------------------------------------------------------------
# Each leaf: (SQL written with a Python operator or plainly, the intended Python predicate).
Leaf = Tuple[str, Callable[[Row], bool]]
LEAVES: List[Leaf] = [
    ("User.age > 18", lambda r: r["age"] > 18),
    ("User.age <= 30", lambda r: r["age"] <= 30),
    ("User.active == True", lambda r: r["active"]),
    ("User.name != 'bob'", lambda r: r["name"] != "bob"),
    ("User.name == 'cid'", lambda r: r["name"] == "cid"),
    ("User.id in [1, 4]", lambda r: r["id"] in (1, 4)),
    ("User.id not in (2, 3)", lambda r: r["id"] not in (2, 3)),
    ("User.deleted_at is None", lambda r: r["deleted_at"] is None),
    ("User.deleted_at is not None", lambda r: r["deleted_at"] is not None),
    ("User.active is True", lambda r: r["active"] is True),
    ("13 <= User.age <= 20", lambda r: 13 <= r["age"] <= 20),
]


def conditions() -> st.SearchStrategy:
    leaves = st.sampled_from(LEAVES)

    def combine(children: st.SearchStrategy) -> st.SearchStrategy:
        def both(pair, word: str):
            (left, test_left), (right, test_right) = pair
            if word == "and":
                return f"({left}) and ({right})", lambda r: test_left(r) and test_right(r)
            return f"({left}) or ({right})", lambda r: test_left(r) or test_right(r)

        def negated(child):
            text, test = child
            return f"not ({text})", lambda r: not test(r)

        return st.one_of(
            st.tuples(children, children).map(lambda pair: both(pair, "and")),
            st.tuples(children, children).map(lambda pair: both(pair, "or")),
            children.map(negated),
        )

    return st.recursive(leaves, combine, max_leaves=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=conditions())
def test_fixed_conditions_return_the_intended_rows(condition: Leaf) -> None:
    text, intended = condition
    source = textwrap.dedent(PROGRAM).replace("{condition}", text)
    fixed, first = fix(source, ORM5XX)
    assert all(d.fix is not None and d.fix.applicability.value == "safe" for d in first)
    compile(fixed, "program.py", "exec", dont_inherit=True)
    assert lint_source(fixed, "program.py", ORM5XX, Settings()).diagnostics == []
    namespace = load(fixed, "fixes_proof_program")
    expected = sorted(str(row["name"]) for row in ROWS if intended(row))
    with session_for(namespace) as session:
        assert namespace["modern"](session) == expected, fixed  # type: ignore[operator]
        assert namespace["legacy"](session) == expected, fixed  # type: ignore[operator]


# -- the unsafe fixes ----------------------------------------------------------------------------------
UNSAFE_PROGRAM = PROGRAM.replace("def modern(session):", '''def name_of(session: Session, user_id):
    return session.get(User, user_id).name


def newest(session: Session):
    return session.scalars(select(User).order_by(User.age.desc())).first().name


def count_adults(session: Session):
    return len(session.scalars(select(User).where(User.age > 18)).all())


def count_active(session: Session):
    return len(session.query(User).filter(User.active == True).all())


def modern(session):''').replace("{condition}", "User.id > 0").replace(
    "import DeclarativeBase,", "import DeclarativeBase, Session,")


def test_unsafe_fixes_keep_counts_and_raise_on_a_missing_row() -> None:
    rules = [rule_class("ORM201"), rule_class("ORM303")]
    source = textwrap.dedent(UNSAFE_PROGRAM)
    safe_only, first = fix(source, rules, unsafe=False)
    assert safe_only == source and {d.code for d in first} == {"ORM201", "ORM303"}
    fixed, _ = fix(source, rules, unsafe=True)
    assert "session.get_one(User, user_id)" in fixed and ".one().name" in fixed
    assert "func.count()" in fixed and ".filter(User.active == True).count()" in fixed

    before, after = load(source, "fixes_proof_before"), load(fixed, "fixes_proof_after")
    with session_for(before) as old, session_for(after) as new:
        for function in ("count_adults", "count_active"):
            assert after[function](new) == before[function](old)  # type: ignore[operator]
        assert after["name_of"](new, 2) == before["name_of"](old, 2) == "bob"  # type: ignore[operator]
        with pytest.raises(AttributeError):
            before["name_of"](old, 99)  # type: ignore[operator]
        with pytest.raises(NoResultFound):
            after["name_of"](new, 99)  # type: ignore[operator]
        new.query(after["User"]).delete()  # type: ignore[arg-type]
        with pytest.raises(NoResultFound):
            after["newest"](new)  # type: ignore[operator]
