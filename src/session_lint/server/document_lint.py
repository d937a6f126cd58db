"""Lint the text an editor holds for one file, as the CLI would lint that file on disk:
the settings of its project, its per-file ignores, and the index of its project root."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Type

from ..diagnostics import INTERNAL_ERROR, Diagnostic, Location
from ..engine import lint_source
from ..rule import Rule
from .project_indexes import ProjectIndexes
from .workspace_settings import SettingsStore


@dataclass(frozen=True)
class Snapshot:
    """A document's text at one version; what a lint reads and what its ranges refer to."""

    uri: str
    path: Optional[Path]  # None for a buffer that was never saved
    text: str
    version: Optional[int] = None


@dataclass
class DocumentResult:
    snapshot: Snapshot
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # "not fully checked" notes and tracebacks of rules that raised: for the log.
    warnings: List[str] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    # The configuration could not be used, or names unknown rules.
    problems: Tuple[str, ...] = ()


class DocumentLinter:
    def __init__(self, store: SettingsStore, indexes: ProjectIndexes, fallback_root: Path) -> None:
        self.store = store
        self.indexes = indexes
        self.fallback_root = fallback_root
        # Rules are created once and reused for every lint, as a runner worker does.
        self._instances: Dict[Type[Rule], Rule] = {}

    def lint(self, snapshot: Snapshot) -> DocumentResult:
        """Never raises: a failure of session-lint itself is an ORM002 on the file."""
        try:
            return self._lint(snapshot)
        except Exception as error:
            result = DocumentResult(snapshot)
            result.diagnostics.append(Diagnostic(
                code=INTERNAL_ERROR, message=f"session-lint failed on this file: {type(error).__name__}: {error}",
                filename=_filename(snapshot), location=Location(1, 1), end_location=Location(1, 1),
                noqa_row=1, statement_rows=(1,)))
            result.tracebacks.append(traceback.format_exc())
            return result

    def _lint(self, snapshot: Snapshot) -> DocumentResult:
        directory = snapshot.path.parent if snapshot.path is not None else self.fallback_root
        chosen = self.store.for_directory(directory)
        index = self.indexes.for_settings(chosen.settings)
        instances = [self._instance(rule) for rule in chosen.rules]
        linted = lint_source(snapshot.text, _filename(snapshot), chosen.rules, chosen.settings, index,
                             instances=instances)
        return DocumentResult(
            snapshot,
            [d for d in linted.diagnostics if chosen.reports(d.code, snapshot.path)],
            list(linted.warnings), list(linted.tracebacks), chosen.problems)

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
