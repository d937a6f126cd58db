"""Warm runs read no unchanged file (issue 22): the cache remembers each file's status (size,
mtime_ns, ctime_ns, inode), digest and index scan, and a file whose status is unchanged is
neither read nor hashed; anything else is read again, and no stale result comes back."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from session_lint import engine, runner
from session_lint.cache import ResultCache
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings

BAD = (
    "from sqlalchemy.orm import Session\n\n"
    "def create(engine):\n"
    "    with Session(engine) as session:\n"
    "        session.add(User())\n"
)
# The same size as BAD, and fixed: `.add` -> `.get` (nothing pending, nothing to commit).
SAME_SIZE_FIXED = BAD.replace("session.add(User())", "session.get(User())")
HOUR = 3600


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


@pytest.fixture
def reads(monkeypatch) -> List[str]:
    """The files the runner reads."""
    seen: List[str] = []
    real = engine.read_source

    def read_source(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(runner, "read_source", read_source)
    return seen


def age(path: Path, seconds: float = HOUR) -> None:
    """Written long ago: no longer within the racy window of the file system's timestamps."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def write(path: Path, text: str, old: bool = True) -> Path:
    path.write_text(text)
    if old:
        age(path)
    return path


def lint(files: List[Path], cache_dir: Path, index_also: List[Path] = ()) -> Tuple[object, List[Tuple[str, str]]]:
    report = lint_files(files, BUILTIN_RULES, Settings(), jobs=1, cache=ResultCache(cache_dir),
                        index_also=list(index_also))
    return report, [(Path(d.filename).name, d.code) for d in report.diagnostics]


def test_a_warm_run_reads_no_unchanged_file(tmp_path: Path, reads: List[str]) -> None:
    files = [write(tmp_path / name, BAD) for name in ("a.py", "b.py", "c.py")]
    cold, cold_found = lint(files, tmp_path / "cache")
    assert sorted(reads) == ["a.py", "b.py", "c.py"]
    reads.clear()
    warm, warm_found = lint(files, tmp_path / "cache")
    assert reads == []
    assert warm.files_from_cache == 3 and warm_found == cold_found == [
        ("a.py", "ORM101"), ("b.py", "ORM101"), ("c.py", "ORM101")]


def test_only_the_changed_file_is_read(tmp_path: Path, reads: List[str]) -> None:
    files = [write(tmp_path / name, BAD) for name in ("a.py", "b.py")]
    lint(files, tmp_path / "cache")
    write(files[0], BAD + "        session.commit()\n")
    reads.clear()
    report, found = lint(files, tmp_path / "cache")
    assert reads == ["a.py"] and report.files_from_cache == 1 and found == [("b.py", "ORM101")]


def test_a_same_size_edit_with_its_mtime_put_back_is_seen(tmp_path: Path, reads: List[str]) -> None:
    path = write(tmp_path / "a.py", BAD)
    before = path.stat()
    lint([path], tmp_path / "cache")
    path.write_text(SAME_SIZE_FIXED)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # `cp -p`, `touch -r`: mtime and size as before
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reads.clear()
    report, found = lint([path], tmp_path / "cache")
    assert reads == ["a.py"] and found == [] and report.files_from_cache == 0  # the ctime changed


def test_a_file_replaced_by_another_is_read(tmp_path: Path, reads: List[str]) -> None:
    path = write(tmp_path / "a.py", BAD)
    before = path.stat()
    lint([path], tmp_path / "cache")
    replacement = write(tmp_path / "a.py.new", SAME_SIZE_FIXED)
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)  # an editor's atomic save: another inode
    reads.clear()
    _, found = lint([path], tmp_path / "cache")
    assert reads == ["a.py"] and found == []


def test_a_file_written_moments_before_it_was_read_is_read_again(tmp_path: Path, reads: List[str]) -> None:
    # A second write in the same timestamp tick could keep size and mtime: not trusted yet.
    path = write(tmp_path / "a.py", BAD, old=False)
    lint([path], tmp_path / "cache")
    reads.clear()
    report, found = lint([path], tmp_path / "cache")
    assert reads == ["a.py"] and report.files_from_cache == 1 and found == [("a.py", "ORM101")]
    age(path)  # now old enough: recorded by this run, spared by the next
    lint([path], tmp_path / "cache")
    reads.clear()
    lint([path], tmp_path / "cache")
    assert reads == []


