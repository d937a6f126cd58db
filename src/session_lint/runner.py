"""Lint many files: read them, reuse cached results, lint the rest in worker processes,
apply per-file ignores, collect everything into one report."""
from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence as SequenceABC
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type

from .cache import ResultCache, SourceStatus, content_digest, digest_key, recordable, run_key, source_status
from .diagnostics import INTERNAL_ERROR, Diagnostic, Location
from .engine import LintResult, lint_source, read_source, stat_source, stopped_by_gate
from .project_index import (FactoryInfo, KnownProjectIndex, LazyProjectIndex, ProjectIndex, decode_scan, detached,
                            encode_scan, index_code_fingerprint, moved_lines, same_scan, scan_source,
                            scanner_fingerprint, unreadable_notice)
from .settings import Settings, ignored_for_file

if TYPE_CHECKING:
    import multiprocessing.process
    from concurrent.futures import ProcessPoolExecutor

    from .rule import Rule

# multiprocessing and concurrent.futures (with tempfile, shutil, subprocess, socket...) are
# loaded by the first run that starts worker processes. `ProcessPoolExecutor` stays a module
# attribute, loaded on first use, so that tests can replace it.


def _executor_class() -> type:
    if "ProcessPoolExecutor" not in globals():  # a replacement set by a test stays
        from concurrent.futures import ProcessPoolExecutor

        globals()["ProcessPoolExecutor"] = ProcessPoolExecutor
    return globals()["ProcessPoolExecutor"]


def __getattr__(name: str) -> object:
    if name == "ProcessPoolExecutor":
        return _executor_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

Item = Tuple[str, bytes]
Output = Tuple[str, LintResult]
# Told the number of files just finished (linted, taken from the cache, or unreadable), in
# the calling thread: the CLI's progress bar.
Progress = Callable[[int], None]


def _no_progress(done: int) -> None:
    pass


@dataclass
class RunReport:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # Files that could not be read: one line each, and exit code 2.
    errors: List[Tuple[str, str]] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    files_checked: int = 0
    files_from_cache: int = 0


@dataclass(frozen=True)
class Job:
    rules: Tuple[Type[Rule], ...]
    settings: Settings
    index: ProjectIndex


class _RuleObjects(SequenceABC):
    """The rules of a job, created once per process (not once per file) when the first file
    that passes the evidence gate needs them: creating a built-in rule imports its module,
    and with it libcst, which a run whose files hold no SQLAlchemy does without."""

    def __init__(self, rules: Sequence[Type[Rule]]) -> None:
        self._rules = rules
        self._made: Optional[List[Rule]] = None

    def _all(self) -> List[Rule]:
        if self._made is None:
            self._made = [rule() for rule in self._rules]
        return self._made

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._all()[index]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._rules)


_worker_job: Optional[Job] = None
_worker_rules: Optional[_RuleObjects] = None


def _init_worker(job: Job) -> None:
    global _worker_job, _worker_rules
    _worker_job = job
    _worker_rules = _RuleObjects(job.rules)


def _init_pool_worker(job: Optional[Job], parent: int) -> None:
    # The parent alone decides what a signal means: with Ctrl-C (sent to the whole process
    # group) a worker would fail the chunk in hand and go on with the next one. SIGTERM and
    # SIGHUP get their default back: fork copied the parent's handlers, which unwind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(parent, os.getppid() == parent), daemon=True,
                     name="session-lint-parent-watch").start()
    if job is not None:  # None: a pool that scans for the project index
        _init_worker(job)


def _exit_with_parent(parent: int, direct_child: bool) -> None:
    """A parent killed outright (SIGKILL, the OOM killer) cannot stop its workers; they
    notice it is gone and exit instead of linting for nobody, forever."""
    while True:
        if direct_child:
            gone = os.getppid() != parent  # re-parented
        elif os.name == "posix":  # (os.kill with signal 0 terminates the process on Windows)
            try:
                os.kill(parent, 0)
                gone = False
            except ProcessLookupError:
                gone = True
            except OSError:
                gone = False
        else:  # pragma: no cover - a spawned worker on Windows is a direct child
            return
        if gone:
            os._exit(1)
        time.sleep(0.25)


def _lint_item(item: Item) -> Output:
    assert _worker_job is not None and _worker_rules is not None
    path, data = item
    result = lint_source(data, path, _worker_job.rules, _worker_job.settings, _worker_job.index,
                         instances=_worker_rules)
    if len(data) > _TRIM_AFTER_BYTES:
        _return_free_memory()
    return path, result


# A large module's tree and analyses take 100-200 MB, all freed when it is done; but glibc's
# allocator keeps what was freed inside its heap, so that each large module after the first
# added to the process's resident memory (the 40 largest SQLAlchemy modules in a row: peak
# RSS 370 MB; with malloc_trim after each, 280 MB, for 0.2 s of CPU in all).
_TRIM_AFTER_BYTES = 64 * 1024
_malloc_trim: Optional[Callable[[int], int]] = None
_TRIM_UNAVAILABLE = False


