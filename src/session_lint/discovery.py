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
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from .config import PROJECT_MARKERS
from .engine import MAX_FILE_BYTES, not_a_regular_file, read_source
from .path_text import path_of
from .settings import Settings

if TYPE_CHECKING:
    import pathspec


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
_PATHSPEC: Dict[str, Any] = {}


def _pathspec() -> Dict[str, Any]:
    """pathspec, its gitignore pattern class and the options that pick its backend, loaded
    by the first walk (`session-lint --version` does not need them)."""
    if not _PATHSPEC:
        import pathspec

        try:  # pathspec >= 1.0
            from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as pattern
        except ImportError:  # pragma: no cover - pathspec 0.10 to 0.12
            from pathspec.patterns.gitwildmatch import GitWildMatchPattern as pattern
        # pathspec >= 1.0 picks re2 or hyperscan when installed; neither knows backreferences.
        backend = {"backend": "simple"} if "backend" in inspect.signature(
            pathspec.GitIgnoreSpec.from_lines).parameters else {}
        _PATHSPEC.update(module=pathspec, pattern=pattern, backend=backend)
    return _PATHSPEC


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
    pattern = _pathspec()["pattern"](line)
    if pattern.regex is not None:
        rewritten = bounded_regex(pattern.regex.pattern)
        if rewritten != pattern.regex.pattern:
            pattern.regex = re.compile(rewritten)
    return pattern


# What pathspec raises for a pattern it cannot use: GitIgnorePatternError (a ValueError) for
# `!` or `\`, re.error for a reversed range such as `[z-a]`.
INVALID_PATTERN = (ValueError, re.error)


class _NameExcludes:
    """Excludes that are all plain names (`build`, `.git`) or a star and a suffix
    (`*.egg-info`), none negated, as the defaults are: each matches any file or directory
    of that name at any depth, so an entry is excluded when its name or one of the
    directories above it (within the path matched) is such a name. Answers what the
    gitignore spec answers for them without running its patterns per entry (2 matches of
    17 patterns for each of 100,000 entries took 4.5 s)."""

    _PLAIN = re.compile(r"[A-Za-z0-9_.-]+\Z")

    def __init__(self, names: Set[str], suffixes: Tuple[str, ...]) -> None:
        self.names = names
        self.suffixes = suffixes
        self._prefixes: Dict[str, bool] = {}

    @classmethod
    def of(cls, patterns: Sequence[str]) -> Optional["_NameExcludes"]:
        names: Set[str] = set()
        suffixes: List[str] = []
        for pattern in patterns:
            if cls._PLAIN.match(pattern) and pattern not in (".", ".."):
                names.add(pattern)
            elif pattern.startswith("*") and cls._PLAIN.match(pattern[1:]):
                suffixes.append(pattern[1:])
            else:
                return None  # a path, a glob, a negation: the gitignore spec decides
        return cls(names, tuple(suffixes))

    def _hit(self, part: str) -> bool:
        return part in self.names or (bool(self.suffixes) and part.endswith(self.suffixes))

    def excluded(self, prefix: str, name: str) -> bool:
        if self._hit(name):
            return True
        known = self._prefixes.get(prefix)
        if known is None:
            known = any(self._hit(part) for part in prefix.split("/") if part)
            self._prefixes[prefix] = known
        return known


def gitignore_spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    """Git's matching rules (pathspec's GitIgnoreSpec) in bounded time. Raises one of
    INVALID_PATTERN for a pattern pathspec cannot use."""
    with warnings.catch_warnings():
        # re's FutureWarning for a `[[` in a pattern would be a stray line on stderr.
        warnings.simplefilter("ignore", FutureWarning)
        loaded = _pathspec()
        return loaded["module"].GitIgnoreSpec.from_lines(list(patterns), _bounded_pattern, **loaded["backend"])


def _valid_lines(lines: Sequence[str]) -> List[str]:
    """The lines of a .gitignore that pathspec can use; git skips the invalid ones (`!`)
    and matches nothing with a reversed range (`[z-a]`)."""
    valid = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for line in lines:
            try:
                _pathspec()["pattern"](line)
            except INVALID_PATTERN:
                continue
            valid.append(line)
    return valid


