"""The session analysis: what is a session, resolved through imports and bindings."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, Optional

import libcst as cst

from session_lint.project_index import ProjectIndex
from session_lint.semantic import SemanticModel


def sessions_by_line(source: str, index: Optional[ProjectIndex] = None, filename: str = "m.py") -> Dict[int, str]:
    """{line: origin} for every `X.add(...)` whose X is a session."""
    model = SemanticModel(cst.parse_module(textwrap.dedent(source)), filename, index or ProjectIndex())
    found = {}
    for call in model.tree.of_type(cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add":
            ref = model.sessions.session_of(call.func.value)
            if ref is not None:
                found[model.line_of(call)] = ref.origin
    return found


def test_session_class_through_different_imports() -> None:
    source = """
    import sqlalchemy.orm
    import sqlalchemy.orm as orm
    from sqlalchemy.orm import Session as S
    from sqlalchemy.orm.session import Session
    from sqlmodel import Session as SMSession

    def f(engine):
        with sqlalchemy.orm.Session(engine) as a:
            a.add(1)
        with orm.Session(engine) as b:
            b.add(1)
        with S(engine) as c:
            c.add(1)
        with Session(engine) as d:
            d.add(1)
        with SMSession(engine) as e:
            e.add(1)
    """
    assert sessions_by_line(source) == {10: "with", 12: "with", 14: "with", 16: "with", 18: "with"}


def test_spelling_alone_is_not_enough() -> None:
    source = """
    from mylib import Session

    def f(engine, session):
        with Session(engine) as s:
            s.add(1)
        session.add(2)
    """
    assert sessions_by_line(source) == {}


def test_shadowed_import_is_not_a_session() -> None:
    source = """
    from sqlalchemy.orm import Session

    def f(engine):
        Session = make_thing
        with Session(engine) as s:
            s.add(1)
    """
    assert sessions_by_line(source) == {}


def test_annotations() -> None:
    source = """
    from typing import Annotated, Optional
    from fastapi import Depends
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    def a(s: Session): s.add(1)
    def b(s: Optional[Session]): s.add(1)
    def c(s: "Session"): s.add(1)
    def d(s: Annotated[Session, Depends(get_db)]): s.add(1)
    async def e(s: AsyncSession): s.add(1)
    def f(s: "Session | None"): s.add(1)
    def g(s: int): s.add(1)
    """
    assert sessions_by_line(source) == {7: "param", 8: "param", 9: "param", 10: "param", 11: "param", 12: "param"}


def test_factories_and_scoped_sessions() -> None:
    source = """
    from sqlalchemy.orm import scoped_session, sessionmaker
    from sqlalchemy.ext.asyncio import async_sessionmaker

    Maker = sessionmaker(bind=engine)
    AsyncMaker = async_sessionmaker(engine)
    Scoped = scoped_session(Maker)

    def f():
        local = Maker()
        local.add(1)
        Scoped.add(1)
        Scoped().add(1)

    async def g():
        async with AsyncMaker() as s:
            s.add(1)
    """
    assert sessions_by_line(source) == {11: "local", 12: "framework", 13: "framework", 17: "with"}


def test_flask_sqlalchemy_db_session() -> None:
    source = """
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()

    def f():
        db.session.add(1)
        s = db.session
        s.add(2)
    """
    assert sessions_by_line(source) == {7: "framework", 9: "framework"}


def test_project_index_resolves_imported_factories(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text(
        "from sqlalchemy.orm import sessionmaker\nfrom flask_sqlalchemy import SQLAlchemy\n"
        "SessionLocal = sessionmaker(\n    bind=engine,\n    expire_on_commit=False,\n)\ndb = SQLAlchemy()\n"
    )
    service = tmp_path / "app" / "service.py"
    source = """
    from app.db import SessionLocal
    from .db import db

    def f():
        with SessionLocal() as s:
            s.add(1)
        db.session.add(2)
    """
    service.write_text(textwrap.dedent(source))
    index = ProjectIndex.scan(sorted(tmp_path.rglob("*.py")))
    assert sessions_by_line(source, index, str(service)) == {7: "with", 8: "framework"}
    info = index.lookup(str(service), "app.db", 0, "SessionLocal")
    assert info is not None and info.kind == "sessionmaker"
    assert info.option("expire_on_commit") == "False"
    # Without the index nothing is known about the imported names.
    assert sessions_by_line(source, None, str(service)) == {}


def test_two_with_blocks_binding_the_same_name() -> None:
    source = """
    from sqlalchemy.orm import Session

    def f(engine):
        with Session(engine) as s:
            s.add(1)
        with Session(engine) as s:
            s.add(2)
        s.add(3)
    """
    assert sessions_by_line(source) == {6: "with", 8: "with"}


def test_alias_cycle_is_not_a_session_and_does_not_recurse() -> None:
    # `a = b; b = a` once sent session_of into unbounded recursion (reported as ORM001).
    source = """
    from sqlalchemy.orm import Session

    result = expr
    expr = result
    expr.add(1)

    def f(engine):
        s = Session(engine)
        t = s
        s = t
        s.add(2)
    """
    assert sessions_by_line(source) == {}


def test_alias_cycle_gives_no_diagnostic_with_every_rule() -> None:
    from session_lint import Settings, lint_source
    from session_lint.rules import BUILTIN_RULES

    source = "result = expr\nexpr = result\nexpr.add(1)\nexpr.first().x\n"
    result = lint_source(source, "m.py", BUILTIN_RULES, Settings())
    assert [d.code for d in result.diagnostics] == []