def _return_free_memory() -> None:
    """Give the memory the allocator holds free back to the system (glibc only)."""
    global _malloc_trim, _TRIM_UNAVAILABLE
    if _TRIM_UNAVAILABLE:
        return
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL(None).malloc_trim  # type: ignore[attr-defined]
        except (AttributeError, OSError, ImportError):  # not glibc (musl, macOS, Windows)
            _TRIM_UNAVAILABLE = True
            return
    _malloc_trim(0)  # type: ignore[misc]


_EXIT_HOOK: List[bool] = []


def _no_collection_at_exit() -> None:
    """At the interpreter's exit, leave what exists out of its final garbage collection: a
    project index and its summaries (a million objects and more in a large project) kept
    alive until then cost one full collection at exit, 1.7 s of a 2.9 s one-file run inside
    a 2,500-file project. Nothing is lost: Python does not promise finalizers at exit."""
    if not _EXIT_HOOK:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _EXIT_HOOK.append(True)


@contextmanager
def _collector_paused(freeze: bool = False) -> Iterator[None]:
    """No garbage collection while the project index is built: what it allocates (the
    scans, the facts, a kept index of a million objects) is garbage only as a whole, and
    each full collection walked all of it (1.2 of 2.7 s of a one-file run inside a
    2,500-file project). With `freeze`, what exists at the end (the index) is left out of
    the collections that follow (`gc.freeze`) until `_unfrozen_at_the_end`: else the first
    collection after the pause walks every object allocated during it, the kept index's
    million (0.25-0.3 s of CPU of a one-file run in that project); not when someone else
    froze objects."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze and not gc.get_freeze_count():
            gc.freeze()
            _FROZE.append(True)
        if enabled:
            gc.enable()


# Set while objects this run froze (`_collector_paused(freeze=True)`) are frozen.
_FROZE: List[bool] = []


@contextmanager
def _unfrozen_at_the_end() -> Iterator[None]:
    """What this run froze goes back to the collector when it is done (a program that lints
    more than once collects the index it no longer holds)."""
    try:
        yield
    finally:
        if _FROZE:
            import gc

            _FROZE.clear()
            gc.unfreeze()


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave what exists now (the project index with its facts, the rules, libcst) out of
    the garbage collector's full collections while files are linted: each one walked the
    whole heap, several times per large module (the 60 largest SQLAlchemy modules: 28 s
    CPU, 21 s with it). A forked worker inherits the frozen objects, and the collector no
    longer writes to their pages. Nothing is frozen when someone else froze objects."""
    import gc

    if _FROZE:  # the index, frozen by this run: freeze the rest too, all thawed at the run's end
        gc.freeze()
        yield
        return
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _lint_chunk(items: Sequence[Item]) -> List[Output]:
    return [_lint_item(item) for item in items]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _max_workers() -> int:
    # Workers beyond the cores add only memory and start-up time (`-j 3000` forked 3,000
    # processes). Two stay allowed on one core: an explicit `-j 2` keeps a rule that
    # crashes the interpreter from taking the whole run down (see _isolate_crashes).
    limit = max(2, default_jobs())
    if sys.platform == "win32":  # pragma: no cover - ProcessPoolExecutor refuses more there
        limit = min(limit, 61)
    return limit


