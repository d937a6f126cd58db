"""The results cache never returns a stale result."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from session_lint.cache import ResultCache
from session_lint.project_index import ProjectIndex
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings

BAD = """\
from sqlalchemy.orm import Session

def create(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""
FIXED = BAD + "        session.commit()\n"


def lint(files: List[Path], cache_dir: Path, settings: Settings = Settings(), versions: str = "v1",
         index: ProjectIndex = None):
    cache = ResultCache(cache_dir)
    report = lint_files(files, BUILTIN_RULES, settings, jobs=1, cache=cache, rule_versions=versions, index=index)
    return report, [(d.filename, d.location.row, d.code) for d in report.diagnostics]


@pytest.fixture
def files(tmp_path: Path) -> List[Path]:
    paths = []
    for name in ("a.py", "b.py"):
        path = tmp_path / name
        path.write_text(BAD)
        paths.append(path)
    return paths


def test_warm_run_reuses_results(files, tmp_path) -> None:
    cold, cold_found = lint(files, tmp_path / "cache")
    warm, warm_found = lint(files, tmp_path / "cache")
    assert cold.files_from_cache == 0 and warm.files_from_cache == 2
    assert cold_found == warm_found and len(warm_found) == 2
    assert (tmp_path / "cache" / ".gitignore").read_text().strip().endswith("*")


def test_edited_file_is_linted_again(files, tmp_path) -> None:
    lint(files, tmp_path / "cache")
    files[0].write_text(FIXED)
    report, found = lint(files, tmp_path / "cache")
    assert report.files_from_cache == 1
    assert found == [(str(files[1]), 5, "ORM101")]


def test_settings_change_invalidates(files, tmp_path) -> None:
    lint(files, tmp_path / "cache")
    report, found = lint(files, tmp_path / "cache", Settings(ignore=("ORM101",)))
    assert report.files_from_cache == 0
    report, found = lint(files, tmp_path / "cache", Settings(noreturn_functions=("x.y",)))
    assert report.files_from_cache == 0


def test_rule_plugin_upgrade_invalidates(files, tmp_path) -> None:
    lint(files, tmp_path / "cache", versions="plugin 1.0")
    report, _ = lint(files, tmp_path / "cache", versions="plugin 1.1")
    assert report.files_from_cache == 0


def test_project_index_change_invalidates(tmp_path) -> None:
    db = tmp_path / "db.py"
    service = tmp_path / "service.py"
    db.write_text("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n")
    service.write_text("from db import SessionLocal\n\ndef f():\n    with SessionLocal() as s:\n        s.add(1)\n")
    _, found = lint([db, service], tmp_path / "cache")
    assert found == [(str(service), 5, "ORM101")]
    db.write_text("SessionLocal = object\n")
    report, found = lint([db, service], tmp_path / "cache")
    assert found == [] and report.files_from_cache == 0


def test_damaged_cache_is_ignored(files, tmp_path) -> None:
    lint(files, tmp_path / "cache")
    (tmp_path / "cache" / "results-v1.json").write_text("{not json")
    report, found = lint(files, tmp_path / "cache")
    assert report.files_from_cache == 0 and len(found) == 2


def test_unwritable_cache_is_a_warning(files, tmp_path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory should be")
    report, found = lint(files, blocker / "cache")
    assert len(found) == 2
    assert report.warnings and "cannot write the cache" in report.warnings[0]
