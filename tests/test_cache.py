"""The results cache never returns a stale result."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from session_lint import __version__
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


# -- a rule plugin upgrade, through the real entry-point machinery ------------------------------------
PLUGIN_RULE = '''\
from session_lint import Finding, Rule


class Marker(Rule):
    code = "CPL101"
    name = "cache-plugin-marker"
    summary = "flags the first statement of files that mention MARKER"
    tokens = ("MARKER",)

    def check(self, context):
        yield Finding(context.module.body[0], {message!r})


RULES = [Marker]
'''


def install_plugin(site: Path, version: str, message: str) -> Path:
    """A distribution `cacheplugin` as pip would leave it: a module and its dist-info."""
    site.mkdir(parents=True)
    info = site / f"cacheplugin-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: cacheplugin\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("[session_lint.rules]\ncacheplugin = cacheplugin_rules:RULES\n")
    (site / "cacheplugin_rules.py").write_text(PLUGIN_RULE.format(message=message))
    return site


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch):
    """Puts a site directory first on sys.path, as a fresh interpreter would find it."""
    import importlib
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    original = list(sys.path)

    def use(site: Path) -> None:
        monkeypatch.setattr(sys, "path", [str(site), *original])
        sys.modules.pop("cacheplugin_rules", None)
        importlib.invalidate_caches()

    yield use
    sys.modules.pop("cacheplugin_rules", None)


def test_plugin_origin_is_its_distribution_and_version(tmp_path: Path, plugin_site) -> None:
    from session_lint.registry import load_rules

    plugin_site(install_plugin(tmp_path / "site-1", "1.0", "v1"))
    ruleset = load_rules()
    assert ruleset.errors == []
    assert ruleset.origins["CPL101"] == "cacheplugin 1.0"  # on Python 3.9 too (no EntryPoint.dist)
    assert ruleset.origins["ORM101"] == "session-lint " + __version__


def test_a_distribution_found_twice_counts_once(tmp_path: Path, plugin_site, monkeypatch) -> None:
    import sys

    from session_lint.registry import load_rules

    first = install_plugin(tmp_path / "site-1", "2.0", "new")
    second = install_plugin(tmp_path / "site-2", "1.0", "old")
    plugin_site(first)
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path[1:]])  # after plugin_site
    ruleset = load_rules()
    assert ruleset.errors == [] and ruleset.origins["CPL101"] == "cacheplugin 2.0"


def test_plugin_version_change_invalidates_the_cache(tmp_path: Path, plugin_site, monkeypatch, capsys) -> None:
    from session_lint.cli import main

    project = tmp_path / "project"
    project.mkdir()
    (project / "x.py").write_text("MARKER = 1\n")
    monkeypatch.chdir(project)

    def run() -> str:
        with pytest.raises(SystemExit):
            main(["--cache-dir", str(tmp_path / "cache"), "--output-format", "concise", "--select", "CPL", "x.py"])
        return capsys.readouterr().out

    plugin_site(install_plugin(tmp_path / "site-1", "1.0", "message of 1.0"))
    assert run() == "x.py:1:1: CPL101 message of 1.0\n"
    # Same version, different code (an editable install): the cache answers, as designed.
    plugin_site(install_plugin(tmp_path / "site-1b", "1.0", "changed without a new version"))
    assert run() == "x.py:1:1: CPL101 message of 1.0\n"
    # An upgrade: the cached result must not be reused.
    plugin_site(install_plugin(tmp_path / "site-2", "1.1", "message of 1.1"))
    assert run() == "x.py:1:1: CPL101 message of 1.1\n"
