"""ORM501-ORM503 beyond the catalogue fixtures: which classes are mapped, where conditions
are, what is reported where, and how the rewrites are spelled."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import libcst as cst
import pytest

from session_lint import Settings, lint_source
from session_lint.project_index import ProjectIndex
from session_lint.semantic import SemanticModel
from session_lint.semantic.mapped import BASE, MAPPED, ROOT, SQLMODEL, MappedClasses
from tests.conftest import findings, rule_class

CODES = ("ORM501", "ORM502", "ORM503")


def line_of(source: str, text: str) -> int:
    return source.count("\n", 0, source.index(text)) + 1


def roles(source: str, index: Optional[ProjectIndex] = None, filename: str = "m.py") -> Dict[str, Optional[str]]:
    model = SemanticModel(cst.parse_module(textwrap.dedent(source)), filename, index or ProjectIndex())
    mapped = model.get(MappedClasses)
    return {c.name.value: mapped.class_role(c) for c in model.tree.of_type(cst.ClassDef)}


def hints(source: str, *codes: str) -> List[Optional[str]]:
    rules = [rule_class(code) for code in codes or CODES]
    return [d.hint for d in lint_source(textwrap.dedent(source), "m.py", rules, Settings()).diagnostics]


def messages(source: str, *codes: str) -> List[str]:
    rules = [rule_class(code) for code in codes or CODES]
    return [d.message for d in lint_source(textwrap.dedent(source), "m.py", rules, Settings()).diagnostics]


# -- which classes are mapped ------------------------------------------------------------------
def test_declarative_bases_and_their_subclasses() -> None:
    source = """
    import sqlalchemy as sa
    from sqlalchemy import orm
    from sqlalchemy.orm import DeclarativeBase, DeclarativeMeta, as_declarative, declarative_base, registry
    from sqlalchemy.ext.declarative import declarative_base as old_base

    class Base(DeclarativeBase): pass
    class NoMeta(orm.DeclarativeBaseNoMeta): pass
    class A(Base): pass
    class B(A): pass
    class Abstract(Base):
        __abstract__ = True
    class C(Abstract): pass
    Legacy = declarative_base()
    class D(Legacy): pass
    Older = old_base()
    class E(Older): pass
    reg = registry()
    Generated = reg.generate_base()
    class F(Generated): pass
    class G(registry().generate_base()): pass

    @as_declarative()
    class Decorated: pass
    class H(Decorated): pass

    @reg.mapped
    class I: pass

    class WithMeta(metaclass=DeclarativeMeta): pass
    class J(WithMeta): pass
    """
    found = roles(source)
    assert found["Base"] == BASE and found["NoMeta"] == BASE and found["Abstract"] == BASE
    assert found["Decorated"] == BASE and found["WithMeta"] == BASE
    for name in "ABCDEFGHIJ":
        assert found[name] == MAPPED, name


def test_flask_sqlalchemy_and_sqlmodel() -> None:
    source = """
    from flask_sqlalchemy import SQLAlchemy
    from sqlmodel import Field, SQLModel

    db = SQLAlchemy()

    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class HeroBase(SQLModel):
        name: str

    class Hero(HeroBase, table=True):
        id: int = Field(primary_key=True)

    class Direct(SQLModel, table=True):
        id: int = Field(primary_key=True)
    """
    found = roles(source)
    assert found == {"User": MAPPED, "HeroBase": SQLMODEL, "Hero": MAPPED, "Direct": MAPPED}


def test_flask_db_imported_through_the_project_index(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n")
    models = tmp_path / "app" / "models.py"
    models.write_text("from app import db\n\nclass User(db.Model):\n    pass\n")
    index = ProjectIndex.scan(sorted(tmp_path.rglob("*.py")))
    assert roles(models.read_text(), index, str(models)) == {"User": MAPPED}
    assert roles(models.read_text()) == {"User": None}  # without the index, `db` is unknown


def test_evidence_is_required() -> None:
    source = """
    from app.db import Base
    from pydantic import BaseModel

    class Plain: pass
    class Settings(BaseModel):
        name: str
    class NoColumns(Base):
        def method(self): pass
    class Columns(Base):
        __tablename__ = "columns"
    class Mixin:
        created_at = Column(DateTime)  # `Column` is not imported: no evidence
    """
    assert set(roles(source).values()) == {None, MAPPED}
    assert roles(source)["Columns"] == MAPPED
    assert roles(source)["NoColumns"] is None and roles(source)["Mixin"] is None


def test_column_mixins_and_imported_bases() -> None:
    source = """
    from sqlalchemy import Column, DateTime
    from sqlalchemy.orm import Mapped, mapped_column
    from app.db import Base

    class Timestamps:
        created_at = Column(DateTime)

    class Annotated(Base):
        id: Mapped[int] = mapped_column(primary_key=True)
    """
    assert roles(source) == {"Timestamps": MAPPED, "Annotated": MAPPED}


def test_declarative_root_itself() -> None:
    model = SemanticModel(cst.parse_module("from sqlalchemy.orm import DeclarativeBase\nx = DeclarativeBase\n"))
    mapped = model.get(MappedClasses)
    assign = model.tree.of_type(cst.Assign)[0]
    assert mapped._role_of_expression(assign.value) == ROOT


# -- which attributes are columns ------------------------------------------------------------
MODELS = """
from datetime import datetime
from typing import ClassVar, Optional
from sqlalchemy import select, Table, Column, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, aliased, Session
from sqlalchemy.ext.hybrid import hybrid_property