def _read_error(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file disappeared before it could be read"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a Python file"
    return f"cannot read: {error.strerror or error}"


def read_files(files: Sequence[Path]) -> Tuple[List[Item], List[Tuple[str, str]]]:
    items: List[Item] = []
    errors: List[Tuple[str, str]] = []
    for path in files:
        name = str(path)
        try:
            items.append((name, read_source(path)))  # regular files, at most the size limit + 1
        except OSError as error:
            errors.append((name, _read_error(error)))
    return items, errors


class _Sources:
    """The files of a run, read only when needed: with a cache, a file whose status
    (size, mtime, ctime, inode) is the one recorded when it was last read is not read at
    all, its digest comes from the cache (and its index scan, by that digest, when the
    index is built); a changed file is read and hashed once, and recorded for the next run."""

    def __init__(self, cache: Optional[ResultCache]) -> None:
        self.cache = cache
        self.scanner = scanner_fingerprint() if cache is not None else ""
        self._status: Dict[str, SourceStatus] = {}
        self._data: Dict[str, bytes] = {}
        self._digest: Dict[str, str] = {}
        self._scanned: Dict[str, str] = {}  # files scanned this run: the digest of the bytes scanned
        # The scans of a kept index taken (`adopt`): the files scanned this run are the
        # changed ones, and the index kept again holds their scans.
        self._adopted = False
        self._lazy: Set[str] = set()  # loaded with `lazy`, not yet looked up in the cache
        self._started = time.time()
        self._found: Dict[str, Dict[str, FactoryInfo]] = {}
        self._read_at: Dict[str, float] = {}  # the files read this run, and when

    def load(self, files: Sequence[Path], lazy: bool = False) -> Tuple[List[str], List[Tuple[str, str]]]:
        """The names of the files that can be linted, and (name, problem) for the others.
        `lazy` (the files only the index needs): with a cache, only their status is taken;
        what the cache knows of them is looked up (and checked) if the index is built."""
        names: List[str] = []
        errors: List[Tuple[str, str]] = []
        cache = self.cache
        for path in files:
            name = str(path)
            try:
                if cache is None:
                    self._data[name] = read_source(path)
                elif lazy:
                    self._status[name] = source_status(stat_source(path))
                    self._lazy.add(name)
                else:
                    started = time.time()
                    status = source_status(stat_source(path))
                    known = cache.known_source(name, status, self.scanner)
                    if known is None:
                        self._data[name] = read_source(path)
                        self._read_at[name] = started
                    else:
                        self._digest[name] = known
                    self._status[name] = status
            except OSError as error:
                errors.append((name, _read_error(error)))
                continue
            names.append(name)
        return names, errors

    def data(self, name: str) -> bytes:
        """The file's bytes, read now if the cache spared them (OSError if that fails)."""
        data = self._data.get(name)
        if data is None and name in self._lazy:
            self._known_digest(name)
        if data is None:
            data = read_source(name)
            self._data[name] = data
        return data

    def digest(self, name: str) -> str:
        digest = self._digest.get(name) or self._known_digest(name)
        if digest is None:
            digest = content_digest(self.data(name))
            self._digest[name] = digest
        return digest

    def _known_digest(self, name: str) -> Optional[str]:
        """The digest the cache recorded for a file loaded lazily with its present status."""
        if name not in self._lazy or self.cache is None:
            return None
        self._lazy.discard(name)
        known = self.cache.known_source(name, self._status[name], self.scanner)
        if known is not None:
            self._digest[name] = known
        elif name not in self._data:
            self._read_at[name] = self._started  # read below: recorded for the next run
        return known

    def scan(self, name: str) -> Dict[str, FactoryInfo]:
        """What the project index finds in the file."""
        found = self._found.get(name)
        if found is not None:
            return found
        found = self._remembered_scan(name)
        if found is None:
            try:
                data = self.data(name)
                found = scan_source(data, name)
                self._scanned[name] = content_digest(data)
            except OSError:
                found = {}  # gone since its status was taken: the lint pass says so
        self._found[name] = found
        return found

    def _remembered_scan(self, name: str) -> Optional[Dict[str, FactoryInfo]]:
        """The scan the cache holds for the file's bytes, if any (not asked once the scans of
        a kept index were adopted: the files left are the changed ones)."""
        if self.cache is None or self._adopted:
            return None
        digest = self._digest.get(name) or self._known_digest(name)
        if digest is None and name in self._data:
            digest = self.digest(name)
        encoded = self.cache.known_scan(name, digest, self.scanner) if digest is not None else None
        if encoded is None:
            return None
        try:
            return decode_scan(encoded, name)
        except Exception:  # the entry was verified; a mistake of ours must not end the run
            return None

    def scan_in_workers(self, names: Sequence[str], jobs: int) -> None:
        """Scan the files that have no scan yet in worker processes. With the project's
        `ast` facts (project/facts.py) scanning SQLAlchemy's sources takes 16 s of CPU, a
        third of linting them: done one file after the other in this process, before any
        worker starts linting, it made this process the bottleneck of a parallel run."""
        todo = []
        for name in names:
            if name in self._found:
                continue
            found = self._remembered_scan(name)
            if found is not None:
                self._found[name] = found
            else:
                todo.append(name)
        if jobs <= 1 or len(todo) < 4 or not _workers_can_run(None):
            return
        items = []
        for name in todo:
            try:
                items.append((name, self.data(name)))
            except OSError:
                continue  # scanned (as nothing) by `scan`
        if len(items) < 4 or sum(len(data) for _, data in items) < _MIN_PARALLEL_SCAN:
            return
        found = _scan_in_pool(items, jobs)
        for name, data in items:
            if name in found:
                self._found[name] = found[name]
                self._scanned[name] = content_digest(data)

    def state(self, names: Sequence[str]) -> Optional[str]:
        """`index_state` of `names`; None without a cache, or when a file's status is not known."""
        if self.cache is None or any(name not in self._status for name in names):
            return None
        return index_state({name: self._status[name] for name in names})

    def status(self, name: str) -> SourceStatus:
        return self._status[name]

    def adopt(self, statuses: Dict[str, SourceStatus], scans: Dict[str, Dict[str, FactoryInfo]]) -> None:
        """Take the scans an earlier run kept of the files whose status is still the one it saw."""
        for name, scan in scans.items():
            if name not in self._found and name in self._status and statuses.get(name) == self._status[name]:
                self._found[name] = scan
        self._adopted = True

    def stable(self, names: Sequence[str]) -> bool:
        """Were all of `names` last modified long enough before this run read them that the
        statuses taken stand for their content (see cache._RACY_SECONDS)?"""
        return all(recordable(self._status[name], self._read_at.get(name, self._started)) for name in names)

    def remember(self, names: Sequence[str]) -> None:
        """Record the files read this run in the cache, for the next run not to read them,
        and the scans made this run, for the next run that builds the index."""
        cache = self.cache
        if cache is None:
            return
        for name in names:
            read_at = self._read_at.get(name)
            if read_at is not None and name in self._data:
                cache.record_source(name, self._status[name], self.scanner, self.digest(name), read_at)
            scanned = self._scanned.pop(name, None)
            if scanned is not None and name in self._found and not self._adopted:
                cache.record_scan(name, scanned, self.scanner, encode_scan(self._found[name]))

    def release(self, names: Sequence[str]) -> None:
        for name in names:
            self._data.pop(name, None)


def _kept(loaded: object) -> Optional[Tuple[str, ProjectIndex, Dict[str, SourceStatus], Dict[str, Dict[str, FactoryInfo]]]]:
    """(state, index, statuses, scans) of what a run kept (`ResultCache.keep_index`), if usable."""
    if not isinstance(loaded, dict) or not isinstance(loaded.get("index"), ProjectIndex):
        return None
    statuses, scans = loaded.get("statuses"), loaded.get("scans")
    if not (isinstance(statuses, dict) and isinstance(scans, dict) and isinstance(loaded.get("state"), str)):
        return None
    if loaded.get("code") != index_code_fingerprint() or loaded.get("cwd") != os.getcwd():
        return None  # scanned by other code, or its names are relative to another directory
    return loaded["state"], loaded["index"], statuses, scans


def _moved_lines(scans: Dict[str, Dict[str, FactoryInfo]], kept: Dict[str, Dict[str, FactoryInfo]]
                 ) -> Optional[Dict[Path, Tuple[Dict[str, FactoryInfo], Dict[int, int]]]]:
    """The files whose scan differs from the kept one only in moved lines (resolved path ->
    (scan, old line -> new line)), when every other file scans as it did; None when the
    files differ or a scan changed in anything else."""
    if set(scans) != set(kept):
        return None
    moved: Dict[Path, Tuple[Dict[str, FactoryInfo], Dict[int, int]]] = {}
    for name, scan in scans.items():
        before = kept[name]
        if same_scan(before, scan):
            continue
        lines = moved_lines(before, scan)
        if lines is None:
            return None
        moved[Path(name).resolve()] = (scan, lines)
    return moved


def index_state(statuses: Dict[str, SourceStatus]) -> str:
    """What the project index of the files named (as given: a name decides whether a file
    is a test module, relative to the working directory) is a function of: every file's
    name and status (size, mtime, ctime, inode: its content, when the status is stable),
    the working directory and the index's code."""
    digest = hashlib.sha256(f"{index_code_fingerprint()}\0{os.getcwd()}".encode())
    for name in sorted(statuses):
        digest.update(repr((name, statuses[name])).encode())
    return digest.hexdigest()


def lint_files(files: Sequence[Path], rules: Sequence[Type[Rule]], settings: Settings, jobs: int = 1,
               index: Optional[ProjectIndex] = None, cache: Optional[ResultCache] = None,
               rule_versions: str = "", index_also: Sequence[Path] = (),
               progress: Optional[Progress] = None) -> RunReport:
    """Lint `files`; `index_also` are other files of the project whose session factories
    the linted files may import (they are scanned, not linted). `progress` is told how many
    of `files` each step finished."""
    with _unfrozen_at_the_end():
        return _lint_files(files, rules, settings, jobs, index, cache, rule_versions, index_also, progress)


def _lint_files(files: Sequence[Path], rules: Sequence[Type[Rule]], settings: Settings, jobs: int,
                index: Optional[ProjectIndex], cache: Optional[ResultCache], rule_versions: str,
                index_also: Sequence[Path], progress: Optional[Progress]) -> RunReport:
    tell = progress or _no_progress
    report = RunReport()
    _no_collection_at_exit()
    if cache is not None:
        report.warnings.extend(cache.take_warnings())
    sources = _Sources(cache)
    names, report.errors = sources.load(files)
    if index is None:
        linted = {os.path.abspath(name) for name in names}
        # Unreadable here is no error: the lint pass reports its own files, the index skips.
        extra, _ = sources.load([path for path in index_also if os.path.abspath(path) not in linted], lazy=True)
        every = names + extra

        def build() -> ProjectIndex:
            with _collector_paused(freeze=True):
                return _build()

        def _build() -> ProjectIndex:
            kept = _kept(cache.load_index(None)) if cache is not None else None
            if kept is not None and kept[0] == state:
                return kept[1]  # the index a run over the same files in the same state kept
            if kept is not None:  # another state's: its scans stand for the files it saw unchanged
                sources.adopt(kept[2], kept[3])
            sources.scan_in_workers(every, jobs)
            scans = {name: sources.scan(name) for name in every}
            moved = _moved_lines(scans, kept[3]) if kept is not None else None
            if moved is not None:
                # Every file scans as it did (an edit of a comment, a body's text), or as it
                # did with some lines moved: the kept index, renumbered, not built again.
                built = kept[1].with_lines_moved(moved) if moved else kept[1]  # type: ignore[index]
            else:
                built = ProjectIndex.from_scans((Path(name), scans[name]) for name in every)
                # The modules outside the relevant ones are read from the bytes in memory
                # (the facts of those the closure makes relevant, by worker processes for a
                # large wave; the inert facts a resolution asks for), and the summaries are
                # computed here, once, before any lint worker starts.
                given = {str(Path(name)): name for name in every}
                built.read_with(lambda path: sources.data(given.get(path, path)),
                                lambda items: _facts_in_pool(items, jobs))
                built.evidence_names()
                built.read_with(None)
                _return_free_memory()  # the modules parsed here for the closure: their trees are gone
            sources.remember(extra)
            sources.release(extra)
            return built

        # The same files with the same statuses as a run that recorded the index's
        # fingerprint: the results' keys need no index; it is built if a file is linted.
        state = sources.state(every)
        known = cache.known_index(state) if cache is not None and state is not None else None
        if known is not None:
            index = KnownProjectIndex(build, known)
        else:
            index = build()
            if cache is not None and state is not None and sources.stable(every):
                cache.record_index(state, index.fingerprint())  # type: ignore[union-attr,arg-type]
                cache.keep_index(state, {"state": state, "code": index_code_fingerprint(), "cwd": os.getcwd(),
                                         "index": detached(index), "statuses": {name: sources.status(name) for name in every},
                                         "scans": {name: sources.scan(name) for name in every}})
    key = run_key(settings.fingerprint(), [rule.code for rule in rules], rule_versions, index.fingerprint())
    keys: Dict[str, str] = {}
    results: List[Output] = []
    pending: List[Item] = []
    from_cache: Set[str] = set()
    for name in names:
        cached = None
        if cache is not None:
            keys[name] = digest_key(sources.digest(name), key)
            cached = cache.get(name, keys[name])
        if cached is not None:
            results.append((name, LintResult(diagnostics=cached, parsed=True)))
            from_cache.add(name)
            report.files_from_cache += 1
            continue
        try:
            pending.append((name, sources.data(name)))
        except OSError as error:  # spared by its status, gone or changed into something else since
            report.errors.append((name, _read_error(error)))
    tell(len(files) - len(pending))  # from the cache, or unreadable
    if pending and isinstance(index, KnownProjectIndex):
        index.ensure()  # here, once, not in every worker
    sources.remember(names)
    sources.release(names)
    job = Job(tuple(rules), settings, index)
    if jobs <= 1 or len(pending) < _MIN_POOL_FILES:
        results.extend(_lint_here(pending, job, tell))
    else:
        results.extend(_lint_in_pool(pending, job, jobs, tell))
    per_file = _PerFileIgnores(settings)
    for name, result in results:
        if cache is not None and name not in from_cache and not result.warnings:  # a cached result would lose them
            cache.put(name, keys[name], result.diagnostics)
        report.warnings.extend(result.warnings)
        report.files_checked += 1
        ignored = per_file.codes_for(name)
        report.diagnostics.extend(
            d for d in result.diagnostics if not (ignored and ignored_for_file(d.code, ignored))
        )
        report.tracebacks.extend(result.tracebacks)
    report.warnings.extend(_unreadable_elsewhere(index, names))
    if cache is not None:
        report.warnings.extend(cache.take_warnings())  # met reading the scans, if the index was built
        problem = cache.save()
        if problem:
            report.warnings.append(problem)
    report.diagnostics.sort(key=lambda d: d.sort_key)
    return report


def _unreadable_elsewhere(index: ProjectIndex, linted: Sequence[str]) -> List[str]:
    """One line for the modules of the project this Python's `ast` cannot read that were not
    linted (a linted one says so itself, `engine._lint_source`): left out of the project
    model, they may hide findings in the linted files. Said when the index was built."""
    if isinstance(index, LazyProjectIndex) and not index.__dict__.get("_built"):
        return []  # a warm run that linted nothing: the run that built it said so
    unreadable = index.__dict__.get("_unreadable") or {}
    if not unreadable:
        return []
    seen = {os.path.realpath(name) for name in linted}
    others = [(path, reason) for path, reason in unreadable.items() if path not in seen]
    if not others:
        return []
    path, reason = others[0]
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        relative = path
    return [unreadable_notice(path if relative.startswith(os.pardir) else relative, reason, len(others) - 1)]


def _other_threads() -> bool:
    """Does this process run more threads than the calling one? Python 3.12+ counts the
    operating system's threads of the process (native ones included) before a fork, so
    /proc is asked first; elsewhere Python's own threads are all that can be seen."""
    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count() > 1
    # A thread Python has joined (a previous pool's) can take a moment to leave the list.
    deadline = time.monotonic() + 0.05
    while tasks > 1 and threading.active_count() == 1 and time.monotonic() < deadline:
        time.sleep(0.001)
        tasks = len(os.listdir("/proc/self/task"))
    return tasks > 1


def forks_workers() -> bool:
    """Would worker processes started now be forked from this one (and so inherit its
    state: imported modules, patched classes)?"""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not _other_threads()


def _context():
    import multiprocessing

    # fork starts workers without re-importing libcst and the rules. But a fork copies only
    # the calling thread: a lock another thread holds at that moment (the allocator's, a
    # logging handler's, the import lock) stays held in the child for good, and Python
    # 3.12+ warns ("This process is multi-threaded, use of fork() may lead to deadlocks").
    # A process with threads (an editor, a test runner, a program embedding us) has its
    # workers started by the fork server instead: a single-threaded process started
    # afresh, whose workers import libcst and the rules themselves.
    if forks_workers():
        return multiprocessing.get_context("fork")
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else None)


