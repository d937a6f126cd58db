"""Lint many files: read them, reuse cached results, lint the rest in worker processes,
apply per-file ignores, collect everything into one report."""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type

import pathspec

from .cache import ResultCache, file_key, run_key
from .diagnostics import INTERNAL_ERROR, Diagnostic, Location
from .engine import LintResult, lint_source, read_source
from .project_index import ProjectIndex
from .rule import Rule
from .settings import Settings, ignored_for_file

Item = Tuple[str, bytes]
Output = Tuple[str, LintResult]


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


_worker_job: Optional[Job] = None
_worker_rules: Optional[List[Rule]] = None


def _init_worker(job: Job) -> None:
    # Rules are instantiated once per worker, not once per file.
    global _worker_job, _worker_rules
    _worker_job = job
    _worker_rules = [rule() for rule in job.rules]


def _init_pool_worker(job: Job, parent: int) -> None:
    # The parent alone decides what a signal means: with Ctrl-C (sent to the whole process
    # group) a worker would fail the chunk in hand and go on with the next one. SIGTERM and
    # SIGHUP get their default back: fork copied the parent's handlers, which unwind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(parent, os.getppid() == parent), daemon=True,
                     name="session-lint-parent-watch").start()
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
    return path, result


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


def read_files(files: Sequence[Path]) -> Tuple[List[Item], List[Tuple[str, str]]]:
    items: List[Item] = []
    errors: List[Tuple[str, str]] = []
    for path in files:
        name = str(path)
        try:
            items.append((name, read_source(path)))  # regular files, at most the size limit + 1
        except FileNotFoundError:
            errors.append((name, "the file disappeared before it could be read"))
        except IsADirectoryError:
            errors.append((name, "is a directory, not a Python file"))
        except OSError as error:
            errors.append((name, f"cannot read: {error.strerror or error}"))
    return items, errors


def lint_files(files: Sequence[Path], rules: Sequence[Type[Rule]], settings: Settings, jobs: int = 1,
               index: Optional[ProjectIndex] = None, cache: Optional[ResultCache] = None,
               rule_versions: str = "", index_also: Sequence[Path] = ()) -> RunReport:
    """Lint `files`; `index_also` are other files of the project whose session factories
    the linted files may import (they are scanned, not linted)."""
    report = RunReport()
    if cache is not None:
        report.warnings.extend(cache.take_warnings())
    items, report.errors = read_files(files)
    if index is None:
        contents = dict(items)
        linted = {Path(name).resolve() for name in contents}
        extra = [path for path in index_also if path.resolve() not in linted]
        index = ProjectIndex.scan([*(Path(name) for name, _ in items), *extra],
                                  read=lambda p: contents[str(p)] if str(p) in contents else read_source(p))
    key = run_key(settings.fingerprint(), [rule.code for rule in rules], rule_versions, index.fingerprint())
    keys: Dict[str, str] = {}
    results: List[Output] = []
    pending: List[Item] = []
    from_cache: Set[str] = set()
    for name, data in items:
        keys[name] = file_key(data, key)
        cached = cache.get(name, keys[name]) if cache is not None else None
        if cached is None:
            pending.append((name, data))
        else:
            results.append((name, LintResult(diagnostics=cached, parsed=True)))
            from_cache.add(name)
            report.files_from_cache += 1
    job = Job(tuple(rules), settings, index)
    if jobs <= 1 or len(pending) < 4:
        _init_worker(job)
        results.extend(_lint_item(item) for item in pending)
    else:
        results.extend(_lint_in_pool(pending, job, jobs))
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
    if cache is not None:
        problem = cache.save()
        if problem:
            report.warnings.append(problem)
    report.diagnostics.sort(key=lambda d: d.sort_key)
    return report


def _context():
    methods = multiprocessing.get_all_start_methods()
    # fork starts workers without re-importing libcst and the rules.
    return multiprocessing.get_context("fork" if "fork" in methods else None)


@contextmanager
def _pool(workers: int, job: Job) -> Iterator[ProcessPoolExecutor]:
    """A process pool that, when the run is interrupted (Ctrl-C, or SIGTERM, which the CLI
    turns into an exception), drops the queued work and kills its workers at once: leaving
    a plain `with ProcessPoolExecutor()` waits for every queued chunk (a minute or more)."""
    before: Set[multiprocessing.process.BaseProcess] = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_pool_worker, initargs=(job, os.getpid()),
                               mp_context=_context())
    try:
        yield pool
    except BaseException:
        # The queue's feeder thread may be blocked writing a chunk that no worker will read;
        # Python 3.9 joins it when the pool breaks, and the exit hung there for good.
        call_queue = getattr(pool, "_call_queue", None)
        if call_queue is not None and hasattr(call_queue, "cancel_join_thread"):
            call_queue.cancel_join_thread()
        pool.shutdown(wait=False, cancel_futures=True)
        _kill(set(multiprocessing.active_children()) - before)
        raise
    pool.shutdown(wait=True)


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


def _lint_in_pool(items: List[Item], job: Job, jobs: int) -> List[Output]:
    jobs = min(jobs, _max_workers())
    size = max(1, min(16, len(items) // (jobs * 8) or 1))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    outputs: List[Output] = []
    failed: List[Item] = []
    with _pool(min(jobs, len(chunks)), job) as pool:
        futures, unsubmitted = _submit(pool, _lint_chunk, chunks)
        for chunk, future in futures:
            try:
                outputs.extend(future.result())
            except BrokenProcessPool:
                failed.extend(chunk)
        for chunk in unsubmitted:
            failed.extend(chunk)
    if failed:
        outputs.extend(_isolate_crashes(failed, job))
    return outputs


def _isolate_crashes(items: List[Item], job: Job) -> List[Output]:
    """A worker died (a rule crashed the interpreter). Lint the affected files one by one in
    a one-worker pool: the first file whose future breaks the pool is the culprit; the rest
    are retried in a fresh pool."""
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
    (`submit` raises BrokenProcessPool once the pool is broken)."""
    futures = []
    for position, task in enumerate(tasks):
        try:
            futures.append((task, pool.submit(function, task)))
        except BrokenProcessPool:
            return futures, list(tasks[position:])
    return futures, []


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
        self.entries = [
            (pathspec.GitIgnoreSpec.from_lines([glob]), codes)
            for glob, codes in settings.per_file_ignores
        ]
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
