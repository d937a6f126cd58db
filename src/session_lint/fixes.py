"""Fixes: the edits a rule attaches to a finding, and how edits are applied to text.

Nothing here knows about the command line, libcst or files, so the CLI's `--fix`, the
editor server's code actions and the tests share one model. Rows and columns are 1-based
and count code points, as a Diagnostic's location does; the JSON shape is ruff's
(`applicability`, `message`, `edits` with `content`, `location`, `end_location`).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .diagnostics import Location


class Applicability(str, Enum):
    # As in ruff: a safe fix keeps what the author meant and is applied by `--fix`; an
    # unsafe one changes behaviour on some input and waits for `--unsafe-fixes`.
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Edit:
    """Replace the text from `location` up to (not including) `end_location` by `content`;
    equal locations insert, empty content deletes."""

    location: Location
    end_location: Location
    content: str

    @classmethod
    def insertion(cls, at: Location, content: str) -> "Edit":
        return cls(at, at, content)


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: Tuple[Edit, ...]

    @classmethod
    def safe(cls, message: str, *edits: Edit) -> "Fix":
        return cls(Applicability.SAFE, message, tuple(edits))

    @classmethod
    def unsafe(cls, message: str, *edits: Edit) -> "Fix":
        return cls(Applicability.UNSAFE, message, tuple(edits))

    def applies(self, unsafe: bool) -> bool:
        """Whether `--fix` (with `--unsafe-fixes` when `unsafe`) applies this fix."""
        if not self.edits:
            return False
        return self.applicability is Applicability.SAFE or (unsafe and self.applicability is Applicability.UNSAFE)

    @property
    def start(self) -> Location:
        return min(edit.location for edit in self.edits)


# -- JSON ------------------------------------------------------------------------------------------
def _location_json(location: Location) -> Dict[str, int]:
    return {"row": location.row, "column": location.column}


def fix_to_json(fix: Optional[Fix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "message": fix.message,
        "edits": [
            {"content": edit.content, "location": _location_json(edit.location),
             "end_location": _location_json(edit.end_location)}
            for edit in fix.edits
        ],
    }


def fix_from_json(data: Any) -> Optional[Fix]:
    """The inverse of `fix_to_json`; ValueError for anything that is not such an object
    (a cache or a file from elsewhere must not become an edit of the user's code)."""
    if data is None:
        return None
    try:
        edits = tuple(
            Edit(_location_from_json(item["location"]), _location_from_json(item["end_location"]),
                 _string(item["content"]))
            for item in data["edits"]
        )
        return Fix(Applicability(data["applicability"]), _string(data["message"]), edits)
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a fix: {error}") from None


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r}")
    return value


def _location_from_json(value: Any) -> Location:
    row, column = value["row"], value["column"]
    if type(row) is not int or type(column) is not int or row < 1 or column < 1:
        raise ValueError(f"not a location: {value!r}")
    return Location(row, column)


# -- applying --------------------------------------------------------------------------------------
class EditError(ValueError):
    """Edits that point outside the text or overlap: the text is not the one they were made for."""


# The line breaks Python's tokenizer (and so libcst's positions) count.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Offsets of 1-based (row, column) positions in one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]

    def offset(self, location: Location) -> int:
        row, column = location.row, location.column
        if not 1 <= row <= len(self.starts) or column < 1:
            raise EditError(f"position {row}:{column} is outside the text ({len(self.starts)} lines)")
        start = self.starts[row - 1]
        end = self.starts[row] if row < len(self.starts) else len(self.text)
        offset = start + column - 1
        if offset > end:
            raise EditError(f"position {row}:{column} is past the end of line {row}")
        return offset

    def location(self, offset: int) -> Location:
        row = bisect.bisect_right(self.starts, offset)
        return Location(row, offset - self.starts[row - 1] + 1)


Span = Tuple[int, int, str]


def _spans(index: LineIndex, edits: Iterable[Edit]) -> List[Span]:
    spans = []
    for edit in edits:
        start, end = index.offset(edit.location), index.offset(edit.end_location)
        if end < start:
            raise EditError(f"edit ends ({edit.end_location}) before it starts ({edit.location})")
        spans.append((start, end, edit.content))
    return spans


def _conflict(first: Span, second: Span) -> bool:
    # Two insertions at one place, or an insertion at the start of a replacement, have no
    # defined order: they conflict as overlapping ranges do.
    return (first[0] < second[1] and second[0] < first[1]) or first[0] == second[0]


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with every edit made; EditError if two edits overlap or one lies outside it."""
    spans = sorted(set(_spans(LineIndex(text), edits)))
    for before, after in zip(spans, spans[1:]):
        if _conflict(before, after):
            raise EditError("overlapping edits")
    return _splice(text, spans)


def _splice(text: str, spans: Sequence[Span]) -> str:
    pieces: List[str] = []
    position = 0
    for start, end, content in spans:
        pieces.append(text[position:start])
        pieces.append(content)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def apply_fixes(text: str, fixes: Iterable[Fix]) -> Tuple[str, List[Fix]]:
    """Apply as many fixes as can go together, as `ruff --fix` does: in order of their first
    edit, a fix that overlaps an earlier one waits for the next pass (the caller lints the
    result again); an edit identical to one already made (the same import added by two
    fixes) is made once. Returns the new text and the fixes applied."""
    index = LineIndex(text)
    taken: List[Span] = []
    made: set = set()
    applied: List[Fix] = []
    candidates = []
    for fix in fixes:
        try:
            candidates.append((sorted(_spans(index, fix.edits)), fix))
        except EditError:
            continue  # made for another version of the text: never guess
    candidates.sort(key=lambda item: (item[0][0][:2] if item[0] else (0, 0)))
    for spans, fix in candidates:
        new = [span for span in spans if span not in made]
        if any(_conflict(a, b) for a, b in zip(new, new[1:])):
            continue
        if any(_conflict(span, other) for span in new for other in taken):
            continue
        taken.extend(new)
        made.update(new)
        applied.append(fix)
    return _splice(text, sorted(made)), applied
