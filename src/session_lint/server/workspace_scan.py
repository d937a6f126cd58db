"""Lint a whole workspace folder in the background, as `session-lint .` run there would.

The work runs in a separate process, niced: the server's own process keeps its CPU time
(and the interpreter lock) for the open documents, a cancelled scan ends at once (the
process is killed), and the memory of thousands of parsed files is given back when it
exits. Open documents are not linted by the scan: the editor's text is newer than the
file on disk, and their diagnostics are the server's live ones.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from ..diagnostics import ENGINE_CODES, Diagnostic
from ..settings import Settings

# (path, its diagnostics, the text of the rows they name): enough to place the ranges in
# the client's position encoding without sending whole files back.
FileOutcome = Tuple[str, List[Diagnostic], Dict[int, str]]
# Seconds between two saves of the results cache during a scan (each rewrites its file).
_SAVE_EVERY = 5.0


@dataclass(frozen=True)
class ScanRequest:
    root: str
    settings: Settings
    # The rule codes that run, as the editor's settings select them.
    codes: Tuple[str, ...]
    # Resolved paths of the open documents.
    skip: FrozenSet[str] = frozenset()
    # Read and write session-lint's results cache, as the CLI does by default.
    use_cache: bool = True


@dataclass
class ScanSummary:
    files: int = 0
    files_with_findings: int = 0
    findings: int = 0
    cancelled: bool = False
    error: Optional[str] = None
    # Files whose findings came from the results cache (not linted again).
    files_from_cache: int = 0
    # The results cache could not be used or saved: for the server's log.
    warnings: List[str] = field(default_factory=list)

    def as_json(self) -> Dict[str, Any]:
        return {"files": self.files, "filesWithFindings": self.files_with_findings,
                "findings": self.findings, "filesFromCache": self.files_from_cache, "cancelled": self.cancelled,
                "error": self.error}


class WorkspaceScan:
    """One scan; `cancel()` may be called from the event loop at any time."""

    def __init__(self) -> None:
        self._process: Optional[multiprocessing.process.BaseProcess] = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._kill()

    async def run(self, request: ScanRequest, on_total: Callable[[int], None],
                  on_file: Callable[[FileOutcome], None]) -> ScanSummary:
        summary = ScanSummary()
        if self.cancelled:
            summary.cancelled = True
            return summary
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_work, args=(sender, request), daemon=True,
                                        name="session-lint-workspace-scan")
        loop = asyncio.get_running_loop()
        try:
            self._process.start()
            sender.close()
            while True:
                try:
                    kind, payload = await loop.run_in_executor(None, receiver.recv)
                except (EOFError, OSError):
                    if not self.cancelled:
                        summary.error = "the workspace scan process ended unexpectedly"
                    break
                if kind == "total":
                    on_total(payload)
                elif kind == "file":
                    summary.files += 1
                    if payload[1]:
                        summary.files_with_findings += 1
                        summary.findings += len(payload[1])
                    on_file(payload)
                elif kind == "error":
                    summary.error = payload
                elif kind == "warning":
                    summary.warnings.append(payload)
                elif kind == "cached":
                    summary.files_from_cache = payload
                else:  # "done"
                    break
        finally:
            self._kill()
            receiver.close()
        summary.cancelled = self.cancelled
        return summary

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
            process.join(1.0)


def _work(sender: Any, request: ScanRequest) -> None:
    """The scan process: `session-lint <root>` with the editor's rule selection, one
    message per file."""
    try:
        os.nice(5)
    except (AttributeError, OSError):  # not on this platform, or not allowed: run as is
        pass
    try:
        _scan(sender, request)
    except BaseException as error:  # reported to the server, which stays up
        try:
            sender.send(("error", f"{type(error).__name__}: {error}"))
        except (OSError, ValueError):
            pass
    finally:
        sender.close()


def _scan(sender: Any, request: ScanRequest) -> None:
    """As `session-lint <root>` with its results cache: an unchanged file (same bytes, same
    settings, rules and project index) is not linted again, and one whose status (size,
    times, inode) is the one recorded is not even read; the CLI and the scan share the
    entries. The cache is saved every few seconds, so a cancelled scan keeps its work."""
    import time

    from ..cache import digest_key, run_key
    from ..discovery import collect_files
    from ..engine import decode_source, lint_source
    from ..project_index import ProjectIndex
    from ..registry import load_rules
    from ..runner import _PerFileIgnores, _Sources
    from ..settings import ignored_for_file
    from .convert import split_lines
    from .related import named_lines

    ruleset = load_rules()
    rules = [ruleset.rules[code] for code in request.codes if code in ruleset.rules]
    instances = [rule() for rule in rules]
    settings = request.settings
    every_file = collect_files([request.root], settings).files
    files = [path for path in every_file if str(_resolve(path)) not in request.skip]
    sender.send(("total", len(files)))
    cache = _open_cache(settings, sender) if request.use_cache else None
    sources = _Sources(cache)
    # The index is the CLI's for `session-lint <root>`: every file on disk, open ones too.
    names, _ = sources.load(every_file)
    index = ProjectIndex.from_scans((Path(name), sources.scan(name)) for name in names)
    sources.remember(names)  # the files read now need not be read by the next run
    key = run_key(settings.fingerprint(), [rule.code for rule in rules], ruleset.versions(), index.fingerprint())
    readable = set(names)
    per_file = _PerFileIgnores(settings)
    enabled = frozenset(request.codes) | frozenset(ENGINE_CODES)
    saved = time.monotonic()
    from_cache = 0
    for path in files:
        name = str(path)
        found: Optional[List[Diagnostic]] = None
        data: Optional[bytes] = None
        try:
            if name not in readable:
                raise OSError(name)
            file_key = digest_key(sources.digest(name), key) if cache is not None else ""
            found = cache.get(name, file_key) if cache is not None else None
            if found is not None:
                from_cache += 1
            else:
                data = sources.data(name)
                result = lint_source(data, name, rules, settings, index, instances=instances)
                found = result.diagnostics
                if cache is not None and not result.warnings:  # a cached result would lose them
                    cache.put(name, file_key, found)
        except OSError:
            sender.send(("file", (name, [], {})))  # it went away, or is no regular file
            continue
        finally:
            sources.release([name])
        ignored = per_file.codes_for(name)
        shown = [d for d in found if d.code in enabled and not (ignored and ignored_for_file(d.code, ignored))]
        rows: Dict[int, str] = {}
        if shown:
            if data is None:
                data = _read(name)
            text, _ = decode_source(data) if data is not None else (None, None)
            lines = split_lines(text or "")
            for diagnostic in shown:
                named = [line.row for line in named_lines(f"{diagnostic.message}\n{diagnostic.hint or ''}")]
                for row in (diagnostic.location.row, diagnostic.end_location.row, *named):
                    if 0 < row <= len(lines):
                        rows[row] = lines[row - 1].rstrip("\r\n")
        sender.send(("file", (name, shown, rows)))
        if cache is not None and time.monotonic() - saved > _SAVE_EVERY:
            _save(cache, sender)
            saved = time.monotonic()
    if cache is not None:
        _save(cache, sender)
    sender.send(("cached", from_cache))
    sender.send(("done", None))


def _open_cache(settings: Settings, sender: Any) -> Optional[Any]:
    """The results cache `session-lint` uses for this project (its default directory), or
    None when it cannot be used (a symbolic link, tracked by git: the warning says why)."""
    from ..cache import ResultCache, default_cache_directory
    from ..config import is_project_root

    is_project = settings.config_path is not None or is_project_root(settings.root)
    cache = ResultCache(default_cache_directory(settings.root, is_project))
    for warning in cache.take_warnings():
        sender.send(("warning", warning))
    return cache if cache.usable else None


def _save(cache: Any, sender: Any) -> None:
    problem = cache.save()
    if problem:
        sender.send(("warning", problem))


def _read(name: str) -> Optional[bytes]:
    from ..engine import read_source

    try:
        return read_source(name)
    except OSError:
        return None


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