class Base(DeclarativeBase):
    pass

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    deleted_at: Mapped[Optional[datetime]]
    LIMIT = 10
    kind = "user"
    note: ClassVar[str] = "x"

    @hybrid_property
    def alive(self) -> bool:
        return self.deleted_at is None

    @property
    def label(self) -> str:
        return ""

    def method(self) -> None:
        pass

class Admin(User):
    pass

audit = Table("audit", MetaData(), Column("user_id", Integer))
"""


@pytest.mark.parametrize("expression,flagged", [
    ("User.deleted_at", True),
    ("Admin.deleted_at", True),  # inherited from a local mapped class
    ("User.alive", True),  # a hybrid builds SQL at class level
    ("User.inherited_from_elsewhere", True),  # not declared here: a plausible column name
    ("User.LIMIT", False),
    ("User.kind", False),
    ("User.note", False),
    ("User.label", False),
    ("User.method", False),
    ("User.query", False),
    ("User.__table__.c.id", True),
    ("audit.c.user_id", True),
    ("audit.user_id", False),
    ("aliased(User).id", False),  # only a name bound to aliased() is an entity
])
def test_column_attributes(expression: str, flagged: bool) -> None:
    source = MODELS + f"\ndef f(session, ids):\n    return select(User).where({expression} is None)\n"
    assert bool(findings(source, "ORM503")) is flagged


def test_aliased_and_cls_entities() -> None:
    source = MODELS + textwrap.dedent("""
    other = aliased(User)

    class Owner(Base):
        __tablename__ = "owners"
        id: Mapped[int] = mapped_column(primary_key=True)
        closed_at: Mapped[Optional[datetime]]

        @classmethod
        def open(cls):
            return select(cls).where(cls.closed_at is None)

        def mine(self, cls):
            return select(Owner).where(cls.closed_at is None)  # a parameter named cls

    def f(session):
        return select(other).where(other.deleted_at is None)
    """)
    expected = [line_of(source, "cls.closed_at is None)"), line_of(source, "other.deleted_at")]
    assert [row for row, _ in findings(source, "ORM503")] == expected


# -- imported models ---------------------------------------------------------------------------
def test_imported_model_needs_entity_use() -> None:
    used = """
    from sqlalchemy import select
    from app.models import User

    def f(session):
        return session.scalars(select(User).where(User.deleted_at is None))
    """
    unused = """
    from app.models import User

    def f(stmt):
        return stmt.where(User.deleted_at is None)
    """
    assert findings(used, "ORM503") == [(6, "ORM503")]
    assert findings(unused, "ORM503") == []


@pytest.mark.parametrize("evidence", [
    "session.query(User).all()",
    "session.get(User, 1)",
    "select(Address).join(User)",
    "select(Address).where(User.id > 1)",
    "select(Address).where(User.name.in_(['a']))",
    "select(Address).options(selectinload(User.addresses))",
    "aliased(User)",
    "update(User)",
    "models.User",  # not evidence for the bare name
])
def test_entity_evidence(evidence: str) -> None:
    source = f"""
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session, aliased, selectinload
    from app import models
    from app.models import Address, User

    def f(session: Session, stmt):
        {evidence}
        return stmt.where(User.deleted_at is None)
    """
    expected = [] if evidence == "models.User" else [(9, "ORM503")]
    assert findings(source, "ORM503") == expected


def test_value_side_of_a_comparison_is_not_evidence() -> None:
    source = """
    from sqlalchemy import select
    from app.enums import Status
    from app.models import Post

    def f(session, allowed):
        return session.scalars(select(Post).where(Post.status == Status.active, Status.active in allowed))
    """
    assert findings(source, "ORM502") == []


def test_module_qualified_model() -> None:
    source = """
    from sqlalchemy import select
    from app import models

    def f(session):
        return session.scalars(select(models.User).where(models.User.deleted_at is None))
    """
    assert findings(source, "ORM503") == [(6, "ORM503")]


# -- where conditions are ------------------------------------------------------------------------
@pytest.mark.parametrize("statement,flagged", [
    ("select(User).where(User.deleted_at is None)", True),
    ("select(User).filter(User.deleted_at is None)", True),
    ("select(User).having(User.deleted_at is None)", True),
    ("select(User).join(Admin, Admin.deleted_at is None)", True),
    ("select(User).join(Admin, onclause=Admin.deleted_at is None)", True),
    ("select(User).join_from(User, Admin, Admin.deleted_at is None)", True),
    ("sa.join(User, Admin, Admin.deleted_at is None)", True),
    ("sa.and_(User.id > 1, User.deleted_at is None)", True),
    ("sa.or_(User.deleted_at is None)", True),
    ("sa.not_(User.deleted_at is None)", True),
    ("sa.case((User.deleted_at is None, 1), else_=0)", True),
    ("sa.case([(User.deleted_at is None, 1)], else_=0)", True),
    ("sa.case((User.id > 1, User.deleted_at is None))", False),  # a THEN value, not a condition
    ("select(User).where(~(User.deleted_at is None))", True),
    ("select(User).where((User.id > 1) & (User.deleted_at is None))", True),
    ("select(User).where(User.id if User.deleted_at is None else User.id)", False),  # the IfExp test is Python's
    ("select(User).order_by(User.deleted_at is None)", False),
    ("select(User).filter_by(deleted_at=None)", False),
    ("filter(lambda u: u.deleted_at is None, [])", False),
    ("select(User).where(lambda: User.deleted_at is None)", False),
    ("User.deleted_at is None", False),
])
def test_condition_positions(statement: str, flagged: bool) -> None:
    source = MODELS + f"\nimport sqlalchemy as sa\n\ndef f(session):\n    return {statement}\n"
    assert bool(findings(source, "ORM503")) is flagged


def test_conditions_through_names_and_lists() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, ids, extra):
        alive = User.deleted_at is None
        conds = [User.id in ids]
        conds += [User.deleted_at is not None]
        conds.extend([User.id not in ids])
        conds.insert(0, User.deleted_at is None)
        unused = User.deleted_at is None
        return select(User).where(alive, *conds)
    """)
    found = findings(source)
    lines = source.splitlines()
    assert [code for _, code in found] == ["ORM503", "ORM502", "ORM503", "ORM502", "ORM503"]
    assert not any("unused" in lines[row - 1] for row, _ in found)


