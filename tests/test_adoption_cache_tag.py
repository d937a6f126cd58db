"""The results cache directory carries a CACHEDIR.TAG (https://bford.info/cachedir/), so
backup tools (`tar --exclude-caches`, borg, restic) skip it."""
from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from session_lint.cache import ResultCache
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings
from tests.conftest import cli_project, run_cli

BAD = """\
from sqlalchemy.orm import Session

def create(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""
SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


def lint_with_cache(path: Path, cache_dir: Path) -> None:
    lint_files([path], BUILTIN_RULES, Settings(), jobs=1, cache=ResultCache(cache_dir, key=b"k" * 32))


def test_a_new_cache_directory_is_tagged(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    lint_with_cache(tmp_path / "a.py", tmp_path / "cache")
    tag = (tmp_path / "cache" / "CACHEDIR.TAG").read_bytes()
    # The standard: the first 43 bytes are exactly the signature; comments may follow.
    assert tag.startswith(SIGNATURE.encode("ascii") + b"\n")
    assert b"https://bford.info/cachedir/" in tag


def test_a_cache_made_before_the_tag_existed_gets_it_on_its_next_write(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    lint_with_cache(tmp_path / "a.py", tmp_path / "cache")
    os.unlink(tmp_path / "cache" / "CACHEDIR.TAG")
    (tmp_path / "a.py").write_text(BAD + "\n")  # a change, so that the run writes the cache
    lint_with_cache(tmp_path / "a.py", tmp_path / "cache")
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text().startswith(SIGNATURE)


def test_a_tag_someone_wrote_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "CACHEDIR.TAG").write_text(SIGNATURE + "\n# mine\n")
    (tmp_path / "a.py").write_text(BAD)
    lint_with_cache(tmp_path / "a.py", tmp_path / "cache")
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text() == SIGNATURE + "\n# mine\n"


def test_a_tag_that_is_a_symbolic_link_makes_the_cache_unused(tmp_path: Path, monkeypatch, capsys) -> None:
    # Written through a planted link, the tag would land outside the tree.
    (tmp_path / "p").mkdir()
    project = cli_project(tmp_path / "p", monkeypatch, {"a.py": BAD})
    (project / ".session_lint_cache").mkdir()
    (project / ".session_lint_cache" / "CACHEDIR.TAG").symlink_to(tmp_path / "elsewhere")
    code, _, err = run_cli(["a.py"], capsys)
    assert code == 1
    assert "holds a symbolic link (CACHEDIR.TAG); it is not used" in err
    assert not (tmp_path / "elsewhere").exists()


def test_tar_exclude_caches_skips_the_cache_of_a_cli_run(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "p").mkdir()
    project = cli_project(tmp_path / "p", monkeypatch, {"a.py": BAD})
    assert run_cli(["a.py"], capsys)[0] == 1
    assert (project / ".session_lint_cache" / "CACHEDIR.TAG").is_file()
    tar = shutil.which("tar")
    if tar is None:
        pytest.skip("no tar")
    archive = tmp_path / "backup.tar"
    completed = subprocess.run([tar, "--exclude-caches", "-cf", str(archive), "p"], cwd=tmp_path,
                               capture_output=True, text=True)
    if completed.returncode != 0 and "exclude-caches" in completed.stderr:
        pytest.skip("this tar has no --exclude-caches (not GNU tar)")
    assert completed.returncode == 0, completed.stderr
    with tarfile.open(archive) as opened:
        kept = opened.getnames()
    # GNU tar keeps the tag file itself and drops everything else of the tagged directory.
    assert "p/a.py" in kept
    assert [name for name in kept if ".session_lint_cache/" in name] == ["p/.session_lint_cache/CACHEDIR.TAG"]