@contextmanager
def _pool(workers: int, job: Optional[Job]) -> Iterator[ProcessPoolExecutor]:
    """A process pool that, when the run is interrupted (Ctrl-C, or SIGTERM, which the CLI
    turns into an exception), drops the queued work and kills its workers at once: leaving
    a plain `with ProcessPoolExecutor()` waits for every queued chunk (a minute or more)."""
    import multiprocessing

    before: Set[multiprocessing.process.BaseProcess] = set(multiprocessing.active_children())
    pool = _executor_class()(max_workers=workers, initializer=_init_pool_worker, initargs=(job, os.getpid()),
                               mp_context=_context())
    # The pool's threads in this process (its manager, its queue's feeder) hand every task
    # to a worker; with the default 5 ms switch interval each waited that long for the GIL
    # while this thread scanned or linted, and a forked worker started its first task 25-40
    # ms after it was ready (of a 0.35 s run on the standard library).
    _fast_switching(True)
    try:
        yield pool
    except BaseException:
        _fast_switching(False)
        _FORKED_TASKS.clear()
        # The queue's feeder thread may be blocked writing a chunk that no worker will read;
        # Python 3.9 joins it when the pool breaks, and the exit hung there for good.
        call_queue = getattr(pool, "_call_queue", None)
        if call_queue is not None and hasattr(call_queue, "cancel_join_thread"):
            call_queue.cancel_join_thread()
        pool.shutdown(wait=False, cancel_futures=True)
        _kill(set(multiprocessing.active_children()) - before)
        raise
    pool.shutdown(wait=True)
    _fast_switching(False)
    _FORKED_TASKS.clear()