# -- ORM501 specifics -----------------------------------------------------------------------------
def test_only_the_outermost_operator_is_reported() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session):
        return select(User).where(not (User.id == 1 and User.id > 2 or User.id < 0))
    """)
    assert len(findings(source, "ORM501")) == 1
    assert hints(source, "ORM501") == [
        "write `~or_(and_(User.id == 1, User.id > 2), User.id < 0)` (add `from sqlalchemy import and_, or_`)"]


def test_python_values_tested_first_are_fine() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, flag, name):
        return select(User).where(
            flag and User.id > 1,
            not flag or User.id > 1,
            (flag or name) and User.id > 1,
            User.id == name if name and flag else User.id > 0,
        )
    """)
    assert findings(source, "ORM501") == []


def test_a_python_value_before_a_clause_that_is_tested_later() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, flag):
        return select(User).where((flag and User.id == 1) or User.id == 2)
    """)
    [message] = messages(source, "ORM501")
    assert "calls `bool()` on SQL clauses" in message
    assert hints(source, "ORM501") == [
        "write `or_(and_(flag, User.id == 1), User.id == 2)` (add `from sqlalchemy import and_, or_`)"]


def test_rewrite_spelling_follows_the_imports() -> None:
    query = "\ndef f(s):\n    return select(User).where(User.id == 1 and User.id > 0)\n"
    imported = MODELS + "\nfrom sqlalchemy import and_ as both\n" + query
    module = MODELS + "\nimport sqlalchemy as sa\n" + query
    missing = MODELS + "\ndef f(s):\n    return select(User).where(User.id == 1 and User.id > 0, User.id < 9)\n"
    assert hints(imported, "ORM501") == [
        "write `both(User.id == 1, User.id > 0)`, or pass the conditions as separate arguments"]
    assert hints(module, "ORM501") == [
        "write `sa.and_(User.id == 1, User.id > 0)`, or pass the conditions as separate arguments"]
    assert hints(missing, "ORM501") == [
        "write `and_(User.id == 1, User.id > 0)` (add `from sqlalchemy import and_`), "
        "or pass the conditions as separate arguments"]


def test_flask_db_spelling() -> None:
    source = """
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()

    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    def f():
        return User.query.filter(User.id == 1 or User.id == 2).all()
    """
    assert hints(source, "ORM501") == ["write `db.or_(User.id == 1, User.id == 2)`"]


def test_between_and_chained_comparisons() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, low, high):
        return select(User).where(low <= User.id <= high, high >= User.id >= low, low < User.id <= high)
    """)
    assert hints(source, "ORM501") == [
        "write `User.id.between(low, high)`",
        "write `User.id.between(low, high)`",
        "write `and_(low < User.id, User.id <= high)` (add `from sqlalchemy import and_`)",
    ]


