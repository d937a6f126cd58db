"""The project model of issue 18: per-module facts read with `ast`, and function summaries
over the call graph (what `project/facts.py` and `project/summaries.py` answer)."""
from __future__ import annotations

from pathlib import Path

from session_lint.project.summaries import AMBIENT, is_test_path
from session_lint.project_index import ProjectIndex, decode_scan, encode_scan, scan_source
from tests.test_mapped_classes import project  # the same small-project builder


def summary(index: ProjectIndex, tmp_path: Path, module: str, qualname: str):
    found = index.summaries.function(str((tmp_path / module).resolve()), qualname)
    assert found is not None, f"no summary for {module}:{qualname}"
    return found


def test_a_docstring_is_not_a_fact(tmp_path) -> None:
    index = project(tmp_path, {"app.py": '''
        """Example:

            def save(session):
                session.add(x)
        """
        def read(session):
            return session.query(User).all()
    '''})
    assert index.summaries.function(str((tmp_path / "app.py").resolve()), "save") is None
    assert summary(index, tmp_path, "app.py", "read").returns_rows


def test_pending_work_travels_through_packages_and_re_exports(tmp_path) -> None:
    index = project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/data/__init__.py": "from pkg.data.config import db\n",
        "pkg/data/config.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "pkg/lib/__init__.py": "",
        "pkg/lib/logging.py": '''
            from pkg.data import db

            def _entry(message):
                db.session.add(message)

            def log_event(message):
                return _entry(message)
        ''',
        "pkg/views.py": '''
            from pkg import lib

            def show(room):
                lib.logging.log_event(room)
        ''',
    })
    assert AMBIENT in summary(index, tmp_path, "pkg/lib/logging.py", "log_event").pending
    shown = summary(index, tmp_path, "pkg/views.py", "show")
    assert AMBIENT in shown.pending and shown.calls_work


def test_commits_and_parameters_map_through_calls(tmp_path) -> None:
    index = project(tmp_path, {
        "crud.py": '''
            from sqlalchemy.orm import Session

            def schedule(db: Session, item):
                db.add(item)

            def store(db: Session, item):
                schedule(db, item)
                db.commit()
        ''',
        "api.py": '''
            from crud import schedule, store

            def create(session, item):
                schedule(session, item)

            def create_and_store(session, item):
                store(session, item)
        ''',
    })
    assert summary(index, tmp_path, "crud.py", "schedule").pending == {"p:db"}
    stored = summary(index, tmp_path, "crud.py", "store")
    assert stored.pending == set() and "p:db" in stored.commits and stored.raises_db
    assert summary(index, tmp_path, "api.py", "create").pending == {"p:session"}
    assert "p:session" in summary(index, tmp_path, "api.py", "create_and_store").commits


def test_methods_resolve_through_bases_in_other_modules(tmp_path) -> None:
    index = project(tmp_path, {
        "base.py": '''
            from flask_sqlalchemy import SQLAlchemy
            db = SQLAlchemy()

            class ModelMixin:
                @classmethod
                def create(cls, **kwargs):
                    db.session.add(cls(**kwargs))
        ''',
        "models.py": '''
            from base import ModelMixin, db

            class Alias(db.Model, ModelMixin):
                @classmethod
                def create_random(cls):
                    return cls.create(email="x")
        ''',
    })
    assert AMBIENT in summary(index, tmp_path, "models.py", "Alias.create_random").pending


def test_savepoint_commits_and_committing_decorators(tmp_path) -> None:
    index = project(tmp_path, {
        "session.py": '''
            from sqlalchemy.orm import scoped_session, sessionmaker
            session = scoped_session(sessionmaker())

            def with_savepoint(wrapped):
                def wrapper(*args):
                    transaction = session.begin_nested()
                    wrapped(*args)
                    transaction.commit()
                return wrapper

            def transactional(wrapped):
                def wrapper(*args):
                    wrapped(*args)
                    session.commit()
                return wrapper
        ''',
        "logs.py": '''
            from session import session, transactional, with_savepoint

            @with_savepoint
            def log(entry):
                session.add(entry)

            @transactional
            def log_and_commit(entry):
                session.add(entry)
        ''',
    })
    assert AMBIENT in summary(index, tmp_path, "logs.py", "log").pending
    committed = summary(index, tmp_path, "logs.py", "log_and_commit")
    assert committed.pending == set() and AMBIENT in committed.commits


def test_work_is_lost_only_when_every_caller_chain_ends_without_commit(tmp_path) -> None:
    index = project(tmp_path, {
        "models.py": '''
            from flask_sqlalchemy import SQLAlchemy
            db = SQLAlchemy()

            def log(entry):
                db.session.add(entry)

            def audit(entry):
                db.session.add(entry)
        ''',
        "service.py": '''
            from models import log

            def record(entry):
                log(entry)
        ''',
        "views.py": '''
            from flask import Flask
            from models import audit, db
            from service import record
            app = Flask(__name__)

            @app.route("/a")
            def a(entry):
                record(entry)
                return "ok"

            @app.route("/b")
            def b(entry):
                audit(entry)
                db.session.commit()
                return "ok"
        ''',
        "tests/test_views.py": '''
            from models import audit

            def test_audit(entry):
                audit(entry)
        ''',
    })
    summaries = index.summaries
    assert summaries.lost(summary(index, tmp_path, "models.py", "log").key)
    assert summaries.lost(summary(index, tmp_path, "service.py", "record").key)
    assert not summaries.lost(summary(index, tmp_path, "models.py", "audit").key)
    assert summary(index, tmp_path, "views.py", "a").entry == "view"