_POOL_SWITCH_INTERVAL = 0.0005
# Pools running now (a language server's threads may run two), and the interval before the first.
_SWITCHING = threading.Lock()
_switch_state: List[float] = [0, 0.0]


def _fast_switching(on: bool) -> None:
    with _SWITCHING:
        if on:
            if _switch_state[0] == 0:
                _switch_state[1] = sys.getswitchinterval()
                sys.setswitchinterval(min(_switch_state[1], _POOL_SWITCH_INTERVAL))
            _switch_state[0] += 1
        else:
            _switch_state[0] -= 1
            if _switch_state[0] == 0:
                sys.setswitchinterval(_switch_state[1])


def _kill(workers: Set[multiprocessing.process.BaseProcess]) -> None:
    # SIGKILL rather than SIGTERM: workers write nothing, so they have nothing to finish.
    for worker in workers:
        try:
            worker.kill()
        except (OSError, ValueError):
            pass  # already gone
    deadline = time.monotonic() + 1.0
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))


# Chunks of work, in parse cost (bytes of source that will be parsed): a worker asks for
# the next chunk when it is done with one, so chunks shrink as the work left does (guided
# self-scheduling, the costliest files first) and the workers finish together; none costs
# less than _MIN_CHUNK_COST, about 50 ms of parsing, so that the round trip to a worker
# stays a small part of it.
_CHUNKS_PER_WORKER = 4
# Fewer files than this are linted in this process: a pool's start costs more.
_MIN_POOL_FILES = 4
_MIN_CHUNK_COST = 32 * 1024
# A file without the evidence every rule requires is decoded and searched, not parsed: a
# small fraction of the cost of parsing it.
_UNPARSED_SHARE = 50


