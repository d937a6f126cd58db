"""Every catalogue fixture yields exactly the findings its `# expect:` markers name.

`rules/<CODE>/*.py` (and any subdirectory, linted as one small project) hold the cases a
rule must flag, marked `# expect: <CODE>` on the reported line, and the look-alikes it must
stay silent on (no marker). Each fixture is linted with its own rule only.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from session_lint import Settings, lint_source
from session_lint.project_index import ProjectIndex
from session_lint.rules import BUILTIN_RULES

CATALOGUE = Path(__file__).resolve().parents[1] / "rules"
MARKER = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
RULES = {rule.code: rule for rule in BUILTIN_RULES}

SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead",
            "## Fix safety", "## Options", "## References"]


def fixture_files() -> List[Path]:
    return sorted(p for p in CATALOGUE.glob("*/**/*.py"))


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    expected = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            for code in match.group(1).replace(" ", "").split(","):
                if code:
                    expected.add((number, code))
    return expected


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(CATALOGUE)))
def test_fixture(path: Path) -> None:
    code = path.relative_to(CATALOGUE).parts[0]
    assert code in RULES, f"{path}: no built-in rule {code}"
    expected = expected_findings(path)
    assert all(c == code for _, c in expected), f"{path}: markers must name {code} only"
    project = path.parent if path.parent != CATALOGUE / code else None
    index = ProjectIndex.scan(sorted(project.rglob("*.py"))) if project else ProjectIndex.scan([path])
    result = lint_source(path.read_bytes(), str(path), [RULES[code]], Settings(), index)
    actual = {(d.location.row, d.code) for d in result.diagnostics}
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    details = "\n".join(f"  {d.location.row}: {d.code} {d.message}" for d in result.diagnostics)
    assert not missing and not unexpected, (
        f"{path.name}: missing {missing}, unexpected {unexpected}\nfindings:\n{details}"
    )


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