def test_an_edited_source_entry_is_not_trusted(tmp_path: Path, reads: List[str]) -> None:
    path = write(tmp_path / "a.py", BAD)
    lint([path], tmp_path / "cache")
    results = tmp_path / "cache" / "results-v1.json"
    data = json.loads(results.read_text())
    (entry,) = data["sources"].values()
    entry["digest"] = "0" * 64  # points at another content's results
    results.write_text(json.dumps(data))
    reads.clear()
    _, found = lint([path], tmp_path / "cache")
    assert reads == ["a.py"] and found == [("a.py", "ORM101")]


def test_a_changed_factory_module_that_is_not_linted_invalidates(tmp_path: Path, reads: List[str]) -> None:
    db = write(tmp_path / "db.py", "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n")
    service = write(tmp_path / "service.py",
                    "from db import SessionLocal\n\ndef f():\n    with SessionLocal() as s:\n        s.add(1)\n")
    _, found = lint([service], tmp_path / "cache", index_also=[db])
    assert found == [("service.py", "ORM101")]
    reads.clear()
    _, found = lint([service], tmp_path / "cache", index_also=[db])
    assert reads == [] and found == [("service.py", "ORM101")]
    write(db, "SessionLocal = object\n")
    reads.clear()
    report, found = lint([service], tmp_path / "cache", index_also=[db])
    assert sorted(reads) == ["db.py", "service.py"] and found == [] and report.files_from_cache == 0


def test_another_index_scanner_scans_again(tmp_path: Path, reads: List[str], monkeypatch) -> None:
    # An upgrade (or an editable install's edit) of the index scanner may find other factories.
    path = write(tmp_path / "a.py", BAD)
    lint([path], tmp_path / "cache")
    monkeypatch.setattr(runner, "scanner_fingerprint", lambda: "another scanner")
    reads.clear()
    lint([path], tmp_path / "cache")
    assert reads == ["a.py"]


def test_a_spared_file_gone_before_it_is_needed_is_an_error(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "a.py", BAD)
    lint([path], tmp_path / "cache")
    real = runner.stat_source

    def stat_then_delete(name):
        status = real(name)
        os.unlink(name)
        return status

    # The status matches, so the file is not read at first; another rule version misses its
    # results, so it must be read after all, and is gone by then.
    monkeypatch.setattr(runner, "stat_source", stat_then_delete)
    report = lint_files([path], BUILTIN_RULES, Settings(), jobs=1, cache=ResultCache(tmp_path / "cache"),
                        rule_versions="plugin 2.0")
    assert report.errors == [(str(path), "the file disappeared before it could be read")]
    assert report.diagnostics == []


def test_deleted_files_leave_the_sources_table(tmp_path: Path) -> None:
    paths = [write(tmp_path / name, BAD) for name in ("a.py", "b.py")]
    lint(paths, tmp_path / "cache")
    paths[1].unlink()
    write(paths[0], BAD + "# edited\n")
    lint([paths[0]], tmp_path / "cache")
    data = json.loads((tmp_path / "cache" / "results-v1.json").read_text())
    assert sorted(Path(name).name for name in data["sources"]) == ["a.py"]


# -- the project index of a warm run (issue 22, round 4) ----------------------------------------
FACTORY = "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n"
USES_FACTORY = (
    "from app.db import SessionLocal\n\n"
    "def create():\n"
    "    session = SessionLocal()\n"
    "    session.add(User())\n"
)


@pytest.fixture
def builds(monkeypatch) -> List[int]:
    """How often the runner builds a project index (scans, summaries)."""
    counted: List[int] = []
    real = runner.ProjectIndex.from_scans.__func__  # type: ignore[attr-defined]

    def from_scans(cls, scanned):
        counted.append(1)
        return real(cls, scanned)

    monkeypatch.setattr(runner.ProjectIndex, "from_scans", classmethod(from_scans))
    return counted