def _parsed(items: Sequence[Item], job: Job) -> List[bool]:
    """Which files a rule may have parsed, judged from their bytes: those that spell the
    evidence every rule requires (or a session factory's name). A guess that errs towards
    True; only the order and grouping of the work, and whether the rules are imported
    before the workers are forked, depend on it, never a result."""
    markers: Set[bytes] = set()
    for rule in job.rules:
        if not rule.requires:
            return [True] * len(items)  # a rule that runs on every file
        markers.update(token.encode("utf-8") for token in rule.requires)
    markers.update(info.name.encode("utf-8") for info in job.index.factories())
    return [any(marker in data for marker in markers) for _, data in items]


def _costs(items: Sequence[Item], parsed: Sequence[bool]) -> List[int]:
    """An estimate of each file's cost: its size, much less for a file that is not parsed."""
    return [len(data) if will_parse else len(data) // _UNPARSED_SHARE + 1
            for (_, data), will_parse in zip(items, parsed)]


def _chunks(items: Sequence[Item], costs: Sequence[int], workers: int) -> List[List[Item]]:
    """`items` in chunks of decreasing cost, the costliest files first: a large file left
    for the end would keep one worker busy while the others wait."""
    order = sorted(range(len(items)), key=costs.__getitem__, reverse=True)
    remaining = sum(costs)
    chunks: List[List[Item]] = []
    chunk: List[Item] = []
    cost = 0
    for position in order:
        chunk.append(items[position])
        cost += costs[position]
        remaining -= costs[position]
        if cost >= max(remaining / (workers * _CHUNKS_PER_WORKER), _MIN_CHUNK_COST):
            chunks.append(chunk)
            chunk, cost = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


# Below this many bytes to scan, starting worker processes costs more than it saves.
_MIN_PARALLEL_SCAN = 256 * 1024


