"""Turn diagnostics into text for people, JSON for tools, annotations for GitHub."""
from __future__ import annotations

import json
import unicodedata
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence

from .diagnostics import ENGINE_CODES, Diagnostic

FORMATS = ("full", "concise", "json", "github")
LineSource = Callable[[str, int], Optional[str]]


def format_diagnostics(diagnostics: Sequence[Diagnostic], output_format: str, lines: LineSource) -> str:
    if output_format == "json":
        return format_json(diagnostics)
    if output_format == "github":
        return "".join(format_github(d) + "\n" for d in diagnostics)
    if output_format == "concise":
        return "".join(format_concise(d) + "\n" for d in diagnostics)
    return "".join(format_full(d, lines) for d in diagnostics)


# Control characters, lone surrogates (undecodable bytes kept by surrogateescape), line and
# paragraph separators, and format characters such as bidi overrides.
_UNPRINTABLE = frozenset(("Cc", "Cs", "Zl", "Zp", "Cf"))
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` safe for a line of text output: a newline in a file name would start a fake
    finding for whoever reads the lines, an escape sequence would drive the terminal, and a
    lone surrogate cannot be encoded at all. Those characters are written as escapes."""
    if text.isprintable():  # the common case: isprintable() is False for every character escaped
        return text
    return "".join(_escape(char) if unicodedata.category(char) in _UNPRINTABLE else char for char in text)


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # the byte that os.fsdecode could not decode
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def format_concise(diagnostic: Diagnostic) -> str:
    location = diagnostic.location
    return (f"{printable(diagnostic.filename)}:{location.row}:{location.column}: "
            f"{diagnostic.code} {printable(diagnostic.message)}")


def format_full(diagnostic: Diagnostic, lines: LineSource) -> str:
    out = [format_concise(diagnostic)]
    row = diagnostic.location.row
    text = lines(diagnostic.filename, row)
    if text is not None and diagnostic.code not in ENGINE_CODES:
        # (a line of a hostile file may hold escape sequences too)
        text = printable(text.rstrip("\r\n").expandtabs(4))
        gutter = " " * len(str(row))
        start = diagnostic.location.column - 1
        if diagnostic.end_location.row == row:
            width = max(1, diagnostic.end_location.column - diagnostic.location.column)
        else:
            width = max(1, len(text) - start)
        out.append(f"{gutter} |")
        out.append(f"{row} | {text}")
        out.append(f"{gutter} | {' ' * start}{'^' * width} {diagnostic.code}")
        if diagnostic.hint:
            out.append(f"{gutter} = help: {printable(diagnostic.hint)}")
    elif diagnostic.hint:
        out.append(f"  = help: {printable(diagnostic.hint)}")
    return "\n".join(out) + "\n\n"


def to_json_item(diagnostic: Diagnostic) -> Dict[str, object]:
    """One finding with ruff's JSON keys, so tools that read ruff's output read ours."""
    return {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "filename": diagnostic.filename,
        "location": {"row": diagnostic.location.row, "column": diagnostic.location.column},
        "end_location": {"row": diagnostic.end_location.row, "column": diagnostic.end_location.column},
        "fix": None,
        "url": diagnostic.url,
        "noqa_row": diagnostic.noqa_row,
    }


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    # ensure_ascii keeps the output valid whatever bytes a file name or message holds.
    return json.dumps([to_json_item(d) for d in diagnostics], indent=2, ensure_ascii=True) + "\n"


def _escape_data(value: str) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(value)  # what is left: other control characters, undecodable bytes


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostic: Diagnostic) -> str:
    level = "error" if diagnostic.code in ENGINE_CODES else "warning"
    properties = ",".join(
        [
            f"file={_escape_property(diagnostic.filename)}",
            f"line={diagnostic.location.row}",
            f"col={diagnostic.location.column}",
            f"endLine={diagnostic.end_location.row}",
            f"endColumn={diagnostic.end_location.column}",
            f"title={_escape_property(diagnostic.code)}",
        ]
    )
    return f"::{level} {properties}::{_escape_data(diagnostic.code + ' ' + diagnostic.message)}"


def format_statistics(diagnostics: Sequence[Diagnostic], names: Dict[str, str]) -> str:
    counts = Counter(d.code for d in diagnostics)
    rows: List[str] = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rows.append(f"{count:>5}\t{code}\t{names.get(code, '')}")
    return "\n".join(rows) + ("\n" if rows else "")
