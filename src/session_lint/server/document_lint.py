"""Lint the text an editor holds for one file, as the CLI would lint that file on disk:
the settings of its project, its per-file ignores, and the index of its project root."""
from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from ..diagnostics import INTERNAL_ERROR, Diagnostic, Location
from ..engine import lint_source
from ..rule import Rule
from ..semantic.positions import StatementPositions, reusing
from .incremental_parse import IncrementalParser
from .project_indexes import ProjectIndexes
from .worker import on_big_stack
from .workspace_settings import SettingsStore


@dataclass(frozen=True)
class Snapshot:
    """A document's text at one version; what a lint reads and what its ranges refer to."""

    uri: str
    path: Optional[Path]  # None for a buffer that was never saved
    text: str
    version: Optional[int] = None


class Abandon:
    """Asks a lint to stop because its text has been edited again (its result would not
    be published). Requested from the event loop, heard on the lint thread."""

    def __init__(self) -> None:
        self.requested = False
        self._listeners: List[Callable[[], None]] = []

    def request(self) -> None:
        self.requested = True
        for listener in list(self._listeners):
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` on request, or now if it was requested already (a race of the
        two threads may call it twice: it must not mind)."""
        self._listeners.append(listener)
        if self.requested:
            listener()


@dataclass
class DocumentResult:
    snapshot: Snapshot
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # "not fully checked" notes and tracebacks of rules that raised: for the log.
    warnings: List[str] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    # The configuration could not be used, or names unknown rules.
    problems: Tuple[str, ...] = ()
    # Milliseconds per phase, for the debug log and benchmarks/server_latency.py.
    timings: Dict[str, float] = field(default_factory=dict)


class DocumentLinter:
    def __init__(self, store: SettingsStore, indexes: ProjectIndexes, fallback_root: Path) -> None:
        self.store = store
        self.indexes = indexes
        self.fallback_root = fallback_root
        # Rules are created once and reused for every lint, as a runner worker does.
        self._instances: Dict[Type[Rule], Rule] = {}
        # Per open document: its statements as last parsed, and their positions, so that
        # an edit costs the parse and the positions of the statement it touched, not of
        # the whole file.
        self._parsers: Dict[str, IncrementalParser] = {}
        self._positions: Dict[str, StatementPositions] = {}

    def forget(self, uri: str) -> None:
        """The document closed: its parse is not kept."""
        self._parsers.pop(uri, None)
        self._positions.pop(uri, None)

    def lint(self, snapshot: Snapshot, abandon: Optional[Abandon] = None) -> DocumentResult:
        """Never raises: a failure of session-lint itself is an ORM002 on the file. An
        abandoned lint returns early with whatever it found (not to be published)."""
        try:
            return self._lint(snapshot, abandon)
        except Exception as error:
            result = DocumentResult(snapshot)
            result.diagnostics.append(Diagnostic(
                code=INTERNAL_ERROR, message=f"session-lint failed on this file: {type(error).__name__}: {error}",
                filename=_filename(snapshot), location=Location(1, 1), end_location=Location(1, 1),
                noqa_row=1, statement_rows=(1,)))
            result.tracebacks.append(traceback.format_exc())
            return result

    def _lint(self, snapshot: Snapshot, abandon: Optional[Abandon]) -> DocumentResult:
        started = time.perf_counter()
        directory = snapshot.path.parent if snapshot.path is not None else self.fallback_root
        chosen = self.store.for_directory(directory)
        # As ruff's server: a file the project excludes gets no diagnostics, even when it
        # is opened (a vendored module, a generated one, a migration the team leaves alone).
        if snapshot.path is not None and chosen.excludes(snapshot.path):
            return DocumentResult(snapshot, problems=chosen.problems,
                                  timings={"settings": _ms(started, time.perf_counter())})
        looked_up = time.perf_counter()
        index = self.indexes.for_settings(chosen.settings)
        instances = [self._instance(rule) for rule in chosen.rules]
        indexed = time.perf_counter()
        parser = self._parsers.get(snapshot.uri)
        if parser is None:
            parser = self._parsers[snapshot.uri] = IncrementalParser()
        parser.parsed = parser.reused = 0  # what this lint parses (nothing, for a file without evidence)
        parser.seconds = 0.0
        positions = self._positions.get(snapshot.uri)
        if positions is None:
            positions = self._positions[snapshot.uri] = StatementPositions()
        positions.printed = positions.reused = 0
        # On the server's long-lived big-stack worker the engine needs no thread of its own
        # (and the positions kept are seen only by a model made on this thread).
        in_caller_thread = on_big_stack()
        with reusing(positions) if in_caller_thread else nullcontext():
            linted = lint_source(snapshot.text, _filename(snapshot), chosen.rules, chosen.settings, index,
                                 instances=instances, in_caller_thread=in_caller_thread, parse=parser,
                                 on_model=_stopped_by(abandon) if abandon is not None else None)
        finished = time.perf_counter()
        return DocumentResult(
            snapshot,
            [d for d in linted.diagnostics if chosen.reports(d.code, snapshot.path)],
            list(linted.warnings), list(linted.tracebacks), chosen.problems,
            timings={"settings": _ms(started, looked_up), "index": _ms(looked_up, indexed),
                     "engine": _ms(indexed, finished), "parse": round(parser.seconds * 1000, 1),
                     "chunks_parsed": parser.parsed, "chunks_reused": parser.reused,
                     "positions_printed": positions.printed, "positions_reused": positions.reused})

    def _instance(self, rule: Type[Rule]) -> Rule:
        instance = self._instances.get(rule)
        if instance is None:
            instance = self._instances[rule] = rule()
        return instance


def _filename(snapshot: Snapshot) -> str:
    if snapshot.path is not None:
        return str(snapshot.path)
    # An unsaved buffer: its name still tells test code from application code.
    return snapshot.uri.rstrip("/").rpartition("/")[2] or "untitled.py"


def _stopped_by(abandon: Abandon) -> Callable[[Any], None]:
    """The engine's `on_model`: an abandoned lint ends the analysis at its next check of
    the model's deadline (within a statement's flow, or before the next rule)."""
    def attach(model: Any) -> None:
        abandon.listen(lambda: setattr(model, "deadline", 0.0))
    return attach


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 1)
