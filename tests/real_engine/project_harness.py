"""The harness of the real-engine proofs over a small fixture project (issue 18): a package
`models.py` (scoped `Session`, declarative `Base`) written under a temporary directory and
imported against an in-memory SQLite database, a `views.py` linted against it with the
project index and imported too, and the statements the database receives counted with an
event listener.

A proof's `project` fixture yields from `fixture_project`; `statements` calls one function
of the views module and counts what it sent.
"""
from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool

from session_lint import Settings, lint_source
from session_lint.project_index import ProjectIndex
from session_lint.rules import BUILTIN_RULES

Use = Callable[[str], Tuple[List[Tuple[int, str]], Dict[str, Any]]]


def fixture_project(tmp_path: Path, package_name: str, models_source: str,
                    fill: Callable[[Any, Any], None], rule_prefix: str = "ORM30") -> Iterator[Use]:
    """Write `package_name/models.py` from `models_source` under `tmp_path`, import it, build
    its tables in an in-memory database and let `fill(models, session)` add the rows (they
    are committed here); yields `use(views_source)`: lint `views.py` against the models with
    the rules whose code starts with `rule_prefix`, import it; returns (findings, the views
    module's namespace)."""
    package = tmp_path / package_name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(textwrap.dedent(models_source))
    sys.path.insert(0, str(tmp_path))
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    models = importlib.import_module(f"{package_name}.models")
    models.Session.configure(bind=engine)
    models.Base.metadata.create_all(engine)
    session = models.Session()
    fill(models, session)
    session.commit()
    models.Session.remove()
    counter = {"statements": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        counter["statements"] += 1

    def use(views: str) -> Tuple[List[Tuple[int, str]], Dict[str, Any]]:
        path = package / "views.py"
        path.write_text(textwrap.dedent(views))
        index = ProjectIndex.scan(sorted(package.glob("*.py")))
        rules = [rule for rule in BUILTIN_RULES if rule.code.startswith(rule_prefix)]
        result = lint_source(path.read_bytes(), str(path), rules, Settings(root=tmp_path), index)
        sys.modules.pop(f"{package_name}.views", None)
        namespace = vars(importlib.import_module(f"{package_name}.views"))
        namespace["_counter"] = counter
        namespace["_models"] = f"{package_name}.models"
        return [(d.location.row, d.code) for d in result.diagnostics], namespace

    yield use
    models.Session.remove()
    for name in [name for name in sys.modules if name.startswith(package_name)]:
        del sys.modules[name]
    sys.path.remove(str(tmp_path))
    engine.dispose()


def statements(namespace: Dict[str, Any], name: str, *args: Any) -> Tuple[Any, int]:
    """(the value of `name(*args)` in the views module, the statements it sent), run with a
    fresh scoped session."""
    counter = namespace["_counter"]
    models = sys.modules[namespace["_models"]]
    models.Session.remove()
    before = counter["statements"]
    value = namespace[name](*args)
    return value, counter["statements"] - before
