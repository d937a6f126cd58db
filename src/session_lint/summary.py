"""The closing lines people read: the summary, what `--fix` did, and whether to colour."""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import IO, Dict, List, Mapping, Optional, Sequence

import click

from .diagnostics import Diagnostic
from .formatters import printable

COLOR_CHOICES = ("auto", "always", "never")


def use_color(choice: str, stream: Optional[IO]) -> bool:
    """`always`/`never` as asked; `auto`: a terminal, unless NO_COLOR is set (no-color.org:
    any non-empty value)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    try:
        return stream is not None and stream.isatty()
    except (ValueError, AttributeError):  # closed, or not a real stream
        return False


def _findings(count: int) -> str:
    return f"{count} finding{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Counts:
    shown: int
    fixable: int = 0
    # Fixable with --unsafe-fixes only (when it was not given).
    unsafe_fixable: int = 0
    hidden_by_baseline: int = 0
    fixed: Optional[int] = None  # set after --fix


def counts(shown: Sequence[Diagnostic], unsafe_fixes: bool, hidden: int = 0, fixed: Optional[int] = None) -> Counts:
    fixable = sum(1 for d in shown if d.fix is not None and d.fix.applies(unsafe_fixes))
    unsafe = 0 if unsafe_fixes else sum(1 for d in shown if d.fix is not None and d.fix.applies(True)) - fixable
    return Counts(len(shown), fixable, unsafe, hidden, fixed)


def summary_line(found: Counts, color: bool = False) -> str:
    """`Found 12 findings (5 fixable with --fix).` or `All checks passed.`"""
    notes: List[str] = []
    if found.fixed is not None and found.fixed:
        total = found.fixed + found.shown
        notes += [f"{found.fixed} fixed", f"{found.shown} remaining"]
        head = f"Found {_findings(total)}"
    elif found.shown:
        head = f"Found {_findings(found.shown)}"
    else:
        head = "All checks passed"
    if found.shown and found.fixable:
        notes.append(f"{found.fixable} fixable with --fix")
    if found.shown and found.unsafe_fixable:
        notes.append(f"{found.unsafe_fixable} more with --unsafe-fixes")
    if found.hidden_by_baseline:
        notes.append(f"{_findings(found.hidden_by_baseline)} hidden by the baseline")
    line = head + (f" ({', '.join(notes)})" if notes else "") + "."
    if color:
        line = click.style(line, bold=True, fg="green" if not found.shown else None)
    return line + "\n"


def fixed_listing(fixed: Mapping[str, Sequence[Diagnostic]], names: Mapping[str, str]) -> str:
    """`--show-fixes`: what was fixed, per file and rule (as ruff prints it)."""
    total = sum(len(found) for found in fixed.values())
    if not total:
        return "No findings were fixed.\n"
    lines = [f"Fixed {_findings(total)}:"]
    for filename in sorted(fixed):
        if not fixed[filename]:
            continue
        lines.append(f"- {printable(filename)}:")
        for code, count in sorted(Counter(d.code for d in fixed[filename]).items()):
            lines.append(f"    {count} x {code} ({names.get(code, '')})")
    return "\n".join(lines) + "\n"


def by_file(diagnostics: Sequence[Diagnostic]) -> Dict[str, List[Diagnostic]]:
    grouped: Dict[str, List[Diagnostic]] = {}
    for diagnostic in diagnostics:
        grouped.setdefault(diagnostic.filename, []).append(diagnostic)
    return grouped
