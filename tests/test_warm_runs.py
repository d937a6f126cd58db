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
