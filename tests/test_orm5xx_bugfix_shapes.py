"""ORM501-ORM503 on the shapes of real fixed bugs (issue 18): a condition returned by a helper
of the module, imported models shown to be entities by SQLAlchemy's own `and_()`/`or_()`, and
the ON clause of SQLAlchemy < 1.4's `join((Target, onclause))`."""
from __future__ import annotations

from tests.conftest import findings

CODES = ("ORM501", "ORM502", "ORM503")

HEADER = """
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    public: Mapped[bool]
"""


def rows(body: str, *codes: str):
    offset = HEADER.count("\n")
    return [(row - offset, code) for row, code in findings(HEADER + body, *(codes or CODES))]


def test_condition_returned_by_a_method():
    # infobyte/faraday 122ca0d6
    assert rows("""
class View:
    @staticmethod
    def _context_filter():
        return (Workspace.id == 1) | (Workspace.public is True)

    def ids(self, session: Session):
        return session.query(Workspace.id).filter(self._context_filter()).all()
""") == [(5, "ORM503")]


def test_condition_returned_through_a_local_name_and_several_returns():
    assert rows("""
def visible(strict):
    if strict:
        return not Workspace.public
    clause = Workspace.public is None
    return clause

def query(session: Session, strict):
    return session.scalars(select(Workspace).where(visible(strict))).all()
""") == [(4, "ORM501"), (5, "ORM503")]


def test_helper_not_used_in_a_condition_is_python():
    assert rows("""
def private(workspace):
    return workspace.public is False

def query(session: Session, workspace):
    return private(workspace) and session.scalars(select(Workspace)).all()
""") == []


def test_generators_coroutines_and_nested_functions_return_no_condition():
    assert rows("""
def conditions():
    yield Workspace.public is None

async def later():
    return Workspace.public is None

def outer():
    def inner():
        return Workspace.public is None
    return Workspace.public.is_(None)

def query(session: Session):
    session.query(Workspace).filter(*conditions())
    session.query(Workspace).filter(later())
    return session.query(Workspace).filter(outer()).all()
""") == []


def test_recursive_helper_ends():
    assert rows("""
def clause(depth):
    return clause(depth - 1) if depth else Workspace.public is None

def query(session: Session):
    return session.query(Workspace).filter(clause(3)).all()
""") == [(3, "ORM503")]


def test_imported_model_is_an_entity_inside_sqlalchemy_or():
    # rcbops/opencenter f8dfe807
    source = """
from sqlalchemy.sql import and_, or_

from db.models import Adventures, Nodes


def adventures(query, node_id):
    stmt = or_(Adventures.backend == Nodes.backend, Adventures.backend is None)
    return query.join(Nodes, and_(stmt, Nodes.id == node_id)).all()
"""
    assert findings(source, *CODES) == [(8, "ORM503")]


def test_imported_name_only_tested_with_is_inside_or_is_not_an_entity():
    source = """
from sqlalchemy import or_

from app.models import Node
from app.settings import Flags


def nodes(query, node_id):
    return query.filter(or_(Node.id == node_id, Flags.strict is None)).all()
"""
    assert findings(source, *CODES) == []


def test_or_of_another_library_is_no_evidence():
    source = """
from sqlalchemy import select
from rules import or_

from app.models import Node


def nodes(node_id):
    return or_(Node.id == node_id, Node.parent is None)
"""
    assert findings(source, *CODES) == []


def test_legacy_join_tuple_on_clause():
    assert rows("""
def joined(session: Session):
    return session.query(Workspace).join((Workspace, Workspace.public is None)).all()
""") == [(3, "ORM503")]
