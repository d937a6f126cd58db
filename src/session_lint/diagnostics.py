"""What a finding is, independent of how it was found or how it is printed."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .fixes import Fix

# Codes the engine itself emits; they are not rules and cannot be disabled by a plugin.
PARSE_ERROR = "ORM001"
INTERNAL_ERROR = "ORM002"
ENGINE_CODES = {
    PARSE_ERROR: "syntax-error: the file could not be parsed, so it was not checked",
    INTERNAL_ERROR: "internal-error: a rule raised on this file; the other rules still ran",
}


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and a 1-based column, as ruff and flake8 print them."""

    row: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    filename: str
    location: Location
    end_location: Location
    # The first row of the statement holding the finding; `# noqa` is honoured on any row
    # of that statement, and tools that add `# noqa` comments put them here.
    noqa_row: int
    hint: Optional[str] = None
    url: Optional[str] = None
    # Rows covered by the statement that holds the finding (for noqa matching).
    statement_rows: tuple = field(default=(), compare=False, repr=False)
    # The rule's proposed edit (`fixes.Fix`), if it has one. Not part of a finding's
    # identity: the same mistake is the same finding whether or not a fix is offered.
    fix: Optional["Fix"] = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.filename, self.location.row, self.location.column, self.code)
