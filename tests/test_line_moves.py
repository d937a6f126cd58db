"""An edit that only moves lines keeps the project's summaries (issue 22, one file in a large
project): the kept index, renumbered (`ProjectIndex.with_lines_moved`), must answer exactly
as an index built again from the edited files. `SESSION_LINT_CORPUS=1` also checks every
project of the real-world corpus (benchmarks/.cache/corpus/src)."""
from __future__ import annotations

import dataclasses
import os
import random
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from session_lint import runner
from session_lint.cache import ResultCache
from session_lint.project.summaries import AMBIENT, ProjectSummaries
from session_lint.project_index import ProjectIndex, moved_lines, scan_source
from session_lint.rules import BUILTIN_RULES
from session_lint.settings import Settings

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY / "benchmarks" / ".cache" / "corpus" / "src"

PROJECT = {
    "app/__init__.py": "",
    "app/models.py": '''
from app.db import db


class Log(db.Model):
    pass


def log(message):
    db.session.add(Log(message=message))


def audit(message):
    log(message); db.session.commit()
''',
    "app/db.py": '''
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
''',
    "app/service.py": '''
from app.models import log, audit


def record(item):
    log(item)


def record_then_commit(item, session):
    record(item)
    session.commit()


def hand_over(session):
    keep(session)
''',
    "app/views.py": '''
from flask import Blueprint
from app.service import record, hand_over
from app.models import audit

bp = Blueprint("views", __name__)


@bp.route("/a")
def a():
    record("a")
    return "ok"


@bp.route("/b")
def b():
    audit("b")
    return "ok"
''',
}


def _index(root: Path) -> ProjectIndex:
    files = sorted(path for path in root.rglob("*.py"))
    return ProjectIndex.from_scans((path, scan_source(path.read_bytes(), str(path))) for path in files)


def _state(index: ProjectIndex) -> Dict[str, object]:
    """Every answer of the summaries that could reach a rule, as plain values."""
    summaries: ProjectSummaries = index.summaries
    found: Dict[str, object] = {"fingerprint": index.fingerprint(), "evidence": index.evidence_names(),
                                "factories": [(info.name, info.kind, info.options, info.line)
                                              for info in index.factories()]}
    for key, summary in summaries.summaries.items():
        found[repr(key)] = (dataclasses.asdict(summary), summaries.lost(key),
                            [dataclasses.astuple(site) for site in summaries.callers(key)])
    found["facts"] = {path: module for path, module in summaries.facts.items()}
    return found


def _insert_lines(text: str, rng: random.Random, count: int) -> str:
    """Comment lines and blank lines put between lines of `text` at random places (never
    inside a bracket or a string: only before lines that start a statement at column 0 or
    are empty, or at the top)."""
    lines = text.splitlines(keepends=True)
    places = [0] + [number for number, line in enumerate(lines) if line.strip() == "" or (line[:1].isalpha()
                                                                                     and not line.startswith("else"))]
    for _ in range(count):
        at = rng.choice(places)
        lines.insert(at, rng.choice(["# moved\n", "\n", "#\n"]))
        places = [place + 1 if place > at else place for place in places]
    return "".join(lines)


def _compare_after_moves(root: Path, rng: random.Random, modules: List[Path]) -> int:
    """For each module: move its lines, renumber the kept index, compare with one built
    again. Returns how many edits were renumbered (not built again)."""
    renumbered = 0
    for module in modules:
        kept = _index(root)
        _state(kept)  # every answer computed (and remembered) before the renumbering, as a kept index has
        before = scan_source(module.read_bytes(), str(module))
        original = module.read_bytes()
        try:
            module.write_text(_insert_lines(original.decode("utf-8", "replace"), rng, rng.randint(1, 6)),
                              encoding="utf-8")
            after = scan_source(module.read_bytes(), str(module))
            lines = moved_lines(before, after)
            if lines is None:
                continue
            renumbered += 1
            assert _state(kept.with_lines_moved({module.resolve(): (after, lines)})) == _state(_index(root)), module
        finally:
            module.write_bytes(original)
    return renumbered