def _scan_chunk(items: Sequence[Item]) -> List[Tuple[str, Dict[str, FactoryInfo]]]:
    return [(name, scan_source(data, name)) for name, data in items]


def _scan_in_pool(items: List[Item], jobs: int) -> Dict[str, Dict[str, FactoryInfo]]:
    """What the project index finds in each file, scanned by worker processes. A chunk
    that fails (a worker died, a scan raised) is left out: the caller scans those files
    itself, which reports a scan's error as it always did."""
    # What a scan imports, imported before the workers are forked (each imported it again).
    from .project import facts, summaries  # noqa: F401

    return _by_chunks_in_pool(_scan_chunk, items, jobs)


def _by_chunks_in_pool(work: Callable[[Sequence[Item]], list], items: List[Item], jobs: int) -> dict:
    """`work` over chunks of `items` of about equal size in `jobs` processes, this one
    included, its answers (name, value) merged; a chunk that fails is left out."""
    jobs = min(jobs, _max_workers())
    chunks = _chunks(items, [len(data) for _, data in items], jobs)
    found: dict = {}
    with _pool(max(1, min(jobs - 1, len(chunks))), None) as pool:
        futures, _ = _submit(pool, work, chunks)
        # This process takes the chunks from the end (the cheapest) while the workers take
        # them from the front, until they meet: it does not wait idle, and one worker fewer
        # is started (the standard library at -j2: about 0.04 s of CPU less, 0.6 s in all).
        for chunk, future in reversed(futures):
            if not future.cancel():
                break  # a worker has it: so have they every chunk before it
            try:
                found.update(work(chunk))
            except Exception:  # the scan's own error, as in a worker
                continue
        for _, future in futures:
            if future.cancelled():
                continue  # done here
            try:
                found.update(future.result())
            except Exception:  # BrokenProcessPool, or the scan's own error
                continue
    return found


def _facts_chunk(items: Sequence[Item]) -> List[Tuple[str, Optional[dict]]]:
    from .project.facts import scan_facts
    from .project.newer_syntax import module_text

    return [(name, scan_facts(module_text(data))) for name, data in items]


def _facts_in_pool(items: List[Item], jobs: int) -> Optional[Dict[str, Optional[dict]]]:
    """The `ast` facts of modules the project index makes relevant after the scan (its
    closure does it in waves), read by worker processes; None when one process should:
    one job, a small wave, or workers that cannot start here. A chunk that fails is left
    out (the index reads those modules itself)."""
    if jobs <= 1 or len(items) < 4 or sum(len(data) for _, data in items) < _MIN_PARALLEL_SCAN \
            or not _workers_can_run(None):
        return None
    return _by_chunks_in_pool(_facts_chunk, items, jobs)


def _lint_here(items: Sequence[Item], job: Job, tell: Progress = _no_progress) -> List[Output]:
    _init_worker(job)
    outputs: List[Output] = []
    with _frozen_heap():
        for item in items:
            outputs.append(_lint_item(item))
            tell(1)
    return outputs


def _main_is_rerun() -> bool:
    """Would a worker that is not forked run the program's main script again? Python's
    fork server and spawn run a script started by its path once more in every worker (as
    `__mp_main__`), which is harmless only behind `if __name__ == "__main__":`; a module
    run with `-m`, `-c` code and an interactive session are not run again."""
    main = sys.modules.get("__main__")
    return getattr(main, "__spec__", None) is None and getattr(main, "__file__", None) is not None


def _workers_can_run(job: Optional[Job]) -> bool:
    """Can worker processes run this work? Forked ones can; others only when starting them
    does not run the program's script again and they can import what the job names."""
    return forks_workers() or not (_main_is_rerun() or (job is not None and _needs_this_process(job)))


def _needs_this_process(job: Job) -> bool:
    """Can workers that are not forked from this process (they get the job by pickle and
    import what it names) run this job? A rule class defined in a function, or in a script
    run as __main__, cannot be imported by them."""
    import pickle

    if any(rule.__module__ == "__main__" for rule in job.rules):
        return True
    try:
        pickle.dumps(job)
    except Exception:  # PicklingError, AttributeError of a local class, a TypeError
        return True
    return False


def _lint_in_pool(items: List[Item], job: Job, jobs: int, tell: Progress = _no_progress) -> List[Output]:
    from concurrent.futures.process import BrokenProcessPool

    if not _workers_can_run(job):
        return _lint_here(items, job, tell)
    items_given = items
    # The gate here first: the files it stops need no worker, and where it stops nearly all
    # (a project without SQLAlchemy: the standard library's 970 files, 0.04 s of gate) the
    # pool's start and the results' way back cost more than their lint.
    outputs, items = _stopped_here(items, job)
    tell(len(outputs))
    if len(items) < _MIN_POOL_FILES:
        outputs.extend(_lint_here(items, job, tell))
        return _in_given_order(outputs, items_given)
    jobs = min(jobs, _max_workers())
    parsed = _parsed(items, job)
    if any(parsed) and forks_workers():
        # Import the rules (and libcst) once, here: forked workers inherit them.
        from .registry import real_rule

        for rule in job.rules:
            real_rule(rule)
    chunks = _chunks(items, _costs(items, parsed), jobs)
    failed: List[Item] = []
    # What building the project index freed would otherwise stay in every forked worker.
    _return_free_memory()
    with _frozen_heap(), _pool(min(jobs, len(chunks)), job) as pool:
        futures, unsubmitted = _submit(pool, _lint_chunk, chunks)
        for chunk, future in futures:
            try:
                outputs.extend(future.result())
                tell(len(chunk))
            except BrokenProcessPool:
                failed.extend(chunk)
        for chunk in unsubmitted:
            failed.extend(chunk)
    if failed:
        outputs.extend(_isolate_crashes(failed, job))
        tell(len(failed))
    return _in_given_order(outputs, items_given)


