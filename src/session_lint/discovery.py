"""Which files to lint: recurse into directories, honour excludes and .gitignore."""
from __future__ import annotations

import errno
import inspect
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import pathspec

from .engine import MAX_FILE_BYTES, not_a_regular_file, read_source
from .settings import Settings

try:  # pathspec >= 1.0
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as _GitPattern
except ImportError:  # pragma: no cover - pathspec 0.10 to 0.12
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern as _GitPattern


@dataclass
class Discovery:
    files: List[Path] = field(default_factory=list)
    # (path, problem) for arguments that cannot be linted: missing paths, loops. Exit code 2.
    problems: List[Tuple[str, str]] = field(default_factory=list)
    # (path, note) met while walking a directory: broken links, link loops. Reported only.
    warnings: List[Tuple[str, str]] = field(default_factory=list)


# -- gitignore matching in bounded time ---------------------------------------------------------------
# pathspec turns each `*` of a pattern into `[^/]*`; with several in one path segment,
# Python's backtracking regex engine tries every way to split a name that does not match:
# `*a*a*a*a*a*a*b` takes 5 s per 60-character name. Every `*` but the segment's last one
# can instead commit to the earliest place where the text after it matches (an atomic
# group, spelled as a lookahead and a backreference for Python < 3.11). That is exact, not
# an approximation, when what lies between two stars is a fixed run of characters none of
# which can be a `/`: matching it as early as possible only leaves more room for the rest.
_STAR = "[^/]*"
_ANY_BUT_SLASH = "[^/]"
_REGEX_SPECIALS = frozenset(".^$*+?{}[]\\|()/")
# pathspec >= 1.0 picks re2 or hyperscan when installed; neither knows backreferences.
_SIMPLE_BACKEND = ({"backend": "simple"}
                   if "backend" in inspect.signature(pathspec.GitIgnoreSpec.from_lines).parameters else {})


def _regex_atoms(regex: str) -> Optional[List[str]]:
    """`regex` cut into escapes, bracket expressions (with any quantifier) and single
    characters; None if it cannot be cut (then it is used as it is)."""
    atoms: List[str] = []
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            atoms.append(regex[index:index + 2])
            index += 2
        elif char == "[":
            end = index + 1
            if regex[end:end + 1] == "^":
                end += 1
            if regex[end:end + 1] == "]":
                end += 1
            while end < len(regex) and regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            if end >= len(regex):
                return None
            end += 1
            if regex[end:end + 1] in ("*", "+", "?"):
                end += 1
            atoms.append(regex[index:end])
            index = end
        else:
            atoms.append(char)
            index += 1
    return atoms


def _fixed_character(atom: str) -> bool:
    """One character of a name, never `/`: a literal, an escaped literal, a `?`, or a
    bracket expression that cannot match `/`."""
    if atom == _ANY_BUT_SLASH:
        return True
    if len(atom) == 2 and atom[0] == "\\":
        return not atom[1].isalnum() and atom[1] != "/"
    if atom.startswith("[") and atom.endswith("]"):
        return _class_without_slash(atom[1:-1])
    return len(atom) == 1 and atom not in _REGEX_SPECIALS


def _class_without_slash(body: str) -> bool:
    """Can the bracket expression `[body]` never match `/`? Only simple ones are judged."""
    negated = body.startswith("^")
    members: List[str] = []
    index = 1 if negated else 0
    while index < len(body):
        if body[index] == "\\":
            if index + 1 >= len(body) or body[index + 1].isalnum():
                return False  # `\d`, `\w`: a class of classes
            members.append(body[index + 1])
            index += 2
        else:
            members.append(body[index])
            index += 1
    if negated:
        return "/" in members and "-" not in members  # `[^/]`, `[^a/]`
    for position in range(1, len(members) - 1):  # a range such as `!-0` holds `/`
        if members[position] == "-" and members[position - 1] <= "/" <= members[position + 1]:
            return False
    return "/" not in members


