"""The pre-commit hook (`.pre-commit-hooks.yaml`, id `session-lint`) as a user meets it.

`pre-commit try-repo` clones the hook repository at a commit. It carries uncommitted edits
of tracked files over into a shadow clone, but never untracked files: a new rule module or
a new `.pre-commit-hooks.yaml` that is not yet committed would be missing. So the test
commits a snapshot of the working tree (tracked and untracked, minus ignored files) into a
repository of its own and points try-repo at that: it checks the code as it is on disk.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

BAD = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""
CLEAN = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
        session.commit()
"""
# Caches and build output of a checkout that is not a git repository (an unpacked sdist).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".venv", "venv",
    ".pytest_cache", ".hypothesis", ".session_lint_cache", ".corpus-cache", ".cache",
)


def git_environment() -> Dict[str, str]:
    # GIT_DIR, GIT_INDEX_FILE... are set when the suite itself runs inside a git hook; they
    # would point every git command below at the outer repository.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com")
    return env


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, env=git_environment(), capture_output=True, text=True,
    )
    assert completed.returncode == 0, f"git {' '.join(args)} failed: {completed.stderr}"
    return completed.stdout


def source_files(root: Path) -> List[str]:
    """Files of the working tree that git would not ignore; empty outside a git checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, env=git_environment(), capture_output=True,
    )
    if listed.returncode != 0:
        return []
    return [name for name in listed.stdout.decode().split("\0") if name]


def snapshot(root: Path, target: Path) -> None:
    names = source_files(root)
    if names:
        for name in names:
            source = root / name
            # Tracked but deleted in the working tree: the snapshot follows the disk.
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(root, target, ignore=NOT_SOURCE, dirs_exist_ok=True)
    git(target, "init", "--quiet")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "--no-verify", "-m", "snapshot of the working tree")


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repository = tmp_path_factory.mktemp("hook-repository")
    snapshot(ROOT, repository)
    return repository


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # try-repo installs the hook environment into a store of its own that it deletes
    # afterwards (so each run pays for `pip install`); PRE_COMMIT_HOME only keeps anything
    # else pre-commit writes out of the user's home.
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repository: Path, pre_commit_home: Path, project: Path, content: str) -> subprocess.CompletedProcess:
    project.mkdir()
    git(project, "init", "--quiet")
    (project / "app.py").write_text(content)
    git(project, "add", "app.py")
    env = git_environment()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env.pop("PRE_COMMIT", None)
    env.pop("SKIP", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repository), "session-lint",
         "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )


def test_hook_fails_on_a_finding(hook_repository: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    completed = try_repo(hook_repository, pre_commit_home, tmp_path / "project", BAD)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "- hook id: session-lint" in output
    assert "app.py:6:9: ORM101 `session.add()` is never committed" in output


def test_hook_passes_on_a_clean_file(hook_repository: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    completed = try_repo(hook_repository, pre_commit_home, tmp_path / "project", CLEAN)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "session-lint" in output and "Passed" in output
