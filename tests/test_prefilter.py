"""The token prefilter is conservative: it never hides a finding.

Each rule declares `tokens`, substrings one of which must occur in a file for the rule to
run; a file containing none of any enabled rule's tokens is not even parsed
(engine.may_match, then the per-rule check in lint_source). Both checks are switched off
by giving every rule `tokens = ()`, and every catalogue fixture and every example is linted
with all built-in rules both ways: the findings must be identical.

The same holds for the second tier of the front end (only the statements that can hold a
finding are parsed with libcst): every fixture and example is linted with it and without it
(`engine.SECOND_TIER`), and the findings must be identical, positions included.

The real-world corpus (benchmarks/.cache/corpus/, built by benchmarks/corpus.py) takes
minutes to lint twice, so it is checked only with SESSION_LINT_CORPUS=1.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple, Type

import pytest

from session_lint import Settings, lint_source
from session_lint.project_index import ProjectIndex
from session_lint.rule import Rule
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import default_jobs, forks_workers, lint_files

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "rules"
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "benchmarks" / ".cache" / "corpus" / "src"
RULE_CODES = frozenset(rule.code for rule in BUILTIN_RULES)

# (row, column, code, message); engine diagnostics (ORM001 syntax errors, ORM002 crashes)
# are left out: parsing a file the prefilter skipped may well find a syntax error in it,
# and that is not a finding of any rule.
Finding = Tuple[int, int, str, str]


def _fixtures() -> List[Path]:
    return sorted(CATALOGUE.glob("*/**/*.py"))


def _examples() -> List[Path]:
    return sorted(EXAMPLES.rglob("*.py"))


def _project_of(path: Path) -> List[Path]:
    """The files linted together with `path`, for the project index (as the CLI would)."""
    if path.is_relative_to(CATALOGUE):
        # As in test_catalogue: a fixture in a subdirectory of rules/<CODE>/ belongs to the
        # small project in that directory; a top-level fixture stands alone.
        code_directory = CATALOGUE / path.relative_to(CATALOGUE).parts[0]
        return sorted(path.parent.rglob("*.py")) if path.parent != code_directory else [path]
    # Each directory directly under examples/ is one application.
    top = EXAMPLES / path.relative_to(EXAMPLES).parts[0]
    return sorted(top.rglob("*.py")) if top.is_dir() else [path]


def _rule_findings(path: Path, index: ProjectIndex) -> List[Finding]:
    result = lint_source(path.read_bytes(), str(path), list(BUILTIN_RULES), Settings(), index)
    return sorted((d.location.row, d.location.column, d.code, d.message)
                  for d in result.diagnostics if d.code in RULE_CODES)


def _disable_prefilter(monkeypatch: pytest.MonkeyPatch, rules: Sequence[Type[Rule]]) -> None:
    # Empty `tokens` and `requires` mean "always run" to both may_match and the per-rule check.
    for rule in rules:
        monkeypatch.setattr(rule, "tokens", ())
        monkeypatch.setattr(rule, "requires", ())


def _describe(with_filter: Sequence[object], without_filter: Sequence[object]) -> str:
    hidden = sorted(set(without_filter) - set(with_filter))
    extra = sorted(set(with_filter) - set(without_filter))
    lines = [f"  hidden by the prefilter: {item}" for item in hidden[:20]]
    lines += [f"  only with the prefilter: {item}" for item in extra[:20]]
    return "\n".join(lines)


def test_every_rule_declares_tokens_as_strings() -> None:
    for rule in BUILTIN_RULES:
        assert isinstance(rule.tokens, tuple), f"{rule.code}: tokens must be a tuple"
        assert all(isinstance(token, str) and token for token in rule.tokens), (
            f"{rule.code}: every token must be a non-empty string"
        )


@pytest.mark.parametrize(
    "path", _fixtures() + _examples(), ids=lambda p: str(p.relative_to(ROOT)),
)
def test_prefilter_hides_no_finding(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = ProjectIndex.scan(_project_of(path))
    filtered = _rule_findings(path, index)
    _disable_prefilter(monkeypatch, BUILTIN_RULES)
    unfiltered = _rule_findings(path, index)
    assert filtered == unfiltered, f"{path}: findings differ\n{_describe(filtered, unfiltered)}"


def _corpus_projects() -> Iterator[Path]:
    if CORPUS.is_dir():
        yield from sorted(p for p in CORPUS.iterdir() if p.is_dir())


def _lint_tree(project: Path) -> List[Tuple[str, int, int, str, str]]:
    files = sorted(project.rglob("*.py"))
    # Worker processes inherit the patched rule classes (and engine.SECOND_TIER) only when
    # they are forked, which the runner does only while this process has no other thread.
    settings = Settings(root=project, respect_gitignore=False)
    report = lint_files(files, list(BUILTIN_RULES), settings, jobs=default_jobs() if forks_workers() else 1)
    return sorted((d.filename, d.location.row, d.location.column, d.code, d.message)
                  for d in report.diagnostics if d.code in RULE_CODES)


@pytest.mark.skipif(os.environ.get("SESSION_LINT_CORPUS") != "1",
                    reason="set SESSION_LINT_CORPUS=1 to lint the real-world corpus twice (minutes)")
@pytest.mark.parametrize("project", list(_corpus_projects()), ids=lambda p: p.name)
def test_prefilter_hides_no_finding_in_the_corpus(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    filtered = _lint_tree(project)
    _disable_prefilter(monkeypatch, BUILTIN_RULES)
    unfiltered = _lint_tree(project)
    assert filtered == unfiltered, f"{project.name}: findings differ\n{_describe(filtered, unfiltered)}"


def _without_second_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    from session_lint import engine

    monkeypatch.setattr(engine, "SECOND_TIER", False)


@pytest.mark.parametrize(
    "path", _fixtures() + _examples(), ids=lambda p: str(p.relative_to(ROOT)),
)
def test_second_tier_hides_no_finding(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-tier front end (frontend.py) parses only the statements that can matter:
    the findings must be those of parsing the whole module, at the same places."""
    from session_lint import frontend

    monkeypatch.setattr(frontend, "_MIN_LINES", 0)  # fixtures are short: reduce them all the same
    index = ProjectIndex.scan(_project_of(path))
    reduced = _rule_findings(path, index)
    _without_second_tier(monkeypatch)
    whole = _rule_findings(path, index)
    assert reduced == whole, f"{path}: findings differ\n{_describe(reduced, whole)}"