class _GitIgnores:
    """The .gitignore files met on the way down, each anchored at its own directory (a
    real path, as a string)."""

    def __init__(self, warn: Callable[[str, str], None]) -> None:
        self._cache: Dict[str, Optional[pathspec.PathSpec]] = {}
        self._warn = warn

    def absent(self, directory: str) -> None:
        """`directory` was listed and holds no .gitignore: no need to look for one."""
        self._cache.setdefault(directory, None)

    def spec_for(self, directory: str) -> Optional[pathspec.PathSpec]:
        if directory not in self._cache:
            self._cache[directory] = self._load(os.path.join(directory, ".gitignore"))
        return self._cache[directory]

    def _load(self, ignore_file: str) -> Optional[pathspec.PathSpec]:
        try:
            data = read_source(ignore_file)
        except OSError:
            return None  # none there, a directory, unreadable: git would not use it either
        if len(data) > MAX_FILE_BYTES:
            self._warn(ignore_file, f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB; not applied")
            return None
        lines = data.decode("utf-8", errors="replace").splitlines()
        try:
            return gitignore_spec(lines)
        except INVALID_PATTERN:
            return gitignore_spec(_valid_lines(lines))

    def matchers(self, real_directory: str, anchors: Sequence[str]) -> List[Tuple[pathspec.PathSpec, str]]:
        """(spec, prefix) pairs for the entries of `real_directory`: the prefix turns an
        entry's name into its path relative to the anchor of the spec. Worked out once per
        directory, not once per file."""
        found = []
        for anchor in anchors:
            spec = self.spec_for(anchor)
            if spec is None:
                continue
            relative = _relative(real_directory, anchor)
            if relative is not None:
                found.append((spec, relative))
        return found


def _relative(path: str, directory: str) -> Optional[str]:
    """`path` relative to `directory` (both real and absolute) in posix form with a
    trailing slash ("" for the directory itself); None when `path` is not inside it."""
    if path == directory:
        return ""
    head = directory if directory.endswith(os.sep) else directory + os.sep
    if not path.startswith(head):
        return None
    relative = path[len(head):]
    return (relative if os.sep == "/" else relative.replace(os.sep, "/")) + "/"


def _join(directory: str, name: str) -> str:
    """`str(Path(directory) / name)` without building paths: `directory` is already in
    that normal form (no `./` prefix, no doubled or trailing separators)."""
    if directory == os.curdir:
        return name
    if os.sep != "/":  # pragma: no cover - drive-relative forms such as `C:x`
        return str(Path(directory, name))
    return directory + name if directory.endswith("/") else directory + "/" + name


def _ignored(matchers: Sequence[Tuple[pathspec.PathSpec, str]], name: str) -> bool:
    return any(spec.match_file(prefix + name) for spec, prefix in matchers)


def _exists(path: Path) -> bool:
    return os.path.lexists(path)  # never raises, unlike Path.exists() on EACCES


def _git_anchors(start: Path) -> List[str]:
    """Directories above `start`, up to the repository root, whose .gitignore applies."""
    anchors: List[str] = []
    for directory in (start, *start.parents):
        anchors.append(str(directory))
        if _exists(directory / ".git"):
            return list(reversed(anchors))
    return [str(start)]  # outside a repository: only .gitignore files inside the tree apply


def _resolve(path: Path) -> Optional[Path]:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return None


class _Walker:
    """Collects the files of the arguments, sharing what the walks of several arguments
    have in common: the files seen, the .gitignore files read, the optional cap.

    Paths are strings while walking: a directory's real path is its parent's plus its name
    unless it is a link (then os.path.realpath), so no entry costs a resolve(); and a file
    that is not `.py` is dropped before any exclude or .gitignore pattern is tried."""

    def __init__(self, settings: Settings, discovery: Discovery, limit: Optional[int]) -> None:
        self.settings = settings
        self.discovery = discovery
        self.limit = limit
        self.root = os.path.realpath(settings.root)
        patterns = settings.exclude + settings.extend_exclude
        self.by_name = _NameExcludes.of(patterns)
        # Plain names (the defaults) need no gitignore spec: pathspec is not even imported
        # for them (11 ms of a 0.5 s run over the standard library).
        self.excludes = gitignore_spec(patterns) if self.by_name is None else None
        self.gitignores = _GitIgnores(lambda path, note: discovery.warnings.append((path, note)))
        self.seen: Set[str] = set()

    def full(self) -> bool:
        return self.limit is not None and len(self.discovery.files) >= self.limit

    def add(self, path: Path, key: Optional[str] = None) -> None:
        if key is None:
            key = os.path.normcase(os.path.abspath(path))
        if key not in self.seen:
            self.seen.add(key)
            self.discovery.files.append(path)

    def _excluded(self, prefix: str, name: str, is_dir: bool) -> bool:
        if self.by_name is not None:
            return self.by_name.excluded(prefix, name)
        suffix = "/" if is_dir else ""
        excludes = self.excludes
        assert excludes is not None  # built whenever by_name is None
        return excludes.match_file(prefix + name + suffix) or excludes.match_file(name + suffix)

    def named_excluded(self, path: Path, is_dir: bool) -> bool:
        """--force-exclude: is a path named on the command line excluded? Judged as the walk
        judges an entry (relative to the project root; its directories' patterns apply
        too, since a gitignore pattern for `build` matches `build/x.py`). The project root
        itself is never excluded: the walk for the project index names it."""
        absolute = os.path.abspath(path)
        parent, name = os.path.split(absolute)
        real_parent = os.path.realpath(parent)
        if is_dir and os.path.realpath(absolute) == self.root:
            return False
        # `_prefix` needs the parent as named, relative to the cwd, for paths outside the root.
        named_parent = os.path.dirname(os.path.normpath(str(path))) or os.curdir
        return self._excluded(self._prefix(real_parent, named_parent), name, is_dir)

    def _prefix(self, real_directory: str, directory: str) -> str:
        """What turns an entry's name into the path that excludes are matched against:
        relative to the project root when inside it, else the path as walked."""
        relative = _relative(real_directory, self.root)
        if relative is not None:
            return relative
        walked = Path(directory).as_posix()
        return "" if walked == "." else walked + "/"

    def walk(self, top: Path) -> None:
        settings, discovery = self.settings, self.discovery
        resolved_top = _resolve(top)
        if resolved_top is None:
            discovery.problems.append((str(top), "symbolic link loop"))
            return
        real_top = str(resolved_top)
        anchors = _git_anchors(resolved_top) if settings.respect_gitignore else []
        if len(anchors) > 1 and _ignored(self.gitignores.matchers(str(resolved_top.parent), anchors[:-1]),
                                         resolved_top.name + "/"):
            # Naming an ignored directory (a cache of downloaded sources, a vendored
            # tree) asks for it, as ruff does: the .gitignore files above it no longer
            # apply, the ones inside it still do.
            anchors = anchors[-1:]
        # Links met on the way are followed while they stay inside the project or inside
        # what was asked for; a committed `rootfs -> /` must not walk the file system.
        bounds = (self.root, real_top)
        visited: Set[str] = set()
        # (directory as walked, its real path, the .gitignore anchors that apply to it)
        stack: List[Tuple[str, str, List[str]]] = [(str(top), real_top, anchors)]
        while stack and not self.full():
            directory, real, dir_anchors = stack.pop()
            if real in visited:
                # A link back into the tree: each real directory is walked once.
                discovery.warnings.append((directory, "symbolic link loop: already searched, not followed again"))
                continue
            visited.add(real)
            if settings.respect_gitignore and dir_anchors and dir_anchors[-1] != real:
                dir_anchors = dir_anchors + [real]
            subdirectories = self._list(directory, real, dir_anchors, bounds)
            for subdirectory, real_subdirectory in reversed(subdirectories):
                stack.append((subdirectory, real_subdirectory, dir_anchors))

    def _list(self, directory: str, real: str, anchors: List[str],
              bounds: Tuple[str, ...]) -> List[Tuple[str, str]]:
        """Adds the Python files of `directory`; returns its subdirectories to walk, each
        with its real path."""
        discovery = self.discovery
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            discovery.problems.append((directory, f"cannot list directory: {error.strerror or error}"))
            return []
        if entries:
            try:
                # A directory that can be read but not searched (`chmod 644`) lists its
                # names, yet nothing in it can be opened: one line, not one per file.
                os.stat(os.path.join(directory, os.curdir))
            except OSError as error:
                discovery.problems.append((directory, f"cannot enter directory: {error.strerror or error}"))
                return []
        prefix = self._prefix(real, directory)
        matchers: List[Tuple[pathspec.PathSpec, str]] = []
        if self.settings.respect_gitignore:
            if not any(entry.name == ".gitignore" for entry in entries):
                self.gitignores.absent(real)
            matchers = self.gitignores.matchers(real, anchors)
        # The key under which `add` recognises a file already found, from this directory's.
        key_head = os.path.normcase(os.path.join(os.path.abspath(directory), ""))
        subdirectories: List[Tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                # A link loop (l1.py -> l2.py -> l1.py) raises here, unlike a broken link.
                if name.endswith(".py"):
                    problem = "symbolic link loop" if error.errno == errno.ELOOP else (error.strerror or str(error))
                    discovery.warnings.append((_join(directory, name), f"{problem}; skipped"))
                continue
            if is_file:
                if not name.endswith(".py"):
                    continue  # most entries of a tree: never matched against any pattern
            elif not is_dir:
                if name.endswith(".py") and entry.is_symlink():
                    path = _join(directory, name)
                    discovery.warnings.append((path, f"{_link_problem(path) or 'not a regular file'}; skipped"))
                continue
            if self._excluded(prefix, name, is_dir):
                continue
            if matchers and _ignored(matchers, name + "/" if is_dir else name):
                continue
            path = _join(directory, name)
            if is_dir:
                if entry.is_symlink():
                    target = os.path.realpath(path)
                    if not any(_within(target, bound) for bound in bounds):
                        discovery.warnings.append(
                            (path, f"symbolic link to a directory outside the project ({target}); not followed"))
                        continue
                    subdirectories.append((path, target))
                else:
                    subdirectories.append((path, os.path.join(real, name)))
            else:
                self.add(path_of(path), key_head + os.path.normcase(name))
                if self.full():
                    return []
        return subdirectories


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory if directory.endswith(os.sep) else directory + os.sep)


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
        if settings.force_exclude and (stat.S_ISDIR(mode) or stat.S_ISREG(mode)) \
                and walker.named_excluded(path, stat.S_ISDIR(mode)):
            continue  # as ruff does: skipped without a word, pre-commit names excluded files too
        if stat.S_ISDIR(mode):
            walker.walk(path)
        elif stat.S_ISREG(mode):
            # Without --force-exclude, a file named on the command line is always linted,
            # whatever its name or excludes.
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


MAX_INDEX_FILES = 20000


def project_files(settings: Settings, linted: Sequence[Path] = (), arguments: Sequence[str] = ()) -> List[Path]:
    """The project's other Python files, whose module-level session factories the linted
    files may import (`from app.db import SessionLocal`). Scanned for the index, not linted;
    empty when the root is not a project root, the linted files lie outside it, or one of
    the `arguments` (the paths asked for) already covers the whole root. At most
    MAX_INDEX_FILES: the walk stops there rather than list a huge tree to use part of it."""
    root = settings.root
    # A project root is where the configuration or the repository starts; without one (say,
    # a run from the home directory) the walk for session factories would have no sensible end.
    if not any(_exists(root / marker) for marker in PROJECT_MARKERS):
        return []
    try:
        # Only a directory can hold the root (a file or a missing path cannot): a run naming
        # 970 files resolved each of them for nothing.
        if any(root.is_relative_to(Path(argument).resolve()) for argument in arguments if os.path.isdir(argument)):
            return []  # `session-lint .`: every file of the project is linted anyway
        if any(not _inside(real, str(root)) for real in _real_paths(linted)):
            return []
    except (OSError, RuntimeError):
        return []
    found = collect_files([str(root)], settings, limit=MAX_INDEX_FILES).files
    return found[:MAX_INDEX_FILES]


def _real_paths(paths: Sequence[Path]) -> Iterator[str]:
    """`str(path.resolve())` of each path, resolving each directory once: a file that is no
    symbolic link is its directory's real path plus its name (`..` in the directory is left
    to `realpath`, which follows links before it goes up, as `resolve` does)."""
    directories: Dict[str, str] = {}
    for path in paths:
        text = os.fspath(path)
        head, name = os.path.split(text)
        if not name or name in (".", "..") or os.path.islink(text):
            yield os.path.realpath(text)
            continue
        real = directories.get(head)
        if real is None:
            real = directories[head] = os.path.realpath(head)
        yield os.path.join(real, name)


def _inside(real: str, root: str) -> bool:
    """`Path(real).is_relative_to(root)` for two absolute, normalised paths (without a
    `PurePath` made for each of hundreds of files)."""
    real, root = os.path.normcase(real), os.path.normcase(root)
    return real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep)