def test_queued_functions_and_dependencies(tmp_path) -> None:
    index = project(tmp_path, {
        "jobs.py": '''
            from rq import Queue

            def refresh(item):
                pass

            def start(queue: Queue):
                queue.enqueue(refresh, 1)
        ''',
        "deps.py": '''
            from sqlalchemy.orm import sessionmaker
            SessionLocal = sessionmaker()

            def get_db():
                db = SessionLocal()
                try:
                    yield db
                finally:
                    db.close()

            def get_committing_db():
                db = SessionLocal()
                yield db
                db.commit()
        ''',
    })
    assert summary(index, tmp_path, "jobs.py", "refresh").entry == "job"
    plain = summary(index, tmp_path, "deps.py", "get_db")
    assert plain.yields_session and not plain.commits_own
    assert summary(index, tmp_path, "deps.py", "get_committing_db").commits_own


def test_returned_rows_queries_and_none_able_rows(tmp_path) -> None:
    index = project(tmp_path, {"queries.py": '''
        from typing import Optional

        from sqlalchemy import func

        def _model_query(session, *args):
            return session.query(*args)

        def base(session, model):
            query = _model_query(session, model)
            query = query.filter_by(deleted=None)
            return query

        def refine(query):
            return query.options(load_only("id"))

        def refine_short(q):
            return q.options(load_only("id"))

        def first(session, name) -> Optional[Item]:
            return session.query(Item).filter_by(name=name).first()

        def first_unannotated(session, name):
            return session.query(Item).filter_by(name=name).first()

        def checked(session, name):
            item = session.query(Item).filter_by(name=name).first()
            if item is None:
                raise LookupError(name)
            return item

        def now(session):
            return session.query(func.now()).scalar()
    '''})
    assert summary(index, tmp_path, "queries.py", "base").returns_query
    assert summary(index, tmp_path, "queries.py", "refine").refines == "query"
    # Its text names nothing a session fact needs (light facts), yet it refines `q`.
    assert summary(index, tmp_path, "queries.py", "refine_short").refines == "q"
    assert summary(index, tmp_path, "queries.py", "first").returns_none
    assert not summary(index, tmp_path, "queries.py", "first_unannotated").returns_none
    assert not summary(index, tmp_path, "queries.py", "checked").returns_none
    assert not summary(index, tmp_path, "queries.py", "now").returns_none


def test_a_library_add_with_a_commit_keyword_may_commit(tmp_path) -> None:
    index = project(tmp_path, {"beliefs.py": '''
        from flask_sqlalchemy import SQLAlchemy
        db = SQLAlchemy()

        def save(frame):
            Belief.add_to_session(session=db.session, frame=frame)

        def save_and_commit(frame):
            Belief.add_to_session(session=db.session, frame=frame, commit_transaction=True)
    '''})
    assert AMBIENT in summary(index, tmp_path, "beliefs.py", "save").pending
    assert summary(index, tmp_path, "beliefs.py", "save_and_commit").pending == set()


def test_facts_survive_the_cache_encoding(tmp_path) -> None:
    source = b"from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef log(x):\n    db.session.add(x)\n"
    scan = scan_source(source, "models.py")
    decoded = decode_scan(encode_scan(scan), "models.py")
    assert decoded.facts == scan.facts and dict(decoded) == dict(scan)
    # What caches from before the project model hold (a bare list of factories) still reads.
    assert decode_scan([], "old.py").facts is None


def test_test_paths() -> None:
    assert is_test_path("/src/app/tests/unit/helpers.py")
    assert is_test_path("app/test_views.py")
    assert not is_test_path("/home/me/test/checkout/app/services/views.py")


def test_index_fingerprint_ignores_functions_that_touch_no_session(tmp_path) -> None:
    before = project(tmp_path, {"app.py": "def helper(session):\n    session.commit()\n"}).fingerprint()
    (tmp_path / "util.py").write_text("def add(a, b):\n    return a + b\n")
    after = ProjectIndex.scan([tmp_path / "app.py", tmp_path / "util.py"]).fingerprint()
    assert before == after
    (tmp_path / "util.py").write_text("def save(session, x):\n    session.add(x)\n")
    changed = ProjectIndex.scan([tmp_path / "app.py", tmp_path / "util.py"]).fingerprint()
    assert changed != before


def test_a_registry_handed_back_by_a_wrapper_is_a_scoped_session() -> None:
    from session_lint.project_index import scan_text

    text = ("from sqlalchemy.orm import scoped_session, sessionmaker\n"
            "DBSession = versioned_session(scoped_session(sessionmaker(autoflush=False)))\n"
            "Maker = instrumented(sessionmaker(expire_on_commit=False))\n"
            "cache = wrap(make_cache())\n")
    found = scan_text(text, "models.py")
    assert found["DBSession"].kind == "scoped_session"
    assert found["Maker"].kind == "sessionmaker" and found["Maker"].setting("expire_on_commit") == "False"
    assert "cache" not in found
