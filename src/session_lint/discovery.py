"""Which files to lint: recurse into directories, honour excludes and .gitignore."""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pathspec

from .settings import Settings


@dataclass
class Discovery:
    files: List[Path] = field(default_factory=list)
    # (path, problem) for arguments that cannot be linted: missing paths, loops. Exit code 2.
    problems: List[Tuple[str, str]] = field(default_factory=list)
    # (path, note) met while walking a directory: broken links, link loops. Reported only.
    warnings: List[Tuple[str, str]] = field(default_factory=list)


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    # GitIgnoreSpec follows git's own matching rules (and avoids the deprecated
    # "gitwildmatch" factory name of pathspec 1.x).
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


class _GitIgnores:
    """Stacks the .gitignore files met on the way down, each anchored at its own directory."""

    def __init__(self) -> None:
        self._cache: Dict[Path, Optional[pathspec.PathSpec]] = {}

    def spec_for(self, directory: Path) -> Optional[pathspec.PathSpec]:
        if directory not in self._cache:
            ignore_file = directory / ".gitignore"
            spec = None
            if ignore_file.is_file():
                try:
                    spec = _spec(ignore_file.read_text(encoding="utf-8", errors="replace").splitlines())
                except (OSError, ValueError):
                    spec = None
            self._cache[directory] = spec
        return self._cache[directory]

    def ignored(self, path: Path, is_dir: bool, anchors: Sequence[Path]) -> bool:
        for anchor in anchors:
            spec = self.spec_for(anchor)
            if spec is None:
                continue
            try:
                relative = path.relative_to(anchor).as_posix() + ("/" if is_dir else "")
            except ValueError:
                continue
            if spec.match_file(relative):
                return True
        return False


def _git_anchors(start: Path) -> List[Path]:
    """Directories above `start`, up to the repository root, whose .gitignore applies."""
    anchors: List[Path] = []
    for directory in (start, *start.parents):
        anchors.append(directory)
        if (directory / ".git").exists():
            return list(reversed(anchors))
    return [start]  # outside a repository: only .gitignore files inside the tree apply


def collect_files(arguments: Sequence[str], settings: Settings) -> Discovery:
    discovery = Discovery()
    excludes = _spec(settings.exclude + settings.extend_exclude)
    gitignores = _GitIgnores()
    seen: set = set()

    def excluded(path: Path, is_dir: bool) -> bool:
        try:
            relative = path.resolve().relative_to(settings.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        suffix = "/" if is_dir else ""
        return excludes.match_file(relative + suffix) or excludes.match_file(path.name + suffix)

    for argument in arguments:
        path = Path(argument)
        if not os.path.lexists(path):
            discovery.problems.append((argument, "no such file or directory"))
            continue
        link_problem = _link_problem(path)
        if link_problem is not None:
            discovery.problems.append((argument, link_problem))
            continue
        if path.is_dir():
            anchors = _git_anchors(path.resolve()) if settings.respect_gitignore else []
            if anchors and gitignores.ignored(path.resolve(), True, anchors[:-1]):
                # Naming an ignored directory (a cache of downloaded sources, a vendored
                # tree) asks for it, as ruff does: the .gitignore files above it no longer
                # apply, the ones inside it still do.
                anchors = anchors[-1:]
            _walk(path, discovery, excluded, gitignores, anchors, settings.respect_gitignore, seen)
        else:
            # A file named on the command line is always linted, whatever its name or excludes.
            _add(path, discovery, seen)
    return discovery


def _link_problem(path: Path) -> Optional[str]:
    if not path.is_symlink():
        return None
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
        return "broken symbolic link (its target does not exist)"
    return None


def _add(path: Path, discovery: Discovery, seen: set) -> None:
    key = os.path.normcase(os.path.abspath(path))
    if key not in seen:
        seen.add(key)
        discovery.files.append(path)


def _walk(root: Path, discovery: Discovery, excluded, gitignores: _GitIgnores, anchors: List[Path],
          respect_gitignore: bool, seen: set) -> None:
    visited_dirs: set = set()
    stack: List[Tuple[Path, List[Path]]] = [(root, anchors)]
    while stack:
        directory, dir_anchors = stack.pop()
        try:
            real = directory.resolve()
        except (OSError, RuntimeError):
            discovery.problems.append((str(directory), "symbolic link loop"))
            continue
        if real in visited_dirs:
            # A link back into the tree: each real directory is walked once.
            discovery.warnings.append((str(directory), "symbolic link loop: already searched, not followed again"))
            continue
        visited_dirs.add(real)
        if respect_gitignore and dir_anchors and dir_anchors[-1] != real:
            dir_anchors = dir_anchors + [real]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            discovery.problems.append((str(directory), f"cannot list directory: {error.strerror or error}"))
            continue
        subdirectories: List[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = entry.is_file()
            except OSError as error:
                # A link loop (l1.py -> l2.py -> l1.py) raises here, unlike a broken link.
                if entry.name.endswith(".py"):
                    problem = "symbolic link loop" if error.errno == errno.ELOOP else (error.strerror or str(error))
                    discovery.warnings.append((str(path), f"{problem}; skipped"))
                continue
            if not is_dir and not is_file:
                if entry.is_symlink() and entry.name.endswith(".py"):
                    problem = _link_problem(path) or "not a regular file"
                    discovery.warnings.append((str(path), f"{problem}; skipped"))
                continue
            if excluded(path, is_dir):
                continue
            if respect_gitignore and gitignores.ignored(real / entry.name, is_dir, dir_anchors):
                continue
            if is_dir:
                subdirectories.append(path)
            elif entry.name.endswith(".py"):
                _add(path, discovery, seen)
        for subdirectory in reversed(subdirectories):
            stack.append((subdirectory, dir_anchors))


# A project root is where the configuration or the repository starts; without one (say, a
# run from the home directory) the walk for session factories would have no sensible end.
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", ".flake8", ".git")
MAX_INDEX_FILES = 20000


def project_files(settings: Settings, linted: Sequence[Path] = (), arguments: Sequence[str] = ()) -> List[Path]:
    """The project's other Python files, whose module-level session factories the linted
    files may import (`from app.db import SessionLocal`). Scanned for the index, not linted;
    empty when the root is not a project root, the linted files lie outside it, or one of
    the `arguments` (the paths asked for) already covers the whole root."""
    root = settings.root
    if not any((root / marker).exists() for marker in _PROJECT_MARKERS):
        return []
    try:
        if any(root.is_relative_to(Path(argument).resolve()) for argument in arguments):
            return []  # `session-lint .`: every file of the project is linted anyway
        if any(not path.resolve().is_relative_to(root) for path in linted):
            return []
    except (OSError, RuntimeError):
        return []
    found = collect_files([str(root)], settings).files
    return found[:MAX_INDEX_FILES]