@pytest.mark.skipif(os.environ.get("SESSION_LINT_CORPUS") != "1",
                    reason="set SESSION_LINT_CORPUS=1 to lint the real-world corpus twice (minutes)")
@pytest.mark.parametrize("project", list(_corpus_projects()), ids=lambda p: p.name)
def test_second_tier_hides_no_finding_in_the_corpus(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reduced = _lint_tree(project)
    _without_second_tier(monkeypatch)
    whole = _lint_tree(project)
    assert reduced == whole, f"{project.name}: findings differ\n{_describe(reduced, whole)}"


# Spellings the fixtures do not use, each once hidden by a token that was not an identifier
# (`.add(` misses `session.add (user)`), missing (`db.one_or_404`), or blind to a session
# factory imported from another module of the project.
_PROJECTS = {
    "space-before-parenthesis": {
        "app.py": "from sqlalchemy.orm import Session\n\n\n"
                  "def f(engine, user):\n    with Session(engine) as session:\n        session.add (user)\n",
    },
    "flask-sqlalchemy-one-or-404-in-a-loop": {
        "app.py": "from flask_sqlalchemy import SQLAlchemy\nfrom sqlalchemy import select\n\n"
                  "db = SQLAlchemy()\n\n\ndef load(ids):\n    out = []\n    for i in ids:\n"
                  "        out.append(db.one_or_404(select(User).where(User.id == i)))\n    return out\n",
    },
    "imported-factory-with-a-plain-name": {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/db.py": "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
                     "engine = create_engine('sqlite://')\nDb = sessionmaker(engine)\n",
        "app/views.py": "from app.db import Db\n\n\ndef create(user):\n    s = Db()\n    s.add(user)\n    s.flush()\n",
    },
}


@pytest.mark.parametrize("name", sorted(_PROJECTS))
def test_prefilter_hides_no_finding_in_unusual_spellings(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for relative, text in _PROJECTS[name].items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    files = sorted(tmp_path.rglob("*.py"))
    index = ProjectIndex.scan(files)
    filtered = [f for path in files for f in _rule_findings(path, index)]
    _disable_prefilter(monkeypatch, BUILTIN_RULES)
    unfiltered = [f for path in files for f in _rule_findings(path, index)]
    assert unfiltered, f"{name}: the example should have a finding without the prefilter"
    assert filtered == unfiltered, f"{name}: findings differ\n{_describe(filtered, unfiltered)}"


def test_a_module_without_sqlalchemy_evidence_is_not_parsed() -> None:
    from session_lint.engine import may_match

    body = "def f(session, q):\n    session.add(x)\n    return q.first().name\n"
    assert not may_match(body, BUILTIN_RULES)
    assert may_match("import sqlalchemy as sa\n" + body, BUILTIN_RULES)
    assert may_match("from flask_sqlalchemy import SQLAlchemy\n" + body, BUILTIN_RULES)
    assert may_match(body + "u = User.query.first().name\n", BUILTIN_RULES)


# -- imports of the project's models as evidence (project/import_evidence.py) ------------------
IMPORTED_MODEL_PROJECT = CATALOGUE / "ORM304" / "imported_model_project"


def _gate(path: Path, index: ProjectIndex, text: str = "") -> bool:
    from session_lint.engine import may_match

    return may_match(text or path.read_text(encoding="utf-8"), BUILTIN_RULES, index, str(path))


def test_an_import_that_resolves_to_a_project_model_is_evidence() -> None:
    """mirrormanager2's crawler spells no SQLAlchemy name: its import of a mapped class of
    the project (by name, or the module of them) lets it through; a class of the same name
    from a module of plain data classes does not."""
    from session_lint.engine import may_match

    app = IMPORTED_MODEL_PROJECT / "app"
    index = ProjectIndex.scan(sorted(IMPORTED_MODEL_PROJECT.rglob("*.py")))
    crawler = (app / "crawler.py").read_text(encoding="utf-8")
    assert not may_match(crawler, BUILTIN_RULES, index)  # no file, no imports to resolve
    assert _gate(app / "crawler.py", index)  # from app.model import HostCategoryDir
    assert _gate(app / "report.py", index)  # from . import model
    assert not _gate(app / "views.py", index)  # from app.schemas import HostCategoryDir


_MODEL_IMPORTS = {
    "app/__init__.py": "",
    "app/models/__init__.py": "from .user import User\n",
    "app/models/user.py": "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n\n"
                          "Base = declarative_base()\n\n\nclass User(Base):\n    __tablename__ = 'user'\n"
                          "    id = Column(Integer, primary_key=True)\n\n\nclass Admin(User):\n    pass\n",
    "app/entities.py": "from sqlalchemy.orm import relationship  # a module that spells SQLAlchemy\n\n\n"
                       "class Trace:\n    @property\n    def cost(self):\n        return self.metadata.get('cost')\n",
}
# Modules that spell no SQLAlchemy evidence: each imports one thing, then uses rows (`get` is
# a token of ORM304, which a rule's gate needs as well as the evidence).
_IMPORTERS = {
    "a": "import app.models.user as m  # a module of models\n",
    "b": "from app.models import User  # re-exported by the package\n",
    "c": "from app.models.user import Admin  # no table of its own: its base has one\n",
    "d": "from app.entities import Trace  # a property calling .get() makes no model\n",
    "e": "import json\n",
    # A package that re-exports models is no evidence by itself (see `_find`).
    "f": "import app.models as models\n",
}
_USES_ROWS = "\n\ndef names(rows):\n    return [row.get('name') for row in rows]\n"


@pytest.mark.parametrize("name, evidence", [("a", True), ("b", True), ("c", True), ("d", False), ("e", False), ("f", False)])
def test_which_imports_resolve_to_a_project_model(name: str, evidence: bool, tmp_path: Path) -> None:
    files = {**_MODEL_IMPORTS, **{f"app/{key}.py": text + _USES_ROWS for key, text in _IMPORTERS.items()}}
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    index = ProjectIndex.scan(sorted(tmp_path.rglob("*.py")))
    assert _gate(tmp_path / "app" / f"{name}.py", index) is evidence


def test_a_noqa_in_a_module_let_in_by_a_model_import_is_not_unused() -> None:
    """ORM900 asks the gate again per rule: with the file's name, as the engine does, or it
    calls the `# noqa: ORM304` of a file let in only by its model import unused."""
    crawler = IMPORTED_MODEL_PROJECT / "app" / "crawler.py"
    index = ProjectIndex.scan(sorted(IMPORTED_MODEL_PROJECT.rglob("*.py")))
    lines = crawler.read_text(encoding="utf-8").splitlines(keepends=True)
    flagged = next(number for number, line in enumerate(lines) if "# expect: ORM304" in line)
    lines[flagged] = lines[flagged].rstrip("\n") + "  # noqa: ORM304\n"
    rules = [rule for rule in BUILTIN_RULES if rule.code in ("ORM304", "ORM900")]
    result = lint_source("".join(lines), str(crawler), rules, Settings(extend_select=("ORM304",)), index)
    codes = [(finding.location.row, finding.code) for finding in result.diagnostics]
    assert (flagged + 1, "ORM304") not in codes  # suppressed
    assert not any(code == "ORM900" for _, code in codes), codes