def test_moved_lines_keep_every_answer(tmp_path) -> None:
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    modules = sorted(tmp_path.rglob("*.py"))
    assert _compare_after_moves(tmp_path, random.Random(7), modules * 3) >= 9


def test_moved_lines_keep_every_answer_on_the_examples(tmp_path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(REPOSITORY / "examples", root)
    modules = sorted(root.rglob("*.py"))
    assert _compare_after_moves(root, random.Random(11), modules) >= len(modules) // 2


def test_what_is_not_a_move_is_built_again(tmp_path) -> None:
    module = tmp_path / "m.py"
    text = "def f(session):\n    a(session); b(session)\n\n\ndef g():\n    pass\n"
    before = scan_source(text.encode(), str(module))
    split = text.replace("a(session); ", "a(session)\n    ")  # two calls of one line on two lines
    assert moved_lines(before, scan_source(split.encode(), str(module))) is None
    other = text.replace("pass", "h()")  # a new call
    assert moved_lines(before, scan_source(other.encode(), str(module))) is None
    moved = "\n\n" + text.replace("def g", "# g\ndef g")
    assert moved_lines(before, scan_source(moved.encode(), str(module))) == {1: 3, 2: 4, 5: 8}
    assert moved_lines(before, before) == {1: 1, 2: 2, 5: 5}


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


def _lint(root: Path, cache: Optional[ResultCache]) -> List[Tuple[str, str, int, int, str]]:
    files = sorted(root.rglob("*.py"))
    linted = [root / "app" / "views.py", root / "app" / "models.py"]
    report = runner.lint_files(linted, BUILTIN_RULES, Settings(root=root), jobs=1, cache=cache, index_also=files)
    return [(Path(d.filename).name, d.code, d.location.row, d.location.column, d.message) for d in report.diagnostics]


def test_a_run_after_a_moving_edit_builds_no_summaries(tmp_path, monkeypatch, user_cache) -> None:
    root = tmp_path / "project"
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    old = 1_000_000_000
    for path in root.rglob("*.py"):
        os.utime(path, (old, old))
    monkeypatch.chdir(root)
    first = _lint(root, ResultCache(tmp_path / "cache"))
    assert first and all(found[1] == "ORM101" for found in first)
    models = root / "app" / "models.py"
    models.write_text("# a line on top\n\n" + models.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(models, (old + 10, old + 10))
    computed: List[int] = []
    original = ProjectSummaries._compute

    def counting(self) -> None:
        computed.append(1)
        original(self)

    monkeypatch.setattr(ProjectSummaries, "_compute", counting)
    second = _lint(root, ResultCache(tmp_path / "cache"))
    assert computed == []  # the kept index, renumbered
    assert _lint(root, None) == second
    assert computed  # built again without the kept index
    moved = [(name, code, row - 2, column, message) if name == "models.py" else (name, code, row, column, message)
             for name, code, row, column, message in second]
    assert [found[:4] for found in sorted(moved)] == [found[:4] for found in sorted(first)]


@pytest.mark.skipif(os.environ.get("SESSION_LINT_CORPUS") != "1" or not CORPUS.is_dir(),
                    reason="SESSION_LINT_CORPUS=1 and benchmarks/.cache/corpus/src")
@pytest.mark.parametrize("project", sorted(path.name for path in CORPUS.iterdir()) if CORPUS.is_dir() else [])
def test_moved_lines_on_the_corpus(tmp_path, project) -> None:
    root = tmp_path / project
    shutil.copytree(CORPUS / project, root, ignore=shutil.ignore_patterns("*.pyc", ".git"))
    rng = random.Random(project)
    modules = sorted(root.rglob("*.py"))
    chosen = rng.sample(modules, min(4, len(modules)))
    assert _compare_after_moves(root, rng, chosen) >= 1