def bounded_regex(regex: str) -> str:
    """pathspec's `regex` for one gitignore pattern, with the stars that can backtrack
    made atomic (see above); the same language, matched in polynomial time."""
    atoms = _regex_atoms(regex)
    if atoms is None or regex.count(_STAR) < 2:
        return regex
    out: List[str] = []
    run: List[str] = []  # stars and fixed characters since the last other atom
    groups = 0

    def flush() -> None:
        nonlocal groups
        stars = [position for position, atom in enumerate(run) if atom == _STAR]
        out.extend(run[: stars[0]] if stars else run)
        for number, start in enumerate(stars):
            end = stars[number + 1] if number + 1 < len(stars) else len(run)
            piece = "".join(run[start + 1:end])
            if number + 1 == len(stars):
                out.append(_STAR + piece)  # the last star keeps its freedom
            elif piece:
                name = f"_sl{groups}"
                groups += 1
                out.append(f"(?=(?P<{name}>{_STAR}?{piece}))(?P={name})")
            # else: `[^/]*[^/]*` is one star
        run.clear()

    for atom in atoms:
        if atom == _STAR or _fixed_character(atom):
            run.append(atom)
        else:
            flush()
            out.append(atom)
    flush()
    return "".join(out)


def _bounded_pattern(line: str) -> pathspec.Pattern:
    pattern = _GitPattern(line)
    if pattern.regex is not None:
        rewritten = bounded_regex(pattern.regex.pattern)
        if rewritten != pattern.regex.pattern:
            pattern.regex = re.compile(rewritten)
    return pattern


# What pathspec raises for a pattern it cannot use: GitIgnorePatternError (a ValueError) for
# `!` or `\`, re.error for a reversed range such as `[z-a]`.
INVALID_PATTERN = (ValueError, re.error)


def gitignore_spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    """Git's matching rules (pathspec's GitIgnoreSpec) in bounded time. Raises one of
    INVALID_PATTERN for a pattern pathspec cannot use."""
    with warnings.catch_warnings():
        # re's FutureWarning for a `[[` in a pattern would be a stray line on stderr.
        warnings.simplefilter("ignore", FutureWarning)
        return pathspec.GitIgnoreSpec.from_lines(list(patterns), _bounded_pattern, **_SIMPLE_BACKEND)


def _valid_lines(lines: Sequence[str]) -> List[str]:
    """The lines of a .gitignore that pathspec can use; git skips the invalid ones (`!`)
    and matches nothing with a reversed range (`[z-a]`)."""
    valid = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for line in lines:
            try:
                _GitPattern(line)
            except INVALID_PATTERN:
                continue
            valid.append(line)
    return valid


