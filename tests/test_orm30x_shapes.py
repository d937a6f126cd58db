"""The analyses behind the ORM30x shapes of issue 18 (real fixed bugs): which assignment a
read sees, relationships of the module's classes, collections a function fills, presence
tests and counts kept beside a page, and the messages the new shapes print."""
from __future__ import annotations

import textwrap
from typing import Dict, Optional

import libcst as cst

from session_lint.semantic import SemanticModel
from session_lint.semantic.loops import LoopVariables
from session_lint.semantic.relationships import EAGER, LAZY, QUERY, Relationships
from session_lint.semantic.rows import RowAnalysis
from tests.conftest import findings, messages

HEADER = """
from sqlalchemy import select
from sqlalchemy.orm import Session
"""


def model_of(source: str) -> SemanticModel:
    return SemanticModel(cst.parse_module(HEADER + textwrap.dedent(source)), "m.py")


def reads_named(model: SemanticModel, name: str):
    return [n for n in model.tree.of_type(cst.Name) if n.value == name]


# -- which assignment a read sees ----------------------------------------------------------------
def reaching(source: str, name: str) -> Dict[int, Optional[str]]:
    """{line of each read of `name`: the source of the value reaching it}."""
    model = model_of(source)
    rows = model.get(RowAnalysis)
    found = {}
    for node in reads_named(model, name):
        parent = model.tree.parent_of(node)
        if isinstance(parent, cst.AssignTarget):
            continue
        binding = rows.reaching_binding(node)
        found[model.line_of(node) - HEADER.count("\n")] = (
            model.source_of(binding.value) if binding is not None and binding.value is not None else None)
    return found


def test_the_assignment_reaching_a_read_in_straight_line_code() -> None:
    found = reaching("""
    def f(session, admin):
        rows = []
        if admin:
            rows = session.scalars(select(A).limit(4)).all()
        else:
            rows = session.scalars(select(A)).all()
            n = len(rows)
        return rows
    """, "rows")
    assert found == {8: "session.scalars(select(A)).all()", 9: None}


def test_a_loop_that_rebinds_hides_the_value() -> None:
    found = reaching("""
    def f(session, items):
        rows = session.scalars(select(A)).all()
        for item in items:
            print(len(rows))
            rows = []
        return rows
    """, "rows")
    assert found == {5: None, 7: None}


def test_a_statement_rebinding_the_name_reads_the_value_before_it() -> None:
    found = reaching("""
    def f(session):
        rows = session.query(A)
        rows = rows.all()
        return rows
    """, "rows")
    assert found == {4: "session.query(A)", 5: "rows.all()"}


def test_try_with_and_walrus_bindings_hide_the_value() -> None:
    found = reaching("""
    def f(session, make):
        rows = session.query(A).all()
        try:
            rows = make()
        except ValueError:
            print(rows)
        if (rows := make()):
            pass
        return rows
    """, "rows")
    assert found[7] is None and found[10] is None


# -- relationships ----------------------------------------------------------------------------------
RELATIONSHIPS = """
from typing import List
from sqlalchemy import Column, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, backref, declarative_base, relationship

Base = declarative_base()

class Parent(Base):
    __tablename__ = "parents"
    id = Column(Integer, primary_key=True)
    children = relationship("Child")
    eager = relationship("Child", lazy="selectin", viewonly=True)
    dynamic = relationship("Child", lazy="dynamic", viewonly=True)
    tagged: Mapped[List["Tag"]] = relationship(secondary="parent_tags")
    unknown = relationship("Elsewhere")

class Child(Base):
    __tablename__ = "children"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"))
    parent = relationship(Parent, backref=backref("kids", lazy="joined"))
    one = relationship(Parent, uselist=False)
"""


def test_relationships_of_the_module_with_their_shape_and_loading() -> None:
    relationships = model_of(RELATIONSHIPS).get(Relationships)
    shape = {key: (r.target, r.collection, r.loading) for key, r in relationships._all().items()}
    assert shape[("Parent", "children")] == ("Child", True, LAZY)
    assert shape[("Parent", "eager")] == ("Child", True, EAGER)
    assert shape[("Parent", "dynamic")] == ("Child", True, QUERY)
    assert shape[("Parent", "tagged")] == ("Tag", True, LAZY)
    assert shape[("Child", "parent")] == ("Parent", False, LAZY)
    assert shape[("Parent", "kids")] == ("Child", True, EAGER)
    assert shape[("Child", "one")] == ("Parent", False, LAZY)
    assert ("Parent", "unknown") not in shape  # its foreign keys are not in this module


