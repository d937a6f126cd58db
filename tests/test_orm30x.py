"""ORM301-ORM304: the row analysis they share, the SQL they suggest, and the cases the
catalogue fixtures do not spell out (flows through locals, messages, Python 3.9 syntax)."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Dict, Optional

import libcst as cst
import pytest

from session_lint.rules import BUILTIN_RULES
from session_lint.semantic import SemanticModel
from session_lint.semantic.rows import RowAnalysis, RowSource
from tests.conftest import findings, messages

CODES = ("ORM301", "ORM302", "ORM303", "ORM304")
SOURCES = Path(__file__).resolve().parents[1] / "src" / "session_lint"
CATALOGUE = Path(__file__).resolve().parents[1] / "rules"

HEADER = """
from sqlalchemy import select
from sqlalchemy.orm import Session
"""


def lint(body: str, *codes: str):
    return findings(HEADER + textwrap.dedent(body), *(codes or CODES))


def said(body: str, code: str) -> str:
    found = messages(HEADER + textwrap.dedent(body), code)
    assert len(found) == 1, found
    return found[0]


# -- registration and shared analysis ------------------------------------------------------------
def test_rules_are_registered() -> None:
    registered = {rule.code: rule.name for rule in BUILTIN_RULES}
    assert registered["ORM301"] == "python-side-filter"
    assert registered["ORM302"] == "python-side-sort-or-slice"
    assert registered["ORM303"] == "python-side-count-or-aggregate"
    assert registered["ORM304"] == "query-in-loop"


def sources(source: str) -> Dict[str, Optional[RowSource]]:
    """{name: row source} for every name read in a `for` loop header of `source`."""
    model = SemanticModel(cst.parse_module(HEADER + textwrap.dedent(source)), "m.py")
    rows = model.get(RowAnalysis)
    return {model.source_of(loop.iter): rows.source(loop.iter) for loop in model.tree.of_type(cst.For)}


def test_row_sources_through_local_variables() -> None:
    found = sources("""
    from flask_sqlalchemy import SQLAlchemy
    db = SQLAlchemy()

    def f(session: Session, stmt):
        users = session.scalars(select(User)).all()
        result = session.execute(select(User.id, User.name))
        legacy = session.query(User).filter(User.id > 3)
        flask = User.query.all()
        framework = db.session.execute(db.select(Team)).scalars()
        unknown = session.scalars(stmt)
        batches = session.execute(select(User)).partitions(10)
        plain = [1, 2, 3]
        for a in users: pass
        for b in result: pass
        for c in legacy: pass
        for d in flask: pass
        for e in framework: pass
        for f in unknown: pass
        for g in batches: pass
        for h in plain: pass
    """)
    assert found["users"].entity == "User" and found["users"].is_loaded and not found["users"].legacy
    assert found["result"].entity is None and dict(found["result"].columns) == {"id": "User.id", "name": "User.name"}
    assert found["legacy"].entity == "User" and found["legacy"].legacy and found["legacy"].value.is_filtered
    assert found["flask"].entity == "User" and found["flask"].legacy
    assert found["framework"].entity == "Team"
    assert found["unknown"] is not None and not found["unknown"].selects_rows
    assert found["batches"] is None  # each item is a list of rows
    assert found["plain"] is None


def test_the_class_of_a_loop_item() -> None:
    """`RowAnalysis.instance_entity` of loop variables the loop does not spell out: tuple
    targets, a name two loops bind, a copy of a relationship, a row looked up per item."""
    source = HEADER + textwrap.dedent("""
    from sqlalchemy import Column, ForeignKey, Integer
    from sqlalchemy.orm import declarative_base, relationship
    Base = declarative_base()

    class Team(Base):
        __tablename__ = "team"
        id = Column(Integer, primary_key=True)
        users = relationship("User")

    class User(Base):
        __tablename__ = "user"
        id = Column(Integer, primary_key=True)
        team_id = Column(Integer, ForeignKey(Team.id))

    def f(session: Session, names, keys, cache):
        for team, user in session.query(Team, User):
            a = (team, user)
        for name, u2 in zip(names, session.scalars(select(User)).all()):
            b = u2
        for i, t2 in enumerate(session.query(Team)):
            c = t2
        for team, name in keys:
            d = team
        for team in session.scalars(select(Team)):
            e = team
        lead = session.get(Team, 1)
        for member in list(lead.users):
            f = member
        for team in session.scalars(select(Team)):
            team = cache[team.id]
            g = team
        for name in names:
            looked_up = session.query(Team).filter(Team.id == name).first()
            h = looked_up
        for label, t3 in [("a", 1)]:
            i = t3
    """)
    model = SemanticModel(cst.parse_module(source), "m.py")
    rows = model.get(RowAnalysis)
    read = {node.targets[0].target.value: node.value for node in model.tree.of_type(cst.Assign)
            if isinstance(node.targets[0].target, cst.Name) and len(node.targets[0].target.value) == 1}
    classes = {name: [rows.instance_entity(element.value) for element in value.elements]
               if isinstance(value, cst.Tuple) else rows.instance_entity(value) for name, value in read.items()}
    assert classes["a"] == ["Team", "User"]  # `query(Team, User)` rows unpack into a Team and a User
    assert classes["b"] == "User" and classes["c"] == "Team"  # zip(), enumerate()
    assert classes["d"] is None  # `keys` holds what nobody says
    assert classes["e"] == "Team"  # the loop around the read binds `team`, not the one before
    assert classes["f"] == "User"  # a copy of a relationship's rows
    assert classes["g"] is None  # rebound in the body
    assert classes["h"] == "Team"  # one row looked up per item
    assert classes["i"] is None


def test_columns_of_a_scalars_result_are_values_not_rows() -> None:
    found = sources("""
    def f(session: Session):
        for name in session.scalars(select(User.name)): pass
    """)
    assert found["session.scalars(select(User.name))"].column("name") is None


# -- ORM301 ------------------------------------------------------------------------------------
def test_where_is_built_from_the_condition() -> None:
    message = said("""
    def f(session: Session, email, since):
        found = []
        for u in session.scalars(select(User)):
            if u.email == email and (u.deleted is None or since < u.created) and u.role not in ("a", "b"):
                found.append(u)
        return found
    """, "ORM301")
    assert ("`.where(User.email == email, or_(User.deleted.is_(None), User.created > since), "
            "User.role.not_in((\"a\", \"b\")))`") in message


def test_continue_guards_are_negated() -> None:
    message = said("""
    def f(session: Session):
        for u in session.scalars(select(User)):
            if u.age < 18:
                continue
            if not (u.country == "NZ"):
                continue
            yield u
    """, "ORM301")
    assert "`.where(User.age >= 18, User.country == \"NZ\")`" in message


def test_legacy_queries_get_filter_and_first_matches_get_first() -> None:
    message = said("""
    def f(session: Session, email):
        return next(u for u in session.query(User).all() if u.email == email)
    """, "ORM301")
    assert "`.filter(User.email == email)`" in message and "`.first()`" in message


def test_flow_through_a_reassigned_name() -> None:
    assert lint("""
    def f(session: Session):
        users = session.scalars(select(User)).all()
        users = [u for u in users if u.active == True]
        return users
    """, "ORM301") == [(7, "ORM301")]


def test_a_nested_function_reading_the_list_counts_as_a_use() -> None:
    assert lint("""
    def f(session: Session):
        users = session.scalars(select(User)).all()
        admins = [u for u in users if u.role == "admin"]
        def later():
            return users
        return admins, later
    """, "ORM301") == []


def test_module_level_lists_may_be_read_elsewhere() -> None:
    assert lint("""
    session = Session()
    users = session.scalars(select(User)).all()
    admins = [u for u in users if u.role == "admin"]
    """, "ORM301") == []


def test_comprehensions_inside_aggregates_are_left_to_orm303() -> None:
    assert lint("""
    def f(session: Session):
        return len([u for u in session.scalars(select(User)) if u.age > 3])
    """) == [(6, "ORM303")]


# -- ORM302 ------------------------------------------------------------------------------------
def test_order_by_and_limit_are_suggested() -> None:
    message = said("""
    def f(session: Session):
        users = session.scalars(select(User)).all()
        return sorted(users, key=lambda u: (u.last, u.first), reverse=True)[:5]
    """, "ORM302")
    assert "`.order_by(User.last.desc(), User.first.desc())` and `.limit(5)`" in message


def test_first_row_of_an_ordered_query_suggests_first() -> None:
    message = said("""
    def newest(session: Session):
        return session.scalars(select(User).order_by(User.created.desc())).all()[0]
    """, "ORM302")
    assert "`.first()`" in message and "IndexError" in message


def test_sort_in_place_then_read_is_flagged_but_read_then_sort_is_not() -> None:
    flagged = """
    def f(session: Session):
        users = session.scalars(select(User)).all()
        users.sort(key=lambda u: u.name)
        return users
    """
    assert lint(flagged, "ORM302") == [(7, "ORM302")]
    assert lint(flagged.replace("        users.sort", "        print(users)\n        users.sort"), "ORM302") == []


# -- ORM303 ------------------------------------------------------------------------------------
def test_count_suggestions() -> None:
    assert "`session.query(User).filter(User.x == 1).count()`" in said("""
    def f(session: Session):
        return len(session.query(User).filter(User.x == 1).all())
    """, "ORM303")
    assert "`select(func.count()).select_from(User).where(User.age > 3)`" in said("""
    def f(session: Session):
        return sum(1 for u in session.scalars(select(User)) if u.age > 3)
    """, "ORM303")


def test_emptiness_by_length_suggests_an_existence_test() -> None:
    message = said("""
    def f(session: Session):
        q = session.query(User).filter(User.x == 1)
        return len(q.all()) > 0
    """, "ORM303")
    assert "whether there is any" in message and "`q.first() is not None`" in message


def test_one_finding_per_counted_list() -> None:
    assert lint("""
    def f(session: Session):
        users = session.scalars(select(User)).all()
        if len(users) > 10:
            return len(users)
        return len(users) * 2
    """, "ORM303") == [(7, "ORM303")]


def test_aggregates_and_exists() -> None:
    assert "`select(func.max(Order.total)).where(Order.paid == True)`" in said("""
    def f(session: Session):
        return max(o.total for o in session.scalars(select(Order)) if o.paid == True)
    """, "ORM303")
    assert "`select(exists().where(User.email == e))`" in said("""
    def f(session: Session, e):
        return any(u.email == e for u in session.scalars(select(User)))
    """, "ORM303")


# -- ORM304 ------------------------------------------------------------------------------------
def test_in_suggestions() -> None:
    assert "`select(User).where(<User primary key>.in_(ids))`" in said("""
    def f(session: Session, ids):
        return [session.get(User, i) for i in ids]
    """, "ORM304")
    message = said("""
    def f(session: Session):
        for user in session.scalars(select(User)):
            print(session.scalars(select(Post).where(Post.user_id == user.id)).all())
    """, "ORM304")
    assert "`.where(Post.user_id.in_([user.id for user in session.scalars(select(User))]))`" in message
    assert "selectinload()" in message


def test_derived_locals_carry_the_loop_variable() -> None:
    assert lint("""
    def f(session: Session, payload):
        for item in payload:
            raw = item["id"]
            key = raw.strip()
            session.scalars(select(User).where(User.key == key)).first()
    """, "ORM304") == [(9, "ORM304")]


def test_the_iterable_of_a_comprehension_runs_once() -> None:
    assert lint("""
    def f(session: Session, i):
        return [u for u in session.scalars(select(User).where(User.id == i))]
    """, "ORM304") == []


def test_batches_through_an_outer_loop_are_left_alone() -> None:
    assert lint("""
    def f(session: Session, runs, chunks):
        for run in runs:
            for chunk in chunks:
                session.scalars(select(M).where(M.run == run.id, M.key.in_(chunk))).all()
    """, "ORM304") == []


# -- hygiene -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(SOURCES.glob("rules/orm30*.py")) + [SOURCES / "semantic" / "rows.py"],
                         ids=lambda p: p.name)
def test_modules_parse_as_python_3_9(path: Path) -> None:
    ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 9))


@pytest.mark.parametrize("code", CODES)
def test_tokens_admit_every_flagged_fixture(code: str) -> None:
    rule = next(rule for rule in BUILTIN_RULES if rule.code == code)
    for fixture in (CATALOGUE / code).glob("*.py"):
        text = fixture.read_text(encoding="utf-8")
        if "# expect:" in text:
            assert any(token in text for token in rule.tokens), fixture
