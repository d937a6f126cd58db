"""Results cache: a file's findings are reused while its content, the settings, the rule
set (with plugin versions) and the project index are all unchanged.

One JSON file per cache directory maps each linted path to the key its results were
computed under; a file whose key differs is linted again. A damaged or unreadable cache is
ignored (and rewritten), never trusted.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from ._version import __version__
from .diagnostics import INTERNAL_ERROR, Diagnostic, Location

CACHE_DIR_NAME = ".session_lint_cache"
_FORMAT = 1


def run_key(settings_fingerprint: str, rule_codes: List[str], rule_versions: str, index_fingerprint: str) -> str:
    """Everything besides the file's own bytes that decides its findings."""
    text = json.dumps([_FORMAT, __version__, settings_fingerprint, sorted(rule_codes), rule_versions,
                       index_fingerprint])
    return hashlib.sha256(text.encode()).hexdigest()


def file_key(data: bytes, run: str) -> str:
    return hashlib.sha256(run.encode() + b"\0" + data).hexdigest()


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / f"results-v{_FORMAT}.json"
        self._entries: Dict[str, Dict[str, object]] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("files"), dict):
                self._entries = data["files"]
        except (OSError, ValueError):
            self._entries = {}

    def get(self, filename: str, key: str) -> Optional[List[Diagnostic]]:
        entry = self._entries.get(filename)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        try:
            return [_decode(item, filename) for item in entry["diagnostics"]]  # type: ignore[union-attr]
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, filename: str, key: str, diagnostics: List[Diagnostic]) -> None:
        if any(d.code == INTERNAL_ERROR for d in diagnostics):
            return  # a crash may be fixed by the next release or be transient: never cache it
        self._entries[filename] = {"key": key, "diagnostics": [_encode(d) for d in diagnostics]}
        self._dirty = True

    def save(self) -> Optional[str]:
        """Write the cache; returns a problem description instead of raising."""
        if not self._dirty:
            return None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by session-lint.\n*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".results-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"format": _FORMAT, "files": self._entries}, stream)
            os.replace(temporary, self.path)  # atomic: parallel runs never read half a file
        except OSError as error:
            return f"cannot write the cache in {self.directory}: {error.strerror or error}"
        return None


def _encode(diagnostic: Diagnostic) -> List[object]:
    return [
        diagnostic.code, diagnostic.message, diagnostic.location.row, diagnostic.location.column,
        diagnostic.end_location.row, diagnostic.end_location.column, diagnostic.noqa_row,
        diagnostic.hint, diagnostic.url, list(diagnostic.statement_rows),
    ]


def _decode(item: List[object], filename: str) -> Diagnostic:
    code, message, row, column, end_row, end_column, noqa_row, hint, url, rows = item
    return Diagnostic(
        code=str(code), message=str(message), filename=filename,
        location=Location(int(row), int(column)),  # type: ignore[arg-type]
        end_location=Location(int(end_row), int(end_column)),  # type: ignore[arg-type]
        noqa_row=int(noqa_row),  # type: ignore[arg-type]
        hint=hint if isinstance(hint, str) else None,
        url=url if isinstance(url, str) else None,
        statement_rows=tuple(int(r) for r in rows),  # type: ignore[union-attr]
    )