def _in_given_order(outputs: List[Output], items: Sequence[Item]) -> List[Output]:
    """In the order the files were given, as a run in one process gives them: warnings and
    tracebacks are reported in this order."""
    given = {name: position for position, (name, _) in enumerate(items)}
    outputs.sort(key=lambda output: given.get(output[0], 0))
    return outputs


def _stopped_here(items: Sequence[Item], job: Job) -> Tuple[List[Output], List[Item]]:
    """The results of the files the evidence gate stops, and the files it lets through."""
    stopped: List[Output] = []
    admitted: List[Item] = []
    for path, data in items:
        result = stopped_by_gate(data, path, job.rules, job.index)
        if result is None:
            admitted.append((path, data))
        else:
            stopped.append((path, result))
    return stopped, admitted


def _isolate_crashes(items: List[Item], job: Job) -> List[Output]:
    """A worker died (a rule crashed the interpreter). Lint the affected files one by one in
    a one-worker pool: the first file whose future breaks the pool is the culprit; the rest
    are retried in a fresh pool."""
    from concurrent.futures.process import BrokenProcessPool

    outputs: List[Output] = []
    remaining = list(items)
    while remaining:
        with _pool(1, job) as pool:
            futures, unsubmitted = _submit(pool, _lint_item, remaining)
            if not futures:  # pragma: no cover - a fresh pool broke before its first task
                outputs.append(_crashed(unsubmitted.pop(0)[0]))
            remaining = list(unsubmitted)
            culprit_found = False
            for item, future in futures:
                try:
                    outputs.append(future.result())
                except BrokenProcessPool:
                    if not culprit_found:
                        culprit_found = True
                        outputs.append(_crashed(item[0]))
                    else:
                        remaining.append(item)
    return outputs


def _submit(pool: ProcessPoolExecutor, function, tasks: list) -> Tuple[list, list]:
    """(task, future) pairs, and the tasks left unsubmitted because a worker died meanwhile
    (`submit` raises BrokenProcessPool once the pool is broken). Workers forked from this
    process find the tasks in their copy of its memory (`_FORKED_TASKS`, set before the
    first `submit` forks them), and are sent their positions only."""
    from concurrent.futures.process import BrokenProcessPool

    forked = _forks(pool)
    if forked:
        _FORKED_TASKS[:] = tasks
    futures = []
    for position, task in enumerate(tasks):
        try:
            futures.append((task, pool.submit(_forked_task, function, position) if forked
                            else pool.submit(function, task)))
        except BrokenProcessPool:
            return futures, list(tasks[position:])
    return futures, []


# The tasks of the pool being filled, as its forked workers inherit them. A chunk's bytes sent
# through the pool's pipe (the standard library's first chunk: 1.7 MB) reached a worker 70 ms
# after it started: the parent's feeder thread writes 64 KB at a time and waits for the GIL
# between writes, while the parent's own thread scans or lints.
_FORKED_TASKS: list = []


def _forks(pool: ProcessPoolExecutor) -> bool:
    context = getattr(pool, "_mp_context", None)
    return context is not None and context.get_start_method() == "fork"


def _forked_task(function, position: int):  # noqa: ANN001, ANN202 - whatever `function` answers
    """In a forked worker: `function` of the task at `position` of what the parent submitted."""
    return function(_FORKED_TASKS[position])


def _crashed(path: str) -> Output:
    result = LintResult()
    result.diagnostics.append(Diagnostic(
        code=INTERNAL_ERROR,
        message="the worker process linting this file died (a rule crashed the interpreter); "
                "run with --jobs 1 -v to investigate",
        filename=path, location=Location(1, 1), end_location=Location(1, 1), noqa_row=1,
        statement_rows=(1,),
    ))
    return path, result


class _PerFileIgnores:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.entries: list = []
        if settings.per_file_ignores:
            import pathspec

            self.entries = [(pathspec.GitIgnoreSpec.from_lines([glob]), codes)
                            for glob, codes in settings.per_file_ignores]
        self._cache: Dict[str, Tuple[str, ...]] = {}

    def codes_for(self, name: str) -> Tuple[str, ...]:
        if not self.entries:
            return ()
        if name not in self._cache:
            path = Path(name)
            try:
                relative = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                relative = path.as_posix()
            codes: List[str] = []
            for spec, entry_codes in self.entries:
                if spec.match_file(relative) or spec.match_file(path.name):
                    codes.extend(entry_codes)
            self._cache[name] = tuple(codes)
        return self._cache[name]
