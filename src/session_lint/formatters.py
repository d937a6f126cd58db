"""Turn diagnostics into text for people, JSON for tools, annotations for GitHub."""
from __future__ import annotations

import json
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


def format_concise(diagnostic: Diagnostic) -> str:
    location = diagnostic.location
    return f"{diagnostic.filename}:{location.row}:{location.column}: {diagnostic.code} {diagnostic.message}"


def format_full(diagnostic: Diagnostic, lines: LineSource) -> str:
    out = [format_concise(diagnostic)]
    row = diagnostic.location.row
    text = lines(diagnostic.filename, row)
    if text is not None and diagnostic.code not in ENGINE_CODES:
        text = text.rstrip("\r\n").expandtabs(4)
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
            out.append(f"{gutter} = help: {diagnostic.hint}")
    elif diagnostic.hint:
        out.append(f"  = help: {diagnostic.hint}")
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
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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
