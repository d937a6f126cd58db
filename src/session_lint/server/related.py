"""The other lines a finding's message names ("`session.close()` on line 18", "when it
ended on line 22", "`SessionLocal` (line 11)"), for LSP's `relatedInformation`: the
commit that is never reached, the session's end, the factory to configure.

Findings carry no structured related locations: the rules write those lines into their
messages, so they are read back from the text here. A field of `Diagnostic` (row, column
and label per related place, filled by the rules) would be exact where this is a good
guess: the label is the clause of the message that names the line, the range the code the
clause quotes when that is found on the line, the whole line otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

_LINE = re.compile(r"\bline (\d+)\b")
# Where a clause of a message starts (outside `code`): the message's own punctuation.
_BOUNDARY = re.compile(r"[:;,]\s+(?:(?:and|or|but|which|so)\s+)?|\s+(?:and|or|but|which|so)\s+")
_CODE = re.compile(r"`([^`]+)`")
# The end of a clause that says it best alone: "`session.commit()` on line 17",
# "`SessionLocal` (line 11)", "`not_closed()` returns on line 13", "the `for` loop on line 9".
_SHORT = re.compile(r"(?:the )?`[^`]+`\s+(?:loop |returns |raises )?(?:on line \d+|\(line \d+\))$")
_MAX_LABEL = 100


@dataclass(frozen=True)
class NamedLine:
    row: int  # 1-based
    label: str  # the words of the message that name the line
    code: Optional[str] = None  # the last code the label quotes, to find on the line


def named_lines(text: str) -> List[NamedLine]:
    """Every "line N" of `text`, in order, each row once."""
    found: List[NamedLine] = []
    seen = set()
    for match in _LINE.finditer(text):
        if _inside_code(text, match.start()):
            continue  # a quoted piece of code that happens to say "line 3"
        row = int(match.group(1))
        if row in seen or row <= 0:
            continue
        seen.add(row)
        end = match.end()
        if text[end:end + 1] == ")" and text[:match.start()].rstrip().endswith("("):
            end += 1  # "`SessionLocal` (line 11)"
        label = (_clause_before(text, match.start()) + text[match.start():end]).strip()
        short = _SHORT.search(label)
        if short is not None:
            label = short.group(0)
        codes = _CODE.findall(label)
        if len(label) > _MAX_LABEL:
            label = "…" + label[-(_MAX_LABEL - 1):]
        found.append(NamedLine(row, label, codes[-1] if codes else None))
    return found


def place_on_line(line: str, code: Optional[str]) -> Tuple[int, int]:
    """(start, end) columns, in code points, of what to underline on a named line: the
    quoted code where the line holds it, else the line without its indentation."""
    if code:
        column = line.find(code)
        if column >= 0:
            return column, column + len(code)
    stripped = line.rstrip()
    start = len(stripped) - len(stripped.lstrip())
    return start, len(stripped)


def _inside_code(text: str, position: int) -> bool:
    return text.count("`", 0, position) % 2 == 1


def _clause_before(text: str, end: int) -> str:
    """The text from the start of the clause that holds position `end` up to it: after the
    last boundary outside `code`."""
    start = 0
    for boundary in _BOUNDARY.finditer(text, 0, end):
        if not _inside_code(text, boundary.start()):
            start = boundary.end()
    return text[start:end]
