"""Every catalogue fixture yields exactly the findings its `# expect:` markers name, and each
rule's rendered output matches its committed snapshot.

`rules/<CODE>/*.py` (and any subdirectory, linted as one small project) hold the cases a
rule must flag, marked on the reported line, and the look-alikes it must stay silent on (no
marker). Each fixture is linted with its own rule only.

Markers, as in flake8-bugbear's eval files:

    x = 1  # expect: ORM501          any column on this line
    x = 1  # expect: ORM501:13       column 13 (1-based, as session-lint's text output prints it)
    x = 1  # expect: ORM501:13, ORM501:40

A finding on a line whose markers name its code without a column matches whatever its
column; otherwise its column must be one a marker names.

`rules/<CODE>/snapshot.txt` is the `full` text output (the CLI's default: location, message,
source line with the underline, help) of all of the rule's fixtures, paths relative to
`rules/`, printed by the CLI's own formatter. A change of wording, range or column then shows
up as a diff in review. After an intended change, regenerate and review the diff:

    SESSION_LINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_catalogue.py
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

from session_lint import Settings, lint_source
from session_lint.diagnostics import Diagnostic
from session_lint.formatters import format_diagnostics
from session_lint.project_index import ProjectIndex
from session_lint.rules import BUILTIN_RULES

CATALOGUE = Path(__file__).resolve().parents[1] / "rules"
MARKER = re.compile(r"#\s*expect:\s*([A-Z0-9:, ]+)")
MARKER_ITEM = re.compile(r"([A-Z]+[0-9]+)(?::([0-9]+))?")
RULES = {rule.code: rule for rule in BUILTIN_RULES}
SNAPSHOT = "snapshot.txt"
UPDATE_SNAPSHOTS = os.environ.get("SESSION_LINT_UPDATE_SNAPSHOTS", "") not in ("", "0")
UPDATE_COMMAND = "SESSION_LINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_catalogue.py"

SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead",
            "## Fix safety", "## Options", "## References"]

# (row, code, column); a column of None accepts any column.
Expected = Tuple[int, str, Optional[int]]
Actual = Tuple[int, str, int]


def fixture_files() -> List[Path]:
    return sorted(p for p in CATALOGUE.glob("*/**/*.py"))


def expected_findings(path: Path) -> Set[Expected]:
    expected: Set[Expected] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if not match:
            continue
        for item in match.group(1).split(","):
            item = item.strip()
            if not item:
                continue
            parsed = MARKER_ITEM.fullmatch(item)
            # A mistyped marker would otherwise expect nothing and pass for the wrong reason.
            assert parsed, f"{path}:{number}: bad marker {item!r} (write `CODE` or `CODE:COLUMN`)"
            column = parsed.group(2)
            expected.add((number, parsed.group(1), int(column) if column else None))
    return expected


def _matches(expected: Expected, actual: Actual) -> bool:
    return expected[:2] == actual[:2] and expected[2] in (None, actual[2])


def _describe(row: int, code: str, column: Optional[int]) -> str:
    return f"line {row} {code}" + (f":{column}" if column is not None else "")


@lru_cache(maxsize=None)
def lint_fixture(path: Path) -> Tuple[Diagnostic, ...]:
    """The findings of the fixture's own rule, shared by the marker and the snapshot tests."""
    code = path.relative_to(CATALOGUE).parts[0]
    project = path.parent if path.parent != CATALOGUE / code else None
    index = ProjectIndex.scan(sorted(project.rglob("*.py"))) if project else ProjectIndex.scan([path])
    # An explicit root: whether a fixture is test or migration code must not depend on the
    # directory pytest runs from.
    settings = Settings(root=CATALOGUE.parent)
    return tuple(lint_source(path.read_bytes(), str(path), [RULES[code]], settings, index).diagnostics)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(CATALOGUE)))