def test_instances_whose_class_the_code_states() -> None:
    model = model_of(RELATIONSHIPS + """
class Holder:
    pass

def f(session, p: Parent, q):
    one = session.get(Child, 1)
    for c in session.scalars(select(Child)):
        print(c)
    return p, q, one
""")
    rows = model.get(RowAnalysis)
    entities = {n.value: rows.instance_entity(n) for n in model.tree.of_type(cst.Name)
                if n.value in ("p", "q", "one", "c")}
    assert entities == {"p": "Parent", "q": None, "one": "Child", "c": "Child"}


# -- collections a function fills -----------------------------------------------------------------
def test_collections_filled_after_they_are_written() -> None:
    model = model_of("""
    def f(items):
        grouped = {}
        merged = []
        stored = {}
        fixed = ("a", "b")
        read_only = {"a": 1}
        for item in items:
            grouped.setdefault(item.key, []).append(item)
            merged.append(item)
            stored[item.key] = item
        print(read_only.get("a"), len(fixed))
        return grouped, merged, stored, fixed, read_only
    """)
    loops = model.get(LoopVariables)
    grows = {}
    for node in model.tree.of_type(cst.Return):
        for element in node.value.elements:  # type: ignore[union-attr]
            grows[element.value.value] = loops.grows(element.value)
    assert grows == {"grouped": True, "merged": True, "stored": True, "fixed": False, "read_only": False}


# -- presence tests and counts beside a page -------------------------------------------------------
def test_presence_tests_where_the_rows_are_loaded_or_through_a_name() -> None:
    source = HEADER + textwrap.dedent("""
    def a(session):
        return bool(session.scalars(select(A)).all())

    def b(session):
        if not session.scalars(select(A)).all():
            return 1

    def c(session):
        found = session.scalars(select(A)).all()
        return 1 if found else 2

    def d(session):
        found = session.scalars(select(A)).all()
        return found or None

    def e(session):
        found = session.scalars(select(A)).all()
        if len(found) == 0:
            return None
    """)
    rows = [row for row, code in findings(source, "ORM303")]
    assert rows == [6, 9, 13, 22]  # `e` is the `len()` rule's, reported once at `len()`
    assert all("whether there is any" in m for m in messages(source, "ORM303"))


def test_a_count_tested_beside_a_page_is_not_a_total() -> None:
    kept = HEADER + textwrap.dedent("""
    def page(session):
        rows = session.scalars(select(A)).all()
        return len(rows), rows[:10]
    """)
    tested = HEADER + textwrap.dedent("""
    def page(session):
        rows = session.scalars(select(A)).all()
        if len(rows) > 10:
            raise ValueError
        return rows[:10]
    """)
    assert sorted(code for _, code in findings(kept, "ORM302", "ORM303")) == ["ORM302", "ORM303"]
    assert findings(tested, "ORM302", "ORM303") == []


# -- messages ---------------------------------------------------------------------------------------
def test_relationship_reductions_name_with_parent() -> None:
    (message,) = messages(RELATIONSHIPS + """
def total(p: Parent):
    return sum(c.weight for c in p.children)
""", "ORM303")
    assert message.endswith("`select(func.sum(Child.weight)).where(with_parent(p, Parent.children))`")


def test_relationships_stay_silent_in_sorts_filters_and_loops() -> None:
    source = RELATIONSHIPS + """
def f(p: Parent, parents):
    by_weight = sorted(p.children, key=lambda c: c.weight)
    light = [c for c in p.children if c.weight < 10]
    return by_weight, light, [sum(c.weight for c in q.children) for q in parents]
"""
    assert findings(source, "ORM301", "ORM302", "ORM303") == []


def test_lazy_loads_per_row_name_the_loader_option() -> None:
    (message,) = messages(RELATIONSHIPS + """
def names(session):
    return [c.parent.id for c in session.scalars(select(Child)).all()]
""", "ORM304")
    assert "`.options(selectinload(Child.parent))` on the query" in message


def test_counting_loop_messages() -> None:
    said = messages(HEADER + textwrap.dedent("""
    def f(session):
        n = 0
        for a in session.scalars(select(A)):
            if a.kind == "x":
                n += 1
        return n
    """), "ORM303")
    assert said == ["every row of `session.scalars(select(A))` is fetched to count the matching ones in a loop: "
                    "compute it in the database with `select(func.count()).select_from(A).where(A.kind == \"x\")`"]
