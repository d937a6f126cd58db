"""Performance round 2 (issue 22): the evidence gate means it, start-up loads only what a
command needs, and discovery never matches patterns against files it would drop anyway.

Correctness of the gate (no finding hidden) is tests/test_prefilter.py's job; these tests
pin down that the cheap paths stay cheap.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from session_lint import engine
from session_lint.engine import imported_names, may_match
from session_lint.project_index import ProjectIndex, scan_text
from session_lint.rule import SQLALCHEMY_EVIDENCE
from session_lint.rules import BUILTIN_RULES

DB_MODULE = "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
USES_DB = "def create(user):\n    db.session.add(user)\n"


@pytest.fixture
def index(tmp_path: Path) -> ProjectIndex:
    """A project whose `app/extensions.py` defines Flask-SQLAlchemy's `db`."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "extensions.py").write_text(DB_MODULE)
    return ProjectIndex.scan([tmp_path / "app" / "extensions.py"])


# -- the evidence gate ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    # `db` is spelled, but not as the project's factory: no import brings it in.
    "db = connect('x.sqlite')\n" + USES_DB,
    "import sqlite3\n\ndef f(db):\n    db.session.add(1)\n",
    "# the db module is imported elsewhere\n" + USES_DB,
])
def test_a_factory_name_that_is_not_imported_is_no_evidence(index: ProjectIndex, text: str) -> None:
    assert not may_match(text, BUILTIN_RULES, index)


@pytest.mark.parametrize("imports", [
    "from app.extensions import db\n",
    "from .extensions import db\n",
    "from . import db\n",
    "from app.extensions import db as database\n",
    "from app.extensions import (\n    cache,  # a ) in a comment\n    db,\n)\n",
    "from app.extensions import cache, \\\n    db\n",
    "from app.extensions \\\n    import db\n",
    "def view():\n    from app.extensions import db\n",
    "try:\n    from app.extensions import db\nexcept ImportError:\n    db = None\n",
    "from app.extensions import cache; from app.extensions import db\n",
])
def test_an_imported_factory_is_evidence(index: ProjectIndex, imports: str) -> None:
    assert may_match(imports + USES_DB, BUILTIN_RULES, index)
    assert "db" in imported_names(imports)


class _CountingText(str):
    """Counts the substring searches made in it."""

    searches = 0

    def __contains__(self, item: object) -> bool:
        type(self).searches += 1
        return super().__contains__(item)


def test_the_evidence_is_looked_for_once_per_file_not_per_rule() -> None:
    _CountingText.searches = 0
    check = engine._TokenCheck(_CountingText("import os\nprint(os.sep)\n" * 100), ProjectIndex())
    for _ in range(2):  # the gate before the parse, then each rule before it runs
        assert not any(check.passes(rule) for rule in BUILTIN_RULES)
    # Each distinct tuple of tokens is looked for once: the SQLAlchemy evidence that every
    # finding rule requires, and what the others (ORM900, about `# noqa` comments) need.
    first = {rule.requires or rule.tokens for rule in BUILTIN_RULES}
    assert SQLALCHEMY_EVIDENCE in first
    assert _CountingText.searches == sum(map(len, first))


def test_a_module_that_binds_a_factory_spells_sqlalchemy() -> None:
    # Why binding needs no rule of its own: the index records only what a module makes from
    # SQLAlchemy (or SQLModel, or Flask-SQLAlchemy), and it looks for the marker first.
    assert scan_text("db = SQLAlchemy()\nSession = sessionmaker()\n", "x.py") == {}
    made = "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n"
    assert set(scan_text(made, "x.py")) == {"db"} and may_match(made + USES_DB, BUILTIN_RULES)


# -- start-up ------------------------------------------------------------------------------------
_HEAVY = ("libcst", "pathspec", "multiprocessing", "concurrent.futures", "filelock", "platformdirs",
          "subprocess")


