"""Which spellings of `.query` let a file through the evidence gate (query_evidence.py).

The standard library has four modules whose only evidence was `.query`: an `idlelib.query`
import, a URL's `parts.query`, `SplitResult.query.__doc__`. They are stopped now; a call
(`session.query(`), a chain (`User.query.filter_by(`) still let a file through, and a bare
`X.query` does where the semantic model can take it for a query (a Flask-SQLAlchemy `db`
or a query property in the project). Every project here gives the same findings with and
without the gate (as tests/test_prefilter.py asks of every fixture)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest

from session_lint.engine import may_match
from session_lint.project_index import ProjectIndex
from session_lint.query_evidence import BARE, COUNTS, MODULE_PATH, bare_attribute_counts, occurrence, spells_query
from session_lint.rules import BUILTIN_RULES

from tests.test_prefilter import _describe, _disable_prefilter, _rule_findings


@pytest.mark.parametrize("text, kind", [
    ("from idlelib.query import Query\n", MODULE_PATH),
    ("from .query import Query\n", MODULE_PATH),
    ("    from app.query.helpers import (\n        run)\n", MODULE_PATH),
    ("import app.query as q, b\n", MODULE_PATH),
    ("user = session.query(User).first()\n", COUNTS),
    ("user = session.query (User).first()\n", COUNTS),
    ("user = User.query.filter_by(id=1).first()\n", COUNTS),
    ("users = (User.query\n         .filter_by(active=True))\n", COUNTS),
    ("users = User.query \\\n    .all()\n", COUNTS),
    ("users = (User.query  # the active ones\n         .filter_by(active=True))\n", COUNTS),
    ("page = User.query[10:20]\n", COUNTS),
    ("Base.query = db_session.query_property()\n", BARE),  # the `.query_property` after it counts
    ("x = Base.query_property\n", COUNTS),  # another name than `.query`
    ("q = User.query\nq.first()\n", BARE),
    ("print(parts.params, parts.query, parts.fragment)\n", BARE),
    ("SplitResult.query.__doc__ = 'The query component.'\n", BARE),
    ("import os; q = User.query\n", BARE),  # not a module path: `;` ends the import
    ("q = User.query", BARE),
])
def test_what_each_spelling_of_query_is(text: str, kind: str) -> None:
    assert occurrence(text, text.find(".query")) == kind


def test_a_bare_attribute_is_evidence_only_where_the_project_says_it_may_be_a_query() -> None:
    asked: List[bool] = []

    def bare_counts() -> bool:
        asked.append(True)
        return False

    # The project is asked only when no other spelling decides, and at most once.
    assert spells_query("a = User.query.all()\nb = parts.query\n", bare_counts)
    assert not asked
    assert not spells_query("from idlelib.query import Query\nb = parts.query\nc = x.query, y.query\n", bare_counts)
    assert asked == [True]
    assert spells_query("b = parts.query\n", lambda: True)
    assert not spells_query("from idlelib.query import Query\n", lambda: True)


def _write(root: Path, files: Dict[str, str]) -> List[Path]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(root.rglob("*.py"))


# A model class the import evidence cannot follow (a registry hands it out), queried through
# Flask-SQLAlchemy's bare `User.query`; a session passed in, queried with no SQLAlchemy import;
# a chain; and a module of the standard library's kind that only looks like them.
_FLASK_DB = "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
_REGISTRY = "_MODELS = {}\n\n\ndef get_model(name):\n    return _MODELS[name]\n"
_BARE_QUERY = ("from app.registry import get_model\n\nUser = get_model('user')\n\n\n"
               "def show(user_id):\n    q = User.query\n    return q.filter_by(id=user_id).first().name\n")
_SESSION_PASSED_IN = ("def rename(session, user_id, name):\n"
                      "    user = session.query(User).filter_by(id=user_id).first()\n    user.name = name\n")
_CHAINED = ("from app.registry import get_model\n\nUser = get_model('user')\n\n\n"
            "def show(user_id):\n    return User.query.filter_by(id=user_id).first().name\n")
_LOOK_ALIKE = ('"""Pieces of a URL."""\nfrom idlelib.query import Query\n'
               'from urllib.parse import SplitResult, urlsplit\n\n'
               'SplitResult.query.__doc__ = """The query component."""\n\n\n'
               "def pieces(url):\n    parts = urlsplit(url)\n    return (parts.path, parts.query, parts.fragment)\n\n\n"
               "def first_name(rows):\n    return rows.first().name\n")


def _project(root: Path, flask: bool) -> ProjectIndex:
    files = {"pyproject.toml": "", "app/__init__.py": "", "app/registry.py": _REGISTRY,
             "app/views.py": _BARE_QUERY, "app/service.py": _SESSION_PASSED_IN, "app/chained.py": _CHAINED,
             "app/urls.py": _LOOK_ALIKE}
    if flask:
        files["app/db.py"] = _FLASK_DB
    return ProjectIndex.scan(_write(root, files))


@pytest.mark.parametrize("flask", [True, False], ids=["flask-project", "plain-project"])
def test_the_gate_hides_no_finding_where_query_is_spelled(flask: bool, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    index = _project(tmp_path, flask)
    app = tmp_path / "app"
    gate = {name: may_match((app / name).read_text(encoding="utf-8"), BUILTIN_RULES, index, str(app / name))
            for name in ("views.py", "service.py", "chained.py", "urls.py")}
    assert gate == {"views.py": flask, "service.py": True, "chained.py": True, "urls.py": flask}
    filtered = {name: _rule_findings(app / name, index) for name in gate}
    assert filtered["service.py"]
    # `User.query` is Flask-SQLAlchemy's only with its `db` (a chain lets the file through anyway).
    assert bool(filtered["views.py"]) is flask and bool(filtered["chained.py"]) is flask
    _disable_prefilter(monkeypatch, BUILTIN_RULES)
    unfiltered = {name: _rule_findings(app / name, index) for name in gate}
    for name in gate:
        assert filtered[name] == unfiltered[name], f"{name}: findings differ\n" \
                                                   f"{_describe(filtered[name], unfiltered[name])}"


def test_a_query_property_makes_a_bare_attribute_evidence(tmp_path: Path) -> None:
    """`Base.query = db_session.query_property()`: `User.query` of every subclass is a
    Query (what `ProjectCalls.has_query_property` asks), so `q = User.query` counts."""
    models = ("from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker\n\n"
              "db_session = scoped_session(sessionmaker())\nBase = declarative_base()\n"
              "Base.query = db_session.query_property()\n")
    plain = ProjectIndex.scan(_write(tmp_path / "plain", {"app/urls.py": _LOOK_ALIKE}))
    with_property = ProjectIndex.scan(_write(tmp_path / "property", {"app/models.py": models,
                                                                     "app/urls.py": _LOOK_ALIKE}))
    assert not bare_attribute_counts(plain)
    assert bare_attribute_counts(with_property)
    urls = str(tmp_path / "property" / "app" / "urls.py")
    assert may_match(_LOOK_ALIKE, BUILTIN_RULES, with_property, urls)
    assert not may_match(_LOOK_ALIKE, BUILTIN_RULES, plain, str(tmp_path / "plain" / "app" / "urls.py"))


def test_a_module_path_is_no_evidence_even_in_a_flask_project(tmp_path: Path) -> None:
    index = _project(tmp_path, flask=True)
    text = "from idlelib.query import Query\nimport app.query\n\n\ndef f(session):\n    session.add(Query())\n"
    assert not may_match(text, BUILTIN_RULES, index, str(tmp_path / "app" / "dialog.py"))
    assert may_match(text + "q = session.query(Query)\n", BUILTIN_RULES, index, str(tmp_path / "app" / "dialog.py"))


def test_a_plugin_rule_reads_query_as_a_substring() -> None:
    """Only SQLAlchemy's own evidence reads `.query` as code; a plugin's other `requires`
    are substrings, as `Rule` documents."""
    from session_lint.rule import Rule

    class Plugin(Rule):
        code = "XYZ100"
        name = "plugin"
        summary = "a plugin rule"
        tokens = ()
        requires = (".query", "urlsplit")

    assert may_match("from idlelib.query import Query\n", [Plugin])
