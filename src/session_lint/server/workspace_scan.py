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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from ..diagnostics import ENGINE_CODES, Diagnostic
from ..settings import Settings

# (path, its diagnostics, the text of the rows they name): enough to place the ranges in
# the client's position encoding without sending whole files back.
FileOutcome = Tuple[str, List[Diagnostic], Dict[int, str]]


@dataclass(frozen=True)
class ScanRequest:
    root: str
    settings: Settings
    # The rule codes that run, as the editor's settings select them.
    codes: Tuple[str, ...]
    # Resolved paths of the open documents.
    skip: FrozenSet[str] = frozenset()


@dataclass
class ScanSummary:
    files: int = 0
    files_with_findings: int = 0
    findings: int = 0
    cancelled: bool = False
    error: Optional[str] = None

    def as_json(self) -> Dict[str, Any]:
        return {"files": self.files, "filesWithFindings": self.files_with_findings,
                "findings": self.findings, "cancelled": self.cancelled, "error": self.error}


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
    from ..discovery import collect_files
    from ..engine import decode_source, lint_source, read_source
    from ..project_index import ProjectIndex
    from ..registry import load_rules
    from ..runner import _PerFileIgnores
    from ..settings import ignored_for_file

    ruleset = load_rules()
    rules = [ruleset.rules[code] for code in request.codes if code in ruleset.rules]
    instances = [rule() for rule in rules]
    files = [path for path in collect_files([request.root], request.settings).files
             if str(_resolve(path)) not in request.skip]
    sender.send(("total", len(files)))
    index = ProjectIndex.scan(files)
    per_file = _PerFileIgnores(request.settings)
    enabled = frozenset(request.codes) | frozenset(ENGINE_CODES)
    for path in files:
        name = str(path)
        try:
            data = read_source(path)
        except OSError:
            sender.send(("file", (name, [], {})))  # it went away, or is no regular file
            continue
        result = lint_source(data, name, rules, request.settings, index, instances=instances)
        ignored = per_file.codes_for(name)
        found = [d for d in result.diagnostics
                 if d.code in enabled and not (ignored and ignored_for_file(d.code, ignored))]
        rows: Dict[int, str] = {}
        if found:
            text, _ = decode_source(data)
            lines = (text or "").splitlines()
            for diagnostic in found:
                for row in (diagnostic.location.row, diagnostic.end_location.row):
                    if 0 < row <= len(lines):
                        rows[row] = lines[row - 1]
        sender.send(("file", (name, found, rows)))
    sender.send(("done", None))


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
