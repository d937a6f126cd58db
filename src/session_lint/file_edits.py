"""Edits of the files on disk: `--fix` (and `--diff`, which computes the same and writes
nothing) and `--add-noqa`. Each file is read once, linted again from those bytes (the
findings of the run may come from the cache, or from a moment before an editor saved),
edited in memory and written back atomically only if nobody changed it meanwhile."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .diagnostics import ENGINE_CODES, Diagnostic
from .fixer import FixOutcome, fix_text
from .fixes import EditError, apply_edits
from .noqa import add_noqa_edits, split_lines
from .source_files import FileChanged, SourceFile
from .text_lint import TextLinter

# (filename, text, findings) -> the findings to fix (a baseline keeps its own out).
Choose = Callable[[str, str, List[Diagnostic]], List[Diagnostic]]


@dataclass
class FileFix:
    source: SourceFile
    outcome: FixOutcome
    written: bool = False


@dataclass
class EditReport:
    fixes: Dict[str, FileFix] = field(default_factory=dict)
    noqa_added: int = 0
    # (path, what went wrong): the file was left as it was.
    problems: List[Tuple[str, str]] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


def text_lines(text: str):
    """A line source (filename, row) -> line over one text, for baselines and formatters."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]

    def line(filename: str, row: int) -> Optional[str]:
        return lines[row - 1] if 0 < row <= len(lines) else None

    return line


def fix_files(diagnostics: Sequence[Diagnostic], linter: TextLinter, unsafe: bool, write: bool,
              choose: Optional[Choose] = None) -> EditReport:
    report = EditReport()
    names = sorted({d.filename for d in diagnostics if d.fix is not None and d.fix.applies(unsafe)})
    for name in names:
        source = _read(name, report)
        if source is None:
            continue
        outcome = fix_source(source, linter, unsafe, choose, report)
        entry = FileFix(source, outcome)
        report.fixes[name] = entry
        if write and outcome.changed(source.text):
            entry.written = _write(source, outcome.text, report)
            if not entry.written:
                outcome.remaining = linter.lint(source.text, name).diagnostics
                outcome.fixed = []
    return report


def fix_source(source: SourceFile, linter: TextLinter, unsafe: bool, choose: Optional[Choose],
               report: EditReport) -> FixOutcome:
    name = source.path
    first = linter.lint(source.text, name)
    report.warnings.extend(first.warnings)
    chooser = None if choose is None else (lambda text, found: choose(name, text, found))  # type: ignore[misc]
    outcome = fix_text(source.text, first.diagnostics, lambda text: linter.lint(text, name).diagnostics,
                       unsafe, chooser)
    if outcome.problem:
        report.warnings.append(f"{name}: {outcome.problem}")
    return outcome


def add_noqa(diagnostics: Sequence[Diagnostic], linter: TextLinter,
             choose: Optional[Choose] = None) -> EditReport:
    """`# noqa: CODE` for every finding of the run (engine findings cannot be suppressed)."""
    report = EditReport()
    for name in sorted({d.filename for d in diagnostics if d.code not in ENGINE_CODES}):
        source = _read(name, report)
        if source is None:
            continue
        found = [d for d in linter.lint(source.text, name).diagnostics if d.code not in ENGINE_CODES]
        if choose is not None:
            found = choose(name, source.text, found)
        edits = add_noqa_edits(source.text, [(d.code, d.statement_rows or (d.noqa_row,)) for d in found])
        if not edits:
            continue
        try:
            text = apply_edits(source.text, edits)
        except EditError as error:
            report.problems.append((name, f"cannot add `# noqa` comments: {error}"))
            continue
        if _write(source, text, report):
            report.noqa_added += len(edits)
    return report


def _read(name: str, report: EditReport) -> Optional[SourceFile]:
    try:
        return SourceFile.read(name)
    except OSError as error:
        report.problems.append((name, f"cannot read: {error.strerror or error}"))
    except ValueError as error:
        report.problems.append((name, f"not edited: {error}"))
    return None


def _write(source: SourceFile, text: str, report: EditReport) -> bool:
    try:
        source.write(text)
    except FileChanged as error:
        report.problems.append((source.path, f"not written: {error}"))
    except UnicodeEncodeError:
        report.problems.append((source.path, f"not written: the new text cannot be encoded in {source.encoding}"))
    except OSError as error:
        report.problems.append((source.path, f"cannot write: {error.strerror or error}"))
    else:
        return True
    return False
