"""ORM104 detached-instance-access: messages, factories found through the project index,
session-scope context managers, caching and the flake8 plugin.

The flagged and silent forms themselves are the catalogue fixtures in `rules/ORM104/`.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import libcst as cst
import pytest

from session_lint import Settings, lint_source
from session_lint.cache import ResultCache
from session_lint.project_index import ProjectIndex, scan_text
from session_lint.runner import lint_files
from session_lint.semantic import SemanticModel
from tests.conftest import findings, rule_class

READ_AFTER_BLOCK = """
from sqlalchemy.orm import Session

def rename(engine, user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    return user.name
"""


def diagnostics(source: str, code: str = "ORM104", filename: str = "snippet.py",
                index: ProjectIndex = ProjectIndex()):
    return lint_source(textwrap.dedent(source), filename, [rule_class(code)], Settings(), index).diagnostics


def project(tmp_path: Path, files: Dict[str, str]) -> List[Path]:
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(path)
    return paths


# -- messages -------------------------------------------------------------------------------------

def test_message_names_the_commit_the_end_and_the_fixes() -> None:
    [finding] = diagnostics(READ_AFTER_BLOCK)
    assert (finding.location.row, finding.location.column) == (8, 12)
    assert finding.message == (
        "`user.name` reads `user` after its session ended: `session.commit()` on line 7 expired "
        "`user` and the `with Session(engine) as session` block closed the session when it ended "
        "on line 7, so this raises DetachedInstanceError"
    )
    assert finding.hint == (
        "read what you need before the session ends, call `session.refresh(user)` after the "
        "commit, or pass `expire_on_commit=False` to `Session(engine)`"
    )


def test_return_message_and_a_block_that_commits_by_itself() -> None:
    source = """
    from sqlalchemy.orm import sessionmaker

    SessionLocal = sessionmaker(engine)

    def load(user_id):
        with SessionLocal.begin() as session:
            user = session.get(User, user_id)
            return user
    """
    [finding] = diagnostics(source)
    assert finding.location.row == 9
    assert finding.message.startswith("`return` hands the caller an expired, detached `user`: the "
                                      "`with SessionLocal.begin() as session` block committed (expiring "
                                      "`user`) and closed the session as the function returns")
    # No point after the block's own commit to refresh at.
    assert "refresh" not in (finding.hint or "")
    assert "`expire_on_commit=False` to `SessionLocal` (line 4)" in (finding.hint or "")


def test_close_in_finally_is_named() -> None:
    source = """
    from sqlalchemy.orm import sessionmaker

    Maker = sessionmaker(engine)

    def load(user_id):
        session = Maker()
        try:
            user = session.get(User, user_id)
            session.commit()
            return user
        finally:
            session.close()
    """
    [finding] = diagnostics(source)
    assert finding.location.row == 11
    assert "`session.close()` on line 13 closed the session" in finding.message


def test_one_finding_per_read_even_inside_loops() -> None:
    source = """
    from sqlalchemy.orm import Session

    def names(engine, ids):
        with Session(engine) as session:
            user = session.get(User, 1)
            session.commit()
        for _ in ids:
            print(user.name)
    """
    assert findings(source, "ORM104") == [(9, "ORM104")]


def test_suppressed_with_noqa() -> None:
    source = READ_AFTER_BLOCK.replace("return user.name", "return user.name  # noqa: ORM104")
    assert diagnostics(source) == []


# -- factories in another module ----------------------------------------------------------------

SERVICE = """
from app.db import SessionLocal

def rename(user_id):
    with SessionLocal() as session:
        user = session.get(User, user_id)
        session.commit()
    return user.name
"""


@pytest.mark.parametrize("options, flagged", [
    ("bind=engine", True),
    ("bind=engine, expire_on_commit=False", False),
    ("bind=engine, expire_on_commit=True", True),
    ("bind=engine, expire_on_commit=settings.EXPIRE", False),  # not a literal: unknown
    ("**options", False),
])
def test_imported_factory_options(tmp_path: Path, options: str, flagged: bool) -> None:
    paths = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": f"from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker({options})\n",
        "app/service.py": SERVICE,
    })
    index = ProjectIndex.scan(paths)
    expected = [(8, "ORM104")] if flagged else []
    assert findings(SERVICE, "ORM104", filename=str(paths[2]), index=index) == expected


def test_configure_in_the_defining_module_counts(tmp_path: Path) -> None:
    paths = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": """
            from sqlalchemy.orm import sessionmaker
            SessionLocal = sessionmaker()

            def init(engine):
                SessionLocal.configure(bind=engine, expire_on_commit=False)
            """,
        "app/service.py": SERVICE,
    })
    assert findings(SERVICE, "ORM104", filename=str(paths[2]), index=ProjectIndex.scan(paths)) == []


def test_factory_outside_the_linted_files_is_unknown(tmp_path: Path) -> None:
    # Without the defining module nothing says SessionLocal makes sessions at all.
    assert findings(SERVICE, "ORM104", filename=str(tmp_path / "service.py")) == []


def test_index_records_session_scopes() -> None:
    text = textwrap.dedent('''
        import contextlib
        from contextlib import contextmanager
        from sqlalchemy.orm import Session, sessionmaker

        Maker = sessionmaker(engine, expire_on_commit=False)

        @contextlib.contextmanager
        def committing():
            session = Maker()
            try:
                yield session
                session.commit()
            finally:
                session.close()

        @contextmanager
        def with_block(
            engine,
        ):
            with Session(engine) as session:
                yield session
                session.commit()

        @contextmanager
        def begin_block():
            with Maker.begin() as session:
                yield session

        @contextmanager
        def never_commits():
            with Maker() as session:
                yield session

        @contextmanager
        def never_ends():
            session = Maker()
            yield session
            session.commit()

        @contextmanager
        def unknown_factory():
            Session = registry.get()
            session = Session()
            try:
                yield session
                session.commit()
            finally:
                session.close()
    ''')
    found = scan_text(text, "db.py")
    scopes = {name: info for name, info in found.items() if info.kind == "session_scope"}
    assert set(scopes) == {"committing", "with_block", "begin_block"}
    assert scopes["committing"].option("expire_on_commit") == "False"
    assert scopes["with_block"].option("expire_on_commit") is None  # SQLAlchemy's default
    assert scopes["begin_block"].option("async") == "False"


def test_index_session_class_must_come_from_sqlalchemy() -> None:
    text = textwrap.dedent('''
        from contextlib import contextmanager
        from myorm import Session

        @contextmanager
        def scope():
            session = Session()
            try:
                yield session
                session.commit()
            finally:
                session.close()
    ''')
    assert scan_text(text + "\nimport sqlalchemy\n", "db.py") == {}


def test_index_fingerprint_follows_the_options(tmp_path: Path) -> None:
    db = tmp_path / "db.py"
    db.write_text("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(engine)\n")
    before = ProjectIndex.scan([db]).fingerprint()
    db.write_text("from sqlalchemy.orm import sessionmaker\n"
                  "SessionLocal = sessionmaker(engine, expire_on_commit=False)\n")
    assert ProjectIndex.scan([db]).fingerprint() != before


def test_a_factory_change_invalidates_the_cached_result_of_its_users(tmp_path: Path) -> None:
    paths = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(bind=engine)\n",
        "app/service.py": SERVICE,
    })
    cache = ResultCache(tmp_path / "cache")

    def run():
        report = lint_files(paths, [rule_class("ORM104")], Settings(), jobs=1, cache=cache)
        return report, [(Path(d.filename).name, d.location.row, d.code) for d in report.diagnostics]

    _, found = run()
    assert found == [("service.py", 8, "ORM104")]
    paths[1].write_text("from sqlalchemy.orm import sessionmaker\n"
                        "SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)\n")
    report, found = run()
    assert found == [] and report.files_from_cache == 0


def test_flake8_plugin_resolves_factories_from_its_working_directory(tmp_path: Path) -> None:
    project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(bind=engine)\n",
        "app/service.py": SERVICE,
        ".flake8": "[flake8]\n",  # marks the project root the plugin indexes
    })

    def flake8() -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", "--select", "ORM104", "--format",
             "%(path)s:%(row)d:%(code)s", "app/service.py"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        return completed.stdout.strip()

    assert flake8() == "app/service.py:8:ORM104"
    (tmp_path / "app" / "db.py").write_text(
        "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(bind=engine, expire_on_commit=False)\n")
    assert flake8() == ""


# -- session-scope context managers in the same module --------------------------------------------

SCOPE = """
from contextlib import contextmanager
from sqlalchemy.orm import Session

@contextmanager
def scope(engine):
    session = Session(engine)
    try:
        yield session
        {after_yield}
    {handler}
    finally:
        session.close()

def use(engine):
    with scope(engine) as session:
        session.add(User())
        user = session.get(User, 1)
    return user.name
"""


@pytest.mark.parametrize("after_yield, handler, flagged", [
    ("session.commit()", "except Exception:\n        session.rollback()\n        raise", True),
    ("pass", "except Exception:\n        session.rollback()\n        raise", False),  # never commits
    ("pass", "except Exception:\n        session.commit()\n        raise", False),  # commits only on errors
])
def test_session_scope_must_commit_after_the_yield(after_yield: str, handler: str, flagged: bool) -> None:
    source = textwrap.dedent(SCOPE.format(after_yield=after_yield, handler=handler))
    read = source.splitlines().index("    return user.name") + 1
    assert findings(source, "ORM104") == ([(read, "ORM104")] if flagged else [])


def test_a_committing_session_scope_is_not_add_without_commit() -> None:
    source = SCOPE.format(after_yield="session.commit()", handler="except Exception:\n        raise")
    assert findings(source, "ORM101") == []


def test_calling_a_session_scope_does_not_make_a_session() -> None:
    source = SCOPE.format(after_yield="session.commit()", handler="except Exception:\n        raise")
    model = SemanticModel(cst.parse_module(textwrap.dedent(source)), "m.py")
    call = next(c for c in model.tree.of_type(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == "scope")
    assert model.sessions.creation(call) is None
    assert model.sessions.session_scope(call) is not None


def test_sessionmaker_of_async_sessions_is_async() -> None:
    source = """
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import sessionmaker

    Sync = sessionmaker(engine)
    Async = sessionmaker(engine, class_=AsyncSession)
    """
    model = SemanticModel(cst.parse_module(textwrap.dedent(source)), "m.py")
    sync, asynchronous = (model.sessions.factory(cst.ensure_type(t.value, cst.Call))  # type: ignore[arg-type]
                          for t in model.tree.of_type(cst.Assign))
    assert sync is not None and not sync.is_async
    assert asynchronous is not None and asynchronous.is_async
    info = scan_text(textwrap.dedent(source), "m.py")["Async"]
    assert info.makes_async_sessions and not scan_text(textwrap.dedent(source), "m.py")["Sync"].makes_async_sessions
