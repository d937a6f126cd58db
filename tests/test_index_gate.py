"""The project index's relevance gate (issue 22, performance round 6): facts are read only for
the modules that can matter to SQLAlchemy code (`project/summaries.py` says which), the others
keep a digest and the names they import, and are parsed only when an answer reaches them.

Each fact kind whose definition changed has a test that it still works where it matters; the
closure's rules (a factory imported, a session passed in, a name that matters imported, a
committing decorator) each have one; and on the rule fixtures and the examples, every module
the lint gate lets through is relevant (it has the project facts a rule may ask for).
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List

import pytest

from session_lint import engine
from session_lint.project import facts as facts_module
from session_lint.project.facts import inert_facts, scan_facts, structure_facts
from session_lint.project.summaries import AMBIENT
from session_lint.project_index import (ProjectIndex, decode_scan, encode_scan, imported_words, reached_names,
                                        scan_source)
from session_lint.registry import load_rules
from session_lint.settings import Settings

from tests.test_mapped_classes import project  # the same small-project builder

REPOSITORY = Path(__file__).resolve().parents[1]




def key(tmp_path: Path, name: str) -> str:
    return str((tmp_path / name).resolve())


def relevant(index: ProjectIndex) -> List[str]:
    index.evidence_names()  # the closure runs with the summaries
    return sorted(str(path) for path in index._facts)


# -- what a scan keeps ----------------------------------------------------------------------------
def test_a_module_without_evidence_is_digested_not_parsed(monkeypatch) -> None:
    parsed: List[str] = []
    real = facts_module.scan_facts
    monkeypatch.setattr(facts_module, "scan_facts", lambda text: parsed.append(text) or real(text))
    plain = scan_source(b"import os\nfrom json import dumps as d\n\ndef join(sep, parts):\n    return sep.join(parts)\n",
                        "util.py")
    assert plain.facts is None and plain.digest and plain.reaches == ["as", "d", "dumps", "join", "os"]
    assert not plain.commits
    assert parsed == []
    orm = scan_source(b"from sqlalchemy.orm import Session\n\ndef f(session):\n    session.commit()\n", "orm.py")
    assert orm.facts is not None and orm.digest is None and len(parsed) == 1
    # A session named in code, or a mapped class's declarations, without `sqlalchemy`:
    for text in (b"def save(session, x):\n    session.add(x)\n", b"class A(Base):\n    __tablename__ = 'a'\n",
                 b"from app.db import relationship\nclass A:\n    b = relationship('B')\n"):
        assert scan_source(text, "m.py").facts is not None, text
    # Prose is no session: "an interactive session is ..."
    assert scan_source(b'"""Run an interactive session is all."""\nx = 1\n', "m.py").facts is None
    # The cache keeps the digest and the imported names (and reads old entries as before).
    decoded = decode_scan(encode_scan(plain), "util.py")
    assert (decoded.digest, decoded.reaches, decoded.commits, decoded.facts) == (plain.digest, plain.reaches, False, None)
    with pytest.raises(ValueError):
        decode_scan({"factories": [], "facts": None, "digest": "00", "reaches": "os"}, "util.py")


def test_imported_words_read_what_follows_import() -> None:
    text = ("import os, sys as system\nfrom app.crud import (save_user,  # comment\n    delete_user)\n"
            "from . import models\nx = 'important'  # reimport\nfrom a import \\\n    b\n")
    assert imported_words(text) == sorted(engine.imported_names(text))
    assert {"os", "sys", "system", "save_user", "delete_user", "models", "b"} <= set(imported_words(text))
    assert "important" not in imported_words(text)
    assert reached_names("user.reset_password(token)\nx.y\n") == ["reset_password"]


def test_structure_facts_are_the_inert_facts_of_a_full_scan() -> None:
    """An outside module read on demand gets, without the walk of its expressions, exactly
    what a full scan keeps for it (on every rule fixture and example, and this package)."""
    roots = [REPOSITORY / "rules", REPOSITORY / "examples", REPOSITORY / "src" / "session_lint"]
    count = 0
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            text = path.read_bytes().decode("utf-8", "replace")
            full = scan_facts(text)
            assert structure_facts(text) == (inert_facts(full) if full is not None else None), path
            count += 1
    assert count > 100
    tricky = textwrap.dedent('''
        try:
            from fast import normpath
        except ImportError:
            def normpath(path):
                return path
        else:
            def normpath(path, strict=False):
                return path

        class Outer:
            class Inner:
                def method(self):
                    from x import y
                    return y

        def make():
            import threading
            def worker():
                from jobs import run
                run()
            threading.Thread(target=worker).start()
            class Local:
                def go(self, session):
                    session.commit()
            return Local
    ''')
    assert structure_facts(tricky) == inert_facts(scan_facts(tricky))
    assert structure_facts(tricky)["jobs"] == ["worker"]


# -- the closure ----------------------------------------------------------------------------------
def test_a_module_importing_a_factory_is_relevant(tmp_path) -> None:
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/views.py": '''
            from app.db import db

            def create(user):
                db.session.add(user)
        ''',
        "app/util.py": "def slug(text):\n    return text.lower()\n",
    })
    assert relevant(index) == [key(tmp_path, "app/db.py"), key(tmp_path, "app/views.py")]
    created = index.summaries.function(key(tmp_path, "app/views.py"), "create")
    assert AMBIENT in created.pending
    assert index.module_key(str(tmp_path / "app/views.py")) is not None
    assert index.module_key(str(tmp_path / "app/util.py")) is None
    # The outside module's function is still a project function, which says nothing.
    outside = index.summaries.function(key(tmp_path, "app/util.py"), "slug")
    assert outside is not None and outside.params == ("text",) and not (outside.pending or outside.commits)


def test_a_thin_layer_importing_a_helper_is_relevant(tmp_path) -> None:
    """`services.py` names no session: it imports a helper whose summary says something, so
    its own summary carries it, and its callers see the commit."""
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/crud.py": '''
            from app.db import db

            def save_user(user):
                db.session.add(user)
                db.session.commit()
        ''',
        "app/services.py": '''
            from app.crud import save_user

            def register(user):
                save_user(user)
        ''',
        "app/jobs.py": '''
            import app.crud

            def nightly(user):
                app.crud.save_user(user)
        ''',
        "app/views.py": '''
            from app.db import db
            from app import services

            def signup(user):
                db.session.add(user)
                services.register(user)
        ''',
    })
    assert key(tmp_path, "app/services.py") in relevant(index)
    assert key(tmp_path, "app/jobs.py") in relevant(index)  # `import app.crud`: the module's name
    summaries = index.summaries
    assert AMBIENT in summaries.function(key(tmp_path, "app/services.py"), "register").commits
    assert AMBIENT in summaries.function(key(tmp_path, "app/views.py"), "signup").commits
    assert AMBIENT in summaries.function(key(tmp_path, "app/jobs.py"), "nightly").commits
    assert "register" in index.evidence_names()


def test_a_module_a_session_is_passed_into_is_relevant(tmp_path) -> None:
    """`store(db, obj)` in a module that shows no evidence (`db` is no marker): a relevant
    function passes it the application's session, so its facts are read and its work is the
    caller's."""
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/storage.py": '''
            def store(db, obj):
                db.add(obj)
        ''',
        "app/views.py": '''
            from app.db import db
            from app.storage import store

            def create(user):
                store(db.session, user)
        ''',
    })
    assert key(tmp_path, "app/storage.py") in relevant(index)
    assert AMBIENT in index.summaries.function(key(tmp_path, "app/views.py"), "create").pending


def test_a_committing_decorator_of_an_outside_module(tmp_path) -> None:
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/tx.py": '''
            import functools
            import transaction

            def managed(function):
                @functools.wraps(function)
                def wrapper(*args):
                    result = function(*args)
                    transaction.commit()
                    return result
                return wrapper
        ''',
        "app/views.py": '''
            from app.tx import managed
            from app.models import DBSession

            @managed
            def create(user):
                DBSession.add(user)
        ''',
        "app/models.py": "from sqlalchemy.orm import scoped_session, sessionmaker\nDBSession = scoped_session(sessionmaker())\n",
    })
    assert key(tmp_path, "app/tx.py") in relevant(index)
    assert AMBIENT in index.summaries.function(key(tmp_path, "app/views.py"), "create").commits


def test_a_module_importing_a_model_class_is_relevant(tmp_path) -> None:
    """The lint gate lets through a module that imports a model class (`import_evidence.py`):
    it must have the project's facts."""
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/model.py": '''
            from sqlalchemy import Column, Integer
            from sqlalchemy.orm import declarative_base
            Base = declarative_base()

            class Host(Base):
                __tablename__ = "host"
                id = Column(Integer, primary_key=True)

            class Mirror(Host):
                pass
        ''',
        "app/crawler.py": '''
            from app.model import Mirror

            def crawl(mirrors):
                return [mirror.id for mirror in mirrors]
        ''',
        "app/plain.py": "from app.other import Host2\n",
    })
    assert key(tmp_path, "app/crawler.py") in relevant(index)
    assert key(tmp_path, "app/plain.py") not in relevant(index)


# -- the fact kinds that also matched plain Python ---------------------------------------------
def test_refines_is_a_query_join_not_a_string_join() -> None:
    plain = scan_facts("def render(sep, parts):\n    return sep.join(parts)\n"
                       "def render2(sep, parts):\n    x = 1\n    return sep.join(parts) if parts else None\n")
    assert plain["functions"]["render"]["returns"] == [] and plain["functions"]["render2"]["returns"] == []
    joined = scan_facts("from app.models import User\n\ndef with_user(q):\n    return q.join(User)\n"
                        "def with_user2(q):\n    x = None\n    return q.join(User.addresses)\n")
    assert joined["functions"]["with_user"]["returns"] == ["refines:q"]
    assert joined["functions"]["with_user2"]["returns"] == ["refines:q"]
    # A module with SQLAlchemy's evidence keeps any join of a parameter (`q.join(address_table)`).
    evidence = scan_facts("import sqlalchemy as sa\n\ndef with_addresses(q):\n    return q.join(address_table)\n")
    assert evidence["functions"]["with_addresses"]["returns"] == ["refines:q"]
    # Any other builder refines as before.
    other = scan_facts("def recent(q):\n    return q.order_by(created)\n")
    assert other["functions"]["recent"]["returns"] == ["refines:q"]


def test_picks_is_a_session_lookup_not_a_dict_lookup() -> None:
    found = scan_facts(textwrap.dedent('''
        from app.db import Session, db

        def cached(key, default):
            return _cache.get(key, default)

        class ModelMixin:
            @classmethod
            def get(cls, id):
                return Session.get(cls, id)

        def by_id(user_id):
            return db.session.get(User, user_id)

        def one(session, ident):
            return session.get(Thing, ident)

        def scoped(ident):
            return registry.get(Thing, ident)
    '''))
    functions = found["functions"]
    assert functions["cached"]["picks"] == []
    assert functions["ModelMixin.get"]["picks"] == ["id"]
    assert functions["by_id"]["picks"] == ["user_id"]
    assert functions["one"]["picks"] == ["ident"]
    assert functions["scoped"]["picks"] == ["ident"]  # given a class: a session's lookup


def test_lookups_mark_a_function_that_runs_one() -> None:
    found = scan_facts(textwrap.dedent('''
        from app.db import db

        def latest(user_id):
            row = db.session.query(Event).filter(Event.user_id == user_id).first()
            print(row.id)

        def by_key(session, key):
            session.get(Thing, key).touch()

        def settings(config, name):
            return config.get(name)
    '''))
    functions = found["functions"]
    assert functions["latest"]["lookups"] and functions["by_key"]["lookups"]
    assert not functions["settings"]["lookups"]


def test_a_caller_of_a_lookup_helper_is_relevant(tmp_path) -> None:
    """ORM201 asks who calls a function that runs a lookup (`every_call_site`): a module
    that imports it is a caller the index must see."""
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/queries.py": '''
            from app.db import db

            def touch(event_id):
                db.session.get(Event, event_id).seen = True
        ''',
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/cli.py": '''
            from app.queries import touch

            def main(argv):
                touch(argv[1])
        ''',
    })
    assert key(tmp_path, "app/cli.py") in relevant(index)
    callers = index.summaries.callers((key(tmp_path, "app/queries.py"), "touch"))
    assert [site.caller for site in callers] == [(key(tmp_path, "app/cli.py"), "main")]


# -- the lint gate's files are relevant ---------------------------------------------------------
@pytest.mark.parametrize("root", sorted(
    [path for path in (REPOSITORY / "rules").glob("ORM*/*") if path.is_dir() and not path.name.startswith("__")]
    + [REPOSITORY / "examples" / "shop"], key=str), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_file_the_lint_gate_lets_through_is_relevant(root: Path) -> None:
    """Every module of a fixture project that passes the engine's evidence gate (SQLAlchemy's
    evidence, an imported factory or evidence name, an imported model class) has the
    project's facts, as every module had before this gate (test modules aside: they never had)."""
    from session_lint.project.summaries import is_test_path

    files = sorted(root.rglob("*.py"))
    index = ProjectIndex.scan(files)
    ruleset = load_rules()
    rules = [ruleset.rules[code] for code in sorted(Settings().enabled_codes(ruleset.rules, ruleset.opt_in_codes()))]
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        if is_test_path(str(path)) and not path.name == "__init__.py":
            continue
        if engine.may_match(text, rules, index, str(path)) and scan_facts(text) is not None:
            assert index.module_key(str(path)) is not None, path


def test_the_evidence_names_are_names_that_matter(tmp_path) -> None:
    """A module that imports an evidence name is linted; the closure made it relevant."""
    index = ProjectIndex.scan(sorted((REPOSITORY / "rules").rglob("*.py")))
    names = index.summaries._names_that_matter()
    assert set(index.evidence_names()) - {info.name for info in index.factories()} - {"<locals>"} <= names


def test_modules_made_relevant_keep_their_place(tmp_path) -> None:
    """The summaries (and the callers they list, the order a finding names them in) follow
    the order of the files the index was given, whenever a module became relevant."""
    index = project(tmp_path, {
        "app/__init__.py": "",
        "app/a_cli.py": '''
            from app.crud import save_user

            def run(user):
                save_user(user)
        ''',
        "app/crud.py": '''
            from app.db import db

            def save_user(user):
                db.session.add(user)
        ''',
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/views.py": '''
            from app.crud import save_user
            from app.db import db

            def create(user):
                save_user(user)
        ''',
    })
    summaries = index.summaries
    assert key(tmp_path, "app/a_cli.py") in summaries.promoted
    relevant_paths = list(dict.keys(summaries.facts))
    assert relevant_paths == sorted(relevant_paths)  # the order the files were given in
    callers = [site.caller[0] for site in summaries.callers((key(tmp_path, "app/crud.py"), "save_user"))]
    assert callers == [key(tmp_path, "app/a_cli.py"), key(tmp_path, "app/views.py")]