def _loaded_after(code: str) -> List[str]:
    probe = (f"{code}\nimport sys\n"
             f"print('loaded:', *(m for m in {_HEAVY!r} if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                               cwd=os.path.dirname(os.path.abspath(__file__)))
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.split("loaded:")[-1].split()


def test_importing_the_package_and_the_cli_loads_nothing_heavy() -> None:
    assert _loaded_after("import session_lint, session_lint.cli") == []


def test_version_loads_nothing_heavy() -> None:
    code = ("import sys\nfrom session_lint.cli import main\nsys.argv = ['session-lint', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    assert _loaded_after(code) == []


def test_the_public_api_still_imports_from_the_package() -> None:
    import session_lint

    for name in session_lint.__all__:
        assert getattr(session_lint, name) is not None
    assert set(session_lint.__all__) <= set(dir(session_lint))
    with pytest.raises(AttributeError):
        session_lint.no_such_name  # noqa: B018


# -- discovery -----------------------------------------------------------------------------------
def test_files_that_are_not_python_are_never_matched_against_patterns(tmp_path: Path, monkeypatch) -> None:
    from session_lint import discovery
    from session_lint.settings import Settings

    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    for index in range(30):
        (tmp_path / f"asset{index}.js").write_text("x")
        (tmp_path / f"notes{index}.txt").write_text("x")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("x = 1\n")
    matched: List[str] = []
    real = discovery.gitignore_spec

    def counting_spec(patterns):
        spec = real(patterns)
        original = spec.match_file

        def match_file(name):
            matched.append(name)
            return original(name)

        spec.match_file = match_file
        return spec

    monkeypatch.setattr(discovery, "gitignore_spec", counting_spec)
    found = discovery.collect_files([str(tmp_path)], Settings(root=tmp_path))
    assert sorted(path.name for path in found.files) == ["a.py", "b.py"]
    assert matched and not any(name.endswith((".js", ".txt", ".js/", ".txt/")) for name in matched), matched


def test_no_directory_of_the_walk_is_resolved(tmp_path: Path, monkeypatch) -> None:
    from session_lint import discovery
    from session_lint.settings import Settings

    for index in range(20):
        (tmp_path / f"d{index}" / "inner").mkdir(parents=True)
        (tmp_path / f"d{index}" / "inner" / "m.py").write_text("x = 1\n")
    resolved: List[str] = []
    real = Path.resolve

    def resolve(self, *args, **kwargs):
        resolved.append(str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "resolve", resolve)
    found = discovery.collect_files([str(tmp_path)], Settings(root=tmp_path))
    assert len(found.files) == 20
    assert len(resolved) <= 2, resolved  # the argument, not each of its 40 directories


def test_name_excludes_answer_as_the_gitignore_spec_does() -> None:
    """The default excludes (plain names and `*.egg-info`) are matched by name, without the
    spec's patterns per entry; the answer is the spec's, for files and directories at any
    depth, below an excluded directory too."""
    from session_lint.discovery import _NameExcludes, gitignore_spec
    from session_lint.settings import DEFAULT_EXCLUDE

    patterns = DEFAULT_EXCLUDE + ("migrations", "*.generated.py")
    fast = _NameExcludes.of(patterns)
    spec = gitignore_spec(patterns)
    assert fast is not None
    prefixes = ["", "app/", "app/build/", "pkg.egg-info/", "a/b/node_modules/c/", "builder/", "src/x.egg-info.d/"]
    names = ["x.py", "build", "dist", "venv", ".venv", "migrations", "x.egg-info", "y.generated.py", "buildx",
             "egg-info", "a.egg", ".git", "_build"]
    for prefix in prefixes:
        for name in names:
            for is_dir in (False, True):
                suffix = "/" if is_dir else ""
                expected = spec.match_file(prefix + name + suffix) or spec.match_file(name + suffix)
                assert fast.excluded(prefix, name) == expected, (prefix, name, is_dir)
    # Anything else (a path, a glob, a negation) is the spec's to match.
    for other in (("build/",), ("docs/*.py",), ("!build",), ("a?c",), ("[ab]",)):
        assert _NameExcludes.of(DEFAULT_EXCLUDE + other) is None


def test_the_index_is_frozen_while_files_are_linted_and_thawed_after(tmp_path: Path, monkeypatch) -> None:
    """The project index a run builds is left out of the garbage collector's sight as soon
    as it is built (the first collection after the build walked all of it: 0.25-0.3 s of a
    one-file run in a 2,500-file project), and given back when the run ends; what the
    caller froze stays frozen."""
    import gc

    from session_lint import runner
    from session_lint.settings import Settings

    module = tmp_path / "app.py"
    module.write_text("from sqlalchemy.orm import Session\n\n\ndef f(engine):\n"
                      "    with Session(engine) as s:\n        s.add(1)\n", encoding="utf-8")
    seen: List[int] = []
    real = runner._lint_item

    def linting(item):
        seen.append(gc.get_freeze_count())
        return real(item)

    monkeypatch.setattr(runner, "_lint_item", linting)
    assert gc.get_freeze_count() == 0
    report = runner.lint_files([module], BUILTIN_RULES, Settings(root=tmp_path), index_also=[module])
    assert [d.code for d in report.diagnostics] == ["ORM101"]
    assert seen and seen[0] > 0 and gc.get_freeze_count() == 0
    gc.freeze()  # a caller's own frozen objects
    try:
        frozen = gc.get_freeze_count()
        runner.lint_files([module], BUILTIN_RULES, Settings(root=tmp_path), index_also=[module])
        assert gc.get_freeze_count() > frozen // 2  # not thawed (objects freed meanwhile leave it)
    finally:
        gc.unfreeze()
