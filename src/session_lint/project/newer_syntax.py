"""Read a module with `ast` when the running interpreter is older than the code.

The project index reads every module with CPython's `ast`, whose grammar is the running
interpreter's; libcst, which the rules use, reads newer syntax too. The case that matters
in practice is PEP 701 (Python 3.12): an f-string whose expressions hold a backslash or the
same quote (`f"{'\\n'.join(rows)}"`) is a SyntaxError for Python 3.11's `ast`, and the
module would be left out of the project model without a word while its findings are still
reported (issue 18: qualicharge's `routers/static.py`, read on 3.11, lost the FastAPI
dependency of its handlers). Such a module is read again with every f-string replaced by a
plain string of the same lines: no fact the index keeps comes from inside an f-string.
"""
from __future__ import annotations

import ast
import re
import sys
from typing import Optional

_UNREADABLE = (SyntaxError, ValueError, RecursionError, MemoryError)
# An f-string's opening: `f"`, `F'`, `rf"`, `fR'`...
_F_STRING = re.compile(r"(?i)(?<![\w])(?:f|rf|fr)['\"]")


def module_text(raw: bytes) -> str:
    """The text `ast` reads of a module's bytes: UTF-8 (what a cookie names otherwise only
    changes non-ASCII text, which no fact the index keeps depends on) without a byte-order
    mark, which `ast.parse` of a string refuses (`invalid non-printable character U+FEFF`:
    a module saved with one by a Windows editor was left out of the project model)."""
    return raw.decode("utf-8-sig", errors="replace")


def parse_module(text: str) -> Optional[ast.Module]:
    """`ast.parse(text)`, or, when that fails on an interpreter older than 3.12, the same
    module with its f-strings blanked out; None when neither reads it."""
    try:
        return ast.parse(text)
    except _UNREADABLE as error:
        if sys.version_info >= (3, 12) or not isinstance(error, SyntaxError):
            return None
    blanked = _without_f_strings(text)
    if blanked is None:
        return None
    try:
        return ast.parse(blanked)
    except _UNREADABLE:
        return None


def _without_f_strings(text: str) -> Optional[str]:
    if _F_STRING.search(text) is None:
        return None  # the failure is elsewhere: libcst has nothing to offer
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except Exception:  # libcst's parser raises its own error types, and more on odd input
        return None

    class _Blank(cst.CSTTransformer):
        def leave_FormattedString(self, original_node: cst.FormattedString,
                                  updated_node: cst.FormattedString) -> cst.BaseExpression:
            lines = module.code_for_node(original_node).count("\n")
            return cst.SimpleString('"""' + "\n" * lines + '"""' if lines else '""')

    try:
        return module.visit(_Blank()).code
    except Exception:
        return None


def unreadable_reason(text: str) -> str:
    """Why `parse_module` found no tree: where `ast` stops (`line 7: invalid syntax`)."""
    try:
        ast.parse(text)
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}" if error.lineno else str(error.msg)
    except _UNREADABLE as error:
        return type(error).__name__
    return "its f-strings"  # read only without them, and not even so
