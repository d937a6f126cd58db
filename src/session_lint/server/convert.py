"""session-lint's diagnostics and edits in the protocol's terms: 0-based lines, columns in
the position encoding agreed with the client (UTF-16 unless it offered another)."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Sequence

from lsprotocol import types

from ..diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic
from ..fixes import Edit
from .related import named_lines, place_on_line

SOURCE = "session-lint"
# A 1-based row's text without its line ending, or None past the end of the text.
LineAt = Callable[[int], Optional[str]]
# How many client code units a piece of a line is (the position codec's count).
Units = Callable[[str], int]

_SEVERITY = {
    PARSE_ERROR: types.DiagnosticSeverity.Error,  # nothing else in the file was checked
    INTERNAL_ERROR: types.DiagnosticSeverity.Warning,
}


# A line as Python and the protocol count them: ended by LF, CRLF or CR only
# (str.splitlines also ends one at a form feed, which Python code may hold).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> List[str]:
    """`text`'s lines with their line ends."""
    return _LINE.findall(text)


def lines_of(text_lines: Sequence[str]) -> LineAt:
    def line_at(row: int) -> Optional[str]:
        return text_lines[row - 1].rstrip("\r\n") if 0 < row <= len(text_lines) else None
    return line_at


def position(row: int, column: int, line_at: LineAt, units: Units) -> types.Position:
    """`row` 1-based, `column` 0-based in code points."""
    line = line_at(row)
    if line is None:
        return types.Position(line=max(row - 1, 0), character=0)
    return types.Position(line=row - 1, character=units(line[:max(column, 0)]))


def lsp_range(start_row: int, start_column: int, end_row: int, end_column: int,
              line_at: LineAt, units: Units) -> types.Range:
    """From 1-based rows and 0-based code-point columns."""
    return types.Range(start=position(start_row, start_column, line_at, units),
                       end=position(end_row, end_column, line_at, units))


def diagnostic_range(diagnostic: Diagnostic, line_at: LineAt, units: Units) -> types.Range:
    start, end = diagnostic.location, diagnostic.end_location
    end_column = end.column - 1
    if end == start:
        # An engine diagnostic names a point (a syntax error, or the file as a whole):
        # underline the rest of its line, or the editor may show nothing at all.
        line = line_at(start.row)
        end_column = len(line) if line is not None and len(line) > start.column - 1 else start.column - 1
    return lsp_range(start.row, start.column - 1, end.row, end_column, line_at, units)


def lsp_diagnostic(diagnostic: Diagnostic, url: Optional[str], line_at: LineAt, units: Units,
                   data: Optional[Dict[str, Any]] = None, related_uri: Optional[str] = None) -> types.Diagnostic:
    """`url`: the rule's page, as the JSON output gives it. `data` travels to the client
    and back with code action requests. `related_uri`: the document's, when the client
    takes related information (the lines the message names)."""
    message = diagnostic.message + (f"\nhelp: {diagnostic.hint}" if diagnostic.hint else "")
    rows = _noqa_rows(diagnostic)
    return types.Diagnostic(
        range=diagnostic_range(diagnostic, line_at, units),
        message=message,
        severity=_SEVERITY.get(diagnostic.code, types.DiagnosticSeverity.Warning),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        related_information=related_information(message, related_uri, line_at, units) if related_uri else None,
        data={"rows": rows, **(data or {})},
    )


def related_information(message: str, uri: str, line_at: LineAt,
                        units: Units) -> Optional[List[types.DiagnosticRelatedInformation]]:
    """The lines `message` names, in the document at `uri` (None when it names none)."""
    found = []
    for named in named_lines(message):
        line = line_at(named.row)
        if line is None:
            continue  # past the end of the text: a message about an older version
        start, end = place_on_line(line, named.code)
        found.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=lsp_range(named.row, start, named.row, end, line_at, units)),
            message=named.label))
    return found or None


def _noqa_rows(diagnostic: Diagnostic) -> List[int]:
    """The statement's rows, the one the CLI reports as `noqa_row` first."""
    rows = [row for row in diagnostic.statement_rows if row != diagnostic.noqa_row]
    return [diagnostic.noqa_row, *rows]


def text_edit(edit: Edit, line_at: LineAt, units: Units) -> types.TextEdit:
    """An edit of session-lint's (1-based rows and columns, as a Diagnostic's)."""
    return types.TextEdit(range=lsp_range(edit.location.row, edit.location.column - 1, edit.end_location.row,
                                          edit.end_location.column - 1, line_at, units), new_text=edit.content)


def workspace_edit(uri: str, version: Optional[int], edits: List[types.TextEdit],
                   document_changes: bool) -> types.WorkspaceEdit:
    """With a version where the client can check it: an edit computed for an older text
    is then refused rather than applied in the wrong place."""
    if document_changes:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=list(edits))])
    return types.WorkspaceEdit(changes={uri: list(edits)})
