"""`--fix`: apply the findings' fixes to a text, lint the result, and again, until nothing
is left to fix (at most MAX_PASSES times)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from .diagnostics import PARSE_ERROR, Diagnostic
from .fixes import apply_fixes

# A fix that re-creates the finding it fixes would loop forever; ruff stops at 100, but
# session-lint's fixes settle in one or two passes (ORM501's imports take two).
MAX_PASSES = 10

Lint = Callable[[str], List[Diagnostic]]
# (text, its findings) -> the findings to fix.
Choose = Callable[[str, List[Diagnostic]], List[Diagnostic]]


@dataclass
class FixOutcome:
    text: str
    # The findings whose fixes were applied, over all passes.
    fixed: List[Diagnostic] = field(default_factory=list)
    # The findings of the final text.
    remaining: List[Diagnostic] = field(default_factory=list)
    # Why fixing stopped early (the last good text is kept), if it did.
    problem: Optional[str] = None

    def changed(self, original: str) -> bool:
        return self.text != original


def fix_text(text: str, diagnostics: Sequence[Diagnostic], lint: Lint, unsafe: bool,
             choose: Optional[Choose] = None, max_passes: int = MAX_PASSES) -> FixOutcome:
    """Fix `text`, whose findings are `diagnostics`; `lint` gives the findings of a new
    text, and `choose` picks the findings to fix (not those a baseline hides)."""
    outcome = FixOutcome(text, remaining=list(diagnostics))
    for _ in range(max_passes):
        candidates = _fixable(outcome, unsafe, choose)
        if not candidates:
            return outcome
        new_text, applied = apply_fixes(outcome.text, [d.fix for d in candidates])  # type: ignore[misc]
        if not applied:
            return outcome
        new_diagnostics = lint(new_text)
        if _breaks_parsing(outcome.text, outcome.remaining, new_text, new_diagnostics):
            outcome.problem = ("a fix made the file unparsable, so it was not applied; please report "
                               "this as a bug of session-lint with the file")
            return outcome
        done = {id(fix) for fix in applied}
        outcome.fixed.extend(d for d in candidates if id(d.fix) in done)
        outcome.text, outcome.remaining = new_text, new_diagnostics
    if _fixable(outcome, unsafe, choose):
        outcome.problem = (f"fixes did not settle after {max_passes} passes; the file holds the last "
                           "pass's result (please report this as a bug of session-lint)")
    return outcome


def _fixable(outcome: FixOutcome, unsafe: bool, choose: Optional[Choose]) -> List[Diagnostic]:
    if not any(d.fix is not None and d.fix.applies(unsafe) for d in outcome.remaining):
        return []
    # `choose` sees every finding: a baseline tells findings apart by their order in the file.
    visible = choose(outcome.text, outcome.remaining) if choose is not None else outcome.remaining
    return [d for d in visible if d.fix is not None and d.fix.applies(unsafe)]


def _breaks_parsing(text: str, before: Sequence[Diagnostic], new_text: str, after: Sequence[Diagnostic]) -> bool:
    """A fix must never turn a parsable file into one that is not, for libcst or for Python."""
    if any(d.code == PARSE_ERROR for d in after) and not any(d.code == PARSE_ERROR for d in before):
        return True
    return _compiles(text) and not _compiles(new_text)


def _compiles(text: str) -> bool:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for `"\d"` and the like
            compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def unified_diff(original: str, fixed: str, filename: str) -> str:
    lines = difflib.unified_diff(original.splitlines(keepends=True), fixed.splitlines(keepends=True),
                                 fromfile=filename, tofile=filename)
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
