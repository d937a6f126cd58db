"""Lint many files: read, lint in worker processes, apply per-file ignores, collect."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Type

import pathspec

from .diagnostics import INTERNAL_ERROR, Diagnostic, Location
from .engine import LintResult, lint_source
from .project_index import ProjectIndex
from .rule import Rule
from .settings import Settings, ignored_for_file


@dataclass
class RunReport:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # Files that could not be read: one line each, and exit code 2.
    errors: List[Tuple[str, str]] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    files_checked: int = 0


@dataclass(frozen=True)
class Job:
    rules: Tuple[Type[Rule], ...]
    settings: Settings
    index: ProjectIndex


_worker_job: Optional[Job] = None
_worker_rules: Optional[List[Rule]] = None


def _init_worker(job: Job) -> None:
    global _worker_job, _worker_rules
    _worker_job = job
    _worker_rules = [rule() for rule in job.rules]


def _lint_file(path: str) -> Tuple[str, Optional[LintResult], Optional[str]]:
    assert _worker_job is not None and _worker_rules is not None
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return path, None, "the file disappeared before it could be read"
    except IsADirectoryError:
        return path, None, "is a directory"
    except OSError as error:
        return path, None, f"cannot read: {error.strerror or error}"
    result = lint_source(data, path, _worker_job.rules, _worker_job.settings, _worker_job.index,
                         instances=_worker_rules)
    return path, result, None


def _lint_chunk(paths: Sequence[str]):
    return [_lint_file(path) for path in paths]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def lint_files(files: Sequence[Path], rules: Sequence[Type[Rule]], settings: Settings,
               jobs: int = 1, index: Optional[ProjectIndex] = None) -> RunReport:
    if index is None:
        index = ProjectIndex.scan(files)
    job = Job(tuple(rules), settings, index)
    names = [str(path) for path in files]
    outputs: List[Tuple[str, Optional[LintResult], Optional[str]]] = []
    if jobs <= 1 or len(names) < 4:
        _init_worker(job)
        outputs = [_lint_file(name) for name in names]
    else:
        outputs = _lint_in_pool(names, job, jobs)
    report = RunReport()
    per_file = _PerFileIgnores(settings)
    for name, result, problem in outputs:
        if problem is not None:
            report.errors.append((name, problem))
            continue
        assert result is not None
        report.files_checked += 1
        ignored = per_file.codes_for(name)
        report.diagnostics.extend(
            d for d in result.diagnostics if not (ignored and ignored_for_file(d.code, ignored))
        )
        report.tracebacks.extend(result.tracebacks)
    report.diagnostics.sort(key=lambda d: d.sort_key)
    return report


def _lint_in_pool(names: List[str], job: Job, jobs: int):
    chunk = max(1, min(32, len(names) // (jobs * 4) or 1))
    chunks = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    outputs = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(job,)) as pool:
        futures = [(paths, pool.submit(_lint_chunk, paths)) for paths in chunks]
        for paths, future in futures:
            try:
                outputs.extend(future.result())
            except BrokenProcessPool:
                outputs.extend(_crashed(path) for path in paths)
    return outputs


def _crashed(path: str) -> Tuple[str, LintResult, None]:
    result = LintResult()
    result.diagnostics.append(Diagnostic(
        code=INTERNAL_ERROR,
        message="the worker process linting this file died (a rule crashed the interpreter)",
        filename=path, location=Location(1, 1), end_location=Location(1, 1), noqa_row=1,
        statement_rows=(1,),
    ))
    return path, result, None


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