def test_report_range_is_the_operator_expression() -> None:
    source = MODELS + "\ndef f(s):\n    return select(User).where((User.id == 1 and User.id > 0))\n"
    [diagnostic] = lint_source(source, "m.py", [rule_class("ORM501")], Settings()).diagnostics
    line = source.splitlines()[diagnostic.location.row - 1]
    text = line[diagnostic.location.column - 1: diagnostic.end_location.column - 1]
    assert text == "User.id == 1 and User.id > 0"


def test_messages_name_what_happens() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session):
        return select(User).where(
            User.id == 1 and User.id > 2,
            User.id > 2 and User.id == 1,
            not User.deleted_at,
        )
    """)
    dropped, raised, constant = messages(source, "ORM501")
    assert "`and` returns `User.id == 1` and `User.id > 2` is silently dropped" in dropped
    assert "raises `TypeError: Boolean value of this clause is not defined`" in raised
    assert "the constant `False`" in constant and "write `~User.deleted_at`" in constant


def test_table_column_truthiness() -> None:
    # `Table.c` columns raise on bool(), unlike ORM attributes
    source = MODELS + "\ndef f(s):\n    return select(User).where(not audit.c.user_id)\n"
    [message] = messages(source, "ORM501")
    assert "raises `TypeError" in message


# -- ORM502 / ORM503 specifics ----------------------------------------------------------------------
def test_in_rewrites() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, ids):
        return select(User).where(
            User.id in (1, 2),
            (User.id + 1) not in ids,
            User.id in ("admin"),
            "x" in User.deleted_at,
            "x" not in User.deleted_at,
        )
    """)
    assert hints(source, "ORM502") == [
        "write `User.id.in_([1, 2])`",
        "write `(User.id + 1).not_in(ids)`",
        'write `User.id.in_(["admin"])` (a string in parentheses is not a tuple), or list the allowed values',
        'write `User.deleted_at.contains("x")` (for an ARRAY column, pass a list)',
        'write `~User.deleted_at.contains("x")` (for an ARRAY column, pass a list)',
    ]


def test_is_rewrites_put_the_column_first() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session, marker):
        return select(User).where(None is User.deleted_at, User.alive is not False, User.deleted_at is marker)
    """)
    assert hints(source, "ORM503") == [
        "write `User.deleted_at.is_(None)`",
        "write `User.alive.is_not(False)`",
        "write `User.deleted_at.is_(marker)`",
    ]


def test_each_finding_once_per_node() -> None:
    source = MODELS + textwrap.dedent("""
    def f(session):
        cond = User.deleted_at is None
        a = select(User).where(cond)
        b = select(User).filter(cond)
        return a, b
    """)
    assert findings(source, "ORM503") == [(line_of(source, "cond = "), "ORM503")]


def test_rules_can_be_skipped_before_parsing() -> None:
    for code in CODES:
        rule = rule_class(code)
        assert not any(token in "x = [a for a in b if a in c and a is not None]" for token in rule.tokens)