class _GitIgnores:
    """The .gitignore files met on the way down, each anchored at its own directory."""

    def __init__(self, warn: Callable[[str, str], None]) -> None:
        self._cache: Dict[Path, Optional[pathspec.PathSpec]] = {}
        self._warn = warn

    def spec_for(self, directory: Path) -> Optional[pathspec.PathSpec]:
        if directory not in self._cache:
            self._cache[directory] = self._load(directory / ".gitignore")
        return self._cache[directory]

    def _load(self, ignore_file: Path) -> Optional[pathspec.PathSpec]:
        try:
            data = read_source(ignore_file)
        except OSError:
            return None  # none there, a directory, unreadable: git would not use it either
        if len(data) > MAX_FILE_BYTES:
            self._warn(str(ignore_file), f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB; not applied")
            return None
        lines = data.decode("utf-8", errors="replace").splitlines()
        try:
            return gitignore_spec(lines)
        except INVALID_PATTERN:
            return gitignore_spec(_valid_lines(lines))

    def matchers(self, real_directory: Path, anchors: Sequence[Path]) -> List[Tuple[pathspec.PathSpec, str]]:
        """(spec, prefix) pairs for the entries of `real_directory`: the prefix turns an
        entry's name into its path relative to the anchor of the spec. Worked out once per
        directory, not once per file."""
        found = []
        for anchor in anchors:
            spec = self.spec_for(anchor)
            if spec is None:
                continue
            try:
                relative = real_directory.relative_to(anchor).as_posix()
            except ValueError:
                continue
            found.append((spec, "" if relative == "." else relative + "/"))
        return found


def _ignored(matchers: Sequence[Tuple[pathspec.PathSpec, str]], name: str) -> bool:
    return any(spec.match_file(prefix + name) for spec, prefix in matchers)


def _exists(path: Path) -> bool:
    return os.path.lexists(path)  # never raises, unlike Path.exists() on EACCES


def _git_anchors(start: Path) -> List[Path]:
    """Directories above `start`, up to the repository root, whose .gitignore applies."""
    anchors: List[Path] = []
    for directory in (start, *start.parents):
        anchors.append(directory)
        if _exists(directory / ".git"):
            return list(reversed(anchors))
    return [start]  # outside a repository: only .gitignore files inside the tree apply


def _resolve(path: Path) -> Optional[Path]:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return None


class _Walker:
    """Collects the files of the arguments, sharing what the walks of several arguments
    have in common: the files seen, the .gitignore files read, the optional cap."""

    def __init__(self, settings: Settings, discovery: Discovery, limit: Optional[int]) -> None:
        self.settings = settings
        self.discovery = discovery
        self.limit = limit
        self.root = Path(os.path.realpath(settings.root))
        self.excludes = gitignore_spec(settings.exclude + settings.extend_exclude)
        self.gitignores = _GitIgnores(lambda path, note: discovery.warnings.append((path, note)))
        self.seen: Set[str] = set()

    def full(self) -> bool:
        return self.limit is not None and len(self.discovery.files) >= self.limit

    def add(self, path: Path) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in self.seen:
            self.seen.add(key)
            self.discovery.files.append(path)

    def _excluded(self, prefix: str, name: str, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        return self.excludes.match_file(prefix + name + suffix) or self.excludes.match_file(name + suffix)

    def _prefix(self, real_directory: Path, directory: Path) -> str:
        """What turns an entry's name into the path that excludes are matched against:
        relative to the project root when inside it, else the path as walked."""
        try:
            relative = real_directory.relative_to(self.root).as_posix()
        except ValueError:
            relative = directory.as_posix()
        return "" if relative == "." else relative + "/"

    def walk(self, top: Path) -> None:
        settings, discovery = self.settings, self.discovery
        real_top = _resolve(top)
        if real_top is None:
            discovery.problems.append((str(top), "symbolic link loop"))
            return
        anchors = _git_anchors(real_top) if settings.respect_gitignore else []
        if len(anchors) > 1 and _ignored(self.gitignores.matchers(real_top.parent, anchors[:-1]),
                                         real_top.name + "/"):
            # Naming an ignored directory (a cache of downloaded sources, a vendored
            # tree) asks for it, as ruff does: the .gitignore files above it no longer
            # apply, the ones inside it still do.
            anchors = anchors[-1:]
        # Links met on the way are followed while they stay inside the project or inside
        # what was asked for; a committed `rootfs -> /` must not walk the file system.
        bounds = (self.root, real_top)
        visited: Set[Path] = set()
        stack: List[Tuple[Path, List[Path]]] = [(top, anchors)]
        while stack and not self.full():
            directory, dir_anchors = stack.pop()
            real = _resolve(directory)
            if real is None:
                discovery.problems.append((str(directory), "symbolic link loop"))
                continue
            if real in visited:
                # A link back into the tree: each real directory is walked once.
                discovery.warnings.append((str(directory), "symbolic link loop: already searched, not followed again"))
                continue
            visited.add(real)
            if settings.respect_gitignore and dir_anchors and dir_anchors[-1] != real:
                dir_anchors = dir_anchors + [real]
            subdirectories = self._list(directory, real, dir_anchors, bounds)
            for subdirectory in reversed(subdirectories):
                stack.append((subdirectory, dir_anchors))

    def _list(self, directory: Path, real: Path, anchors: List[Path], bounds: Tuple[Path, ...]) -> List[Path]:
        """Adds the Python files of `directory`; returns its subdirectories to walk."""
        discovery = self.discovery
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            discovery.problems.append((str(directory), f"cannot list directory: {error.strerror or error}"))
            return []
        if entries:
            try:
                # A directory that can be read but not searched (`chmod 644`) lists its
                # names, yet nothing in it can be opened: one line, not one per file.
                os.stat(os.path.join(directory, os.curdir))
            except OSError as error:
                discovery.problems.append((str(directory), f"cannot enter directory: {error.strerror or error}"))
                return []
        prefix = self._prefix(real, directory)
        matchers = self.gitignores.matchers(real, anchors) if self.settings.respect_gitignore else []
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
            if self._excluded(prefix, entry.name, is_dir):
                continue
            if matchers and _ignored(matchers, entry.name + ("/" if is_dir else "")):
                continue
            if is_dir:
                if entry.is_symlink():
                    target = Path(os.path.realpath(path))
                    if not any(_within(target, bound) for bound in bounds):
                        discovery.warnings.append(
                            (str(path), f"symbolic link to a directory outside the project ({target}); not followed"))
                        continue
                subdirectories.append(path)
            elif entry.name.endswith(".py"):
                self.add(path)
                if self.full():
                    return []
        return subdirectories


def _within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def collect_files(arguments: Sequence[str], settings: Settings, limit: Optional[int] = None) -> Discovery:
    """The files to lint for `arguments`; with `limit`, the walk stops once that many are found."""
    discovery = Discovery()
    walker = _Walker(settings, discovery, limit)
    for argument in arguments:
        if walker.full():
            break
        path = Path(argument)
        if not os.path.lexists(path):
            discovery.problems.append((argument, "no such file or directory"))
            continue
        link_problem = _link_problem(path)
        if link_problem is not None:
            discovery.problems.append((argument, link_problem))
            continue
        try:
            mode = os.stat(path).st_mode
        except OSError:
            walker.add(path)  # reading it says what is wrong, in one line
            continue
        if stat.S_ISDIR(mode):
            walker.walk(path)
        elif stat.S_ISREG(mode):
            # A file named on the command line is always linted, whatever its name or excludes.
            walker.add(path)
        else:
            # A named pipe would block the run, /dev/zero would never end.
            discovery.problems.append((argument, not_a_regular_file(mode)))
    return discovery


def _link_problem(path: Path) -> Optional[str]:
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
        return "broken symbolic link (its target does not exist)"
    return None


# A project root is where the configuration or the repository starts; without one (say, a
# run from the home directory) the walk for session factories would have no sensible end.
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", ".flake8", ".git")
MAX_INDEX_FILES = 20000


def project_files(settings: Settings, linted: Sequence[Path] = (), arguments: Sequence[str] = ()) -> List[Path]:
    """The project's other Python files, whose module-level session factories the linted
    files may import (`from app.db import SessionLocal`). Scanned for the index, not linted;
    empty when the root is not a project root, the linted files lie outside it, or one of
    the `arguments` (the paths asked for) already covers the whole root. At most
    MAX_INDEX_FILES: the walk stops there rather than list a huge tree to use part of it."""
    root = settings.root
    if not any(_exists(root / marker) for marker in _PROJECT_MARKERS):
        return []
    try:
        if any(root.is_relative_to(Path(argument).resolve()) for argument in arguments):
            return []  # `session-lint .`: every file of the project is linted anyway
        if any(not path.resolve().is_relative_to(root) for path in linted):
            return []
    except (OSError, RuntimeError):
        return []
    found = collect_files([str(root)], settings, limit=MAX_INDEX_FILES).files
    return found[:MAX_INDEX_FILES]
