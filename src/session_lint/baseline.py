"""Baselines: record today's findings, report only new ones from then on.

A finding is recognised by its file (relative to the baseline file), its code, the source
of the statement that holds it with comments and layout normalised away, and its index
among the findings with those three in common. Line numbers are left out on purpose: a
line inserted above a finding, a reformatted statement or a comment changes none of these.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .diagnostics import ENGINE_CODES, Diagnostic

FORMAT = 1
_KIND = "session-lint-baseline"
_SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                             tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING})

# (filename, row) -> the line's text, or None past the end.
LineSource = Callable[[str, int], Optional[str]]


class BaselineError(Exception):
    """The baseline file cannot be read or is not a baseline."""


@dataclass(frozen=True)
class Entry:
    path: str
    code: str
    statement: str  # a hash of the normalised statement source
    occurrence: int
    # For people reviewing the file and for stale entries; not part of the identity.
    row: int = 0
    message: str = ""

    @property
    def key(self) -> Tuple[str, str, str, int]:
        return self.path, self.code, self.statement, self.occurrence


def normalised_statement(diagnostic: Diagnostic, lines: LineSource) -> str:
    """The statement's tokens joined by single spaces: no comments, indentation or line breaks."""
    rows = sorted(set(diagnostic.statement_rows)) or [diagnostic.location.row]
    source = "".join((lines(diagnostic.filename, row) or "") + "\n" for row in rows)
    try:
        tokens = [token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
                  if token.type not in _SKIPPED_TOKENS]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # A header cut out of a longer statement (an open string): whitespace alone is normalised.
        return " ".join(source.split())
    return " ".join(tokens)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _relative(filename: str, base: Path) -> str:
    path = Path(filename).resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def entries(diagnostics: Sequence[Diagnostic], lines: LineSource, base: Path) -> List[Tuple[Diagnostic, Entry]]:
    """Each finding with its baseline entry; `base` is the baseline file's directory.
    Engine findings (a file that cannot be parsed) are never baselined."""
    counts: Counter = Counter()
    paired = []
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key):
        if diagnostic.code in ENGINE_CODES:
            continue
        path = _relative(diagnostic.filename, base)
        statement = _hash(normalised_statement(diagnostic, lines))
        occurrence = counts[(path, diagnostic.code, statement)]
        counts[(path, diagnostic.code, statement)] += 1
        paired.append((diagnostic, Entry(path, diagnostic.code, statement, occurrence,
                                         diagnostic.location.row, diagnostic.message)))
    return paired


@dataclass
class Split:
    shown: List[Diagnostic]
    hidden: List[Diagnostic]
    stale: List[Entry]


class Baseline:
    def __init__(self, path: Path, recorded: Iterable[Entry]) -> None:
        self.path = path
        self.base = path.resolve().parent
        self.recorded = list(recorded)

    @classmethod
    def load(cls, path: Path) -> "Baseline":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise BaselineError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise BaselineError(f"{path}: not a baseline file (invalid JSON: {error})") from None
        if not isinstance(data, dict) or data.get("kind") != _KIND or data.get("format") != FORMAT \
                or not isinstance(data.get("findings"), list):
            raise BaselineError(f"{path}: not a session-lint baseline (format {FORMAT}); "
                                "write one with --write-baseline")
        try:
            recorded = [Entry(str(item["path"]), str(item["code"]), str(item["statement"]),
                              int(item["occurrence"]), int(item.get("line", 0)), str(item.get("message", "")))
                        for item in data["findings"]]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BaselineError(f"{path}: a baseline entry is damaged ({error!r})") from None
        return cls(path, recorded)

    def split(self, diagnostics: Sequence[Diagnostic], lines: LineSource,
              checked: Optional[Iterable[str]] = None) -> Split:
        """The findings not in the baseline, those it hides, and its entries no finding
        matched (stale: fixed since, or changed beyond recognition). Only entries of files
        this run `checked` can be stale: linting one file says nothing about the others."""
        remaining: Dict[Tuple[str, str, str, int], Entry] = {entry.key: entry for entry in self.recorded}
        shown: List[Diagnostic] = [d for d in diagnostics if d.code in ENGINE_CODES]
        hidden: List[Diagnostic] = []
        for diagnostic, entry in entries(diagnostics, lines, self.base):
            if remaining.pop(entry.key, None) is not None:
                hidden.append(diagnostic)
            else:
                shown.append(diagnostic)
        shown.sort(key=lambda d: d.sort_key)
        scope = None if checked is None else {_relative(name, self.base) for name in checked}
        stale = [entry for entry in remaining.values() if scope is None or entry.path in scope]
        stale.sort(key=lambda e: (e.path, e.row, e.code))
        return Split(shown, hidden, stale)

    def not_hidden(self, diagnostics: Sequence[Diagnostic], lines: LineSource) -> List[Diagnostic]:
        """The findings (of one file) that the baseline does not hide."""
        return self.split(diagnostics, lines, checked=()).shown


def write(path: Path, diagnostics: Sequence[Diagnostic], lines: LineSource) -> int:
    """Record `diagnostics` in a new baseline at `path` (atomically); returns how many."""
    path = Path(path)
    base = path.resolve().parent
    recorded = [entry for _, entry in entries(diagnostics, lines, base)]
    recorded.sort(key=lambda e: (e.path, e.row, e.code, e.occurrence))
    document = {
        "kind": _KIND,
        "format": FORMAT,
        "findings": [{"path": e.path, "code": e.code, "statement": e.statement, "occurrence": e.occurrence,
                      "line": e.row, "message": e.message} for e in recorded],
    }
    temporary = path.with_name(f".{path.name}.session-lint")
    with open(temporary, "w", encoding="utf-8", newline="\n") as stream:
        json.dump(document, stream, indent=1, ensure_ascii=True)
        stream.write("\n")
    os.replace(temporary, path)
    return len(recorded)


def fingerprints(diagnostics: Sequence[Diagnostic], lines: LineSource, base: Path) -> Dict[int, str]:
    """id(diagnostic) -> a fingerprint that survives edits elsewhere in the file, for the
    reports whose readers match findings across runs (GitLab code quality, SARIF)."""
    return {id(diagnostic): _hash("\0".join(map(str, entry.key))) for diagnostic, entry in
            entries(diagnostics, lines, base)}