def _project(tmp_path: Path) -> List[Path]:
    (tmp_path / "app").mkdir()
    return [write(tmp_path / "app" / "__init__.py", ""), write(tmp_path / "app" / "db.py", FACTORY),
            write(tmp_path / "app" / "views.py", USES_FACTORY)]


def test_a_warm_run_builds_no_index(tmp_path: Path, reads: List[str], builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    assert builds == [1] and {name for name, _ in cold} == {"views.py"}
    reads.clear()
    report, warm = lint(files, tmp_path / "cache")
    assert (reads, builds, warm, report.files_from_cache) == ([], [1], cold, 3)


def test_a_changed_file_builds_the_index_from_remembered_scans(tmp_path: Path, reads: List[str],
                                                               builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    write(files[2], USES_FACTORY + "    session.commit()\n")
    reads.clear()
    _, found = lint(files, tmp_path / "cache")
    # Only the changed file is read: the others' scans come from scans-v1.json.
    assert reads == ["views.py"] and builds == [1, 1] and cold and found == []
    reads.clear()
    lint(files, tmp_path / "cache")
    assert reads == [] and builds == [1, 1]


def test_a_factory_changed_in_a_file_not_linted_is_seen(tmp_path: Path, builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint([files[2]], tmp_path / "cache", index_also=files[:2])
    assert [code for _, code in cold]
    write(files[1], "SessionLocal = None\n")  # no factory any more
    _, found = lint([files[2]], tmp_path / "cache", index_also=files[:2])
    assert builds == [1, 1] and found == []


def test_a_recorded_index_of_other_code_is_not_used(tmp_path: Path, builds: List[int], monkeypatch) -> None:
    files = _project(tmp_path)
    lint(files, tmp_path / "cache")
    monkeypatch.setattr(runner, "index_code_fingerprint", lambda: "another summaries' code")
    lint(files, tmp_path / "cache")
    assert builds == [1, 1]


def test_a_forged_index_entry_is_not_trusted(tmp_path: Path, builds: List[int]) -> None:
    files = _project(tmp_path)
    lint(files, tmp_path / "cache")
    results = tmp_path / "cache" / "results-v1.json"
    data = json.loads(results.read_text())
    for entry in data["indexes"].values():
        entry["fingerprint"] = "0" * 16
    results.write_text(json.dumps(data))
    _, found = lint(files, tmp_path / "cache")
    # The forged entry is refused; the index the run kept (checked by its own HMAC) serves.
    assert builds == [1] and found


def test_scans_of_an_earlier_version_or_damaged_are_rebuilt(tmp_path: Path, reads: List[str],
                                                              builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    # A cache of the previous version: the index scans inside the sources table, no indexes.
    results = tmp_path / "cache" / "results-v1.json"
    data = json.loads(results.read_text())
    del data["indexes"]
    for entry in data["sources"].values():
        entry["scan"] = {"factories": [], "facts": None}
    results.write_text(json.dumps(data))
    (tmp_path / "cache" / "scans-v1.json").write_text("{not json")
    (tmp_path / "cache" / "index-v1.pickle").unlink()  # no kept index either
    write(files[2], USES_FACTORY + "\n")
    reads.clear()
    report, found = lint(files, tmp_path / "cache")
    assert sorted(reads) == ["__init__.py", "db.py", "views.py"] and found == cold
    assert report.warnings == [f"the cache {tmp_path / 'cache' / 'scans-v1.json'} is unreadable "
                               "(not JSON: Expecting property name enclosed in double quotes: line 1 column 2 "
                               "(char 1)); it is discarded"]
    reads.clear()
    lint(files, tmp_path / "cache")
    assert reads == []


def test_other_rules_over_the_same_files_load_the_kept_index(tmp_path: Path, reads: List[str],
                                                             builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    reads.clear()
    report = lint_files(files, BUILTIN_RULES, Settings(), jobs=1, cache=ResultCache(tmp_path / "cache"),
                        rule_versions="plugin 2.0")  # every result misses: each file is linted again
    assert builds == [1] and report.files_from_cache == 0
    assert [(Path(d.filename).name, d.code) for d in report.diagnostics] == cold


def test_a_damaged_kept_index_is_not_unpickled(tmp_path: Path, builds: List[int], monkeypatch) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    kept = tmp_path / "cache" / "index-v1.pickle"
    data = kept.read_bytes()
    kept.write_bytes(data[:-8] + b"\x80\x04garbage"[:8])
    import pickle

    monkeypatch.setattr(pickle, "loads", lambda *args, **kwargs: pytest.fail("unpickled a damaged index"))
    report = lint_files(files, BUILTIN_RULES, Settings(), jobs=1, cache=ResultCache(tmp_path / "cache"),
                        rule_versions="plugin 2.0")
    assert builds == [1, 1] and report.warnings == []
    assert [(Path(d.filename).name, d.code) for d in report.diagnostics] == cold


def _plugin_project(tmp_path: Path, monkeypatch) -> Path:
    from session_lint import flake8_plugin

    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    write(root / "app" / "__init__.py", "")
    write(root / "app" / "db.py", FACTORY)
    write(root / "app" / "views.py", USES_FACTORY)
    monkeypatch.setattr(flake8_plugin, "_settings", None)
    monkeypatch.setattr(flake8_plugin, "_index", None)
    return root


def test_the_flake8_plugin_finds_the_project_root_as_the_cli_does(tmp_path: Path, monkeypatch) -> None:
    from session_lint import flake8_plugin

    root = _plugin_project(tmp_path, monkeypatch)
    monkeypatch.chdir(root / "app")  # flake8 started in a subdirectory of the project
    assert flake8_plugin._analysis_settings().root == root.resolve()


def test_flake8_workers_share_one_kept_index(tmp_path: Path, monkeypatch) -> None:
    from session_lint import flake8_plugin
    from session_lint.project_index import ProjectIndex

    root = _plugin_project(tmp_path, monkeypatch)
    monkeypatch.chdir(root)
    scans: List[int] = []
    real = ProjectIndex.scan.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(ProjectIndex, "scan", classmethod(lambda cls, *a, **k: scans.append(1) or real(cls, *a, **k)))
    first = flake8_plugin._scan_project()  # the first worker builds it and keeps it
    second = flake8_plugin._scan_project()  # the next one loads it
    assert scans == [1] and [info.name for info in second.factories()] == ["SessionLocal"]
    assert second.fingerprint() == first.fingerprint()
    assert (root / ".session_lint_cache" / "index-v1.pickle").is_file()
    write(root / "app" / "db.py", "SessionLocal = None\n")  # another state: built again
    assert flake8_plugin._scan_project().factories() == [] and scans == [1, 1]


def test_an_edit_that_scans_the_same_keeps_the_index(tmp_path: Path, reads: List[str], builds: List[int]) -> None:
    files = _project(tmp_path)
    _, cold = lint(files, tmp_path / "cache")
    write(files[2], USES_FACTORY + "# a comment at the end: the same factories and facts\n")
    reads.clear()
    report, found = lint(files, tmp_path / "cache")
    assert reads == ["views.py"] and builds == [1] and found == cold and report.files_from_cache == 2


def test_files_scanned_only_for_the_index_are_not_looked_up_when_nothing_changed(
        tmp_path: Path, reads: List[str], builds: List[int], monkeypatch) -> None:
    files = _project(tmp_path)
    _, cold = lint([files[2]], tmp_path / "cache", index_also=files[:2])
    looked_up: List[str] = []
    real = ResultCache.known_source

    def known_source(self, filename, status, scanner):
        looked_up.append(Path(filename).name)
        return real(self, filename, status, scanner)

    monkeypatch.setattr(ResultCache, "known_source", known_source)
    reads.clear()
    _, warm = lint([files[2]], tmp_path / "cache", index_also=files[:2])
    # Their statuses make the state; their digests and scans are not needed.
    assert (reads, looked_up, builds, warm) == ([], ["views.py"], [1], cold)