def test_fixture(path: Path) -> None:
    code = path.relative_to(CATALOGUE).parts[0]
    assert code in RULES, f"{path}: no built-in rule {code}"
    expected = expected_findings(path)
    assert all(c == code for _, c, _ in expected), f"{path}: markers must name {code} only"
    diagnostics = lint_fixture(path)
    actual = {(d.location.row, d.code, d.location.column) for d in diagnostics}
    missing = [_describe(*e) for e in sorted(expected, key=lambda e: (e[0], e[1], e[2] or 0))
               if not any(_matches(e, a) for a in actual)]
    unexpected = [_describe(*a) for a in sorted(actual) if not any(_matches(e, a) for e in expected)]
    details = "\n".join(f"  {d.location.row}:{d.location.column}: {d.code} {d.message}" for d in diagnostics)
    assert not missing and not unexpected, (
        f"{path.name}: missing {missing}, unexpected {unexpected}\nfindings:\n{details}"
    )


def render_snapshot(code: str) -> str:
    """What `session-lint` prints for the rule's fixtures, run from `rules/`."""
    diagnostics = [
        replace(d, filename=path.relative_to(CATALOGUE).as_posix())
        for path in fixture_files() if path.relative_to(CATALOGUE).parts[0] == code
        for d in lint_fixture(path)
    ]
    diagnostics.sort(key=lambda d: d.sort_key)
    texts: Dict[str, List[str]] = {}

    def line(filename: str, row: int) -> Optional[str]:
        # Decoded as the CLI's line reader does, so the quoted source is what users see.
        if filename not in texts:
            texts[filename] = (CATALOGUE / filename).read_bytes().decode("utf-8", "replace").splitlines()
        lines = texts[filename]
        return lines[row - 1] if 0 < row <= len(lines) else None

    return format_diagnostics(diagnostics, "full", line)


@pytest.mark.parametrize("code", sorted(RULES))
def test_snapshot(code: str) -> None:
    snapshot = CATALOGUE / code / SNAPSHOT
    rendered = render_snapshot(code)
    if UPDATE_SNAPSHOTS:
        with open(snapshot, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(rendered)
        return
    assert snapshot.is_file(), f"{snapshot} is missing: create it with `{UPDATE_COMMAND}`"
    committed = snapshot.read_text(encoding="utf-8")
    if committed != rendered:
        diff = "".join(difflib.unified_diff(
            committed.splitlines(keepends=True), rendered.splitlines(keepends=True),
            f"{code}/{SNAPSHOT} (committed)", f"{code}/{SNAPSHOT} (now)"))
        pytest.fail(f"the output for {code}'s fixtures changed; if intended, run "
                    f"`{UPDATE_COMMAND}` and commit the new snapshot\n{diff}", pytrace=False)


def test_every_rule_has_a_page_and_fixtures() -> None:
    for code in RULES:
        page = CATALOGUE / code / "README.md"
        assert page.is_file(), f"{code} has no catalogue page"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {code} {RULES[code].name}"), f"{page}: title must be `# {code} <name>`"
        for section in SECTIONS:
            assert section in text, f"{page}: missing section {section!r}"
        flagged = [p for p in (CATALOGUE / code).rglob("*.py") if expected_findings(p)]
        silent = [p for p in (CATALOGUE / code).rglob("*.py") if not expected_findings(p)
                  or "silent" in p.name]
        assert flagged, f"{code} has no fixture with an `# expect:` marker"
        assert silent, f"{code} has no fixture of look-alikes it must stay silent on"


def test_docs_rules_index_is_up_to_date() -> None:
    from session_lint.catalogue import render_index

    index = CATALOGUE.parent / "docs" / "rules.md"
    assert index.read_text(encoding="utf-8") == render_index(BUILTIN_RULES), (
        "docs/rules.md is stale: run `python -m session_lint.catalogue > docs/rules.md`"
    )


def test_explain_reads_every_page() -> None:
    from session_lint.catalogue import explain

    for code, rule in RULES.items():
        assert explain(rule) == (CATALOGUE / code / "README.md").read_text(encoding="utf-8")
