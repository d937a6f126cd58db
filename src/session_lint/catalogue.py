"""The rule catalogue pages (`rules/<CODE>/README.md`), shipped inside the wheel."""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import List, Optional, Type

from .rule import Rule

_PACKAGE_COPY = Path(__file__).resolve().parent / "_catalogue"
# In a source checkout (an editable install) the catalogue is read where it is written.
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "rules"


def catalogue_roots() -> List[Path]:
    return [root for root in (_PACKAGE_COPY, _SOURCE_TREE) if root.is_dir()]


def page_path(code: str) -> Optional[Path]:
    for root in catalogue_roots():
        candidate = root / code / "README.md"
        if candidate.is_file():
            return candidate
    return None


def explain(rule: Type[Rule]) -> str:
    path = page_path(rule.code)
    if path is not None:
        return path.read_text(encoding="utf-8")
    # Plugin rules without a page: their docstring is their documentation.
    doc = inspect.getdoc(rule) or rule.summary
    return f"# {rule.code} {rule.name}\n\n{doc}\n"


def render_index(rules: List[Type[Rule]]) -> str:
    """docs/rules.md: one row per rule, linking its catalogue page."""
    lines = [
        "# Rules",
        "",
        "Generated from the catalogue (`rules/<CODE>/README.md`) by",
        "`python -m session_lint.catalogue > docs/rules.md`; `session-lint --explain CODE`",
        "prints the same pages. Codes are stable: a rule never changes its code or meaning.",
        "",
        "| code | name | summary |",
        "|---|---|---|",
    ]
    for rule in sorted(rules, key=lambda r: r.code):
        page = f"../rules/{rule.code}/README.md"
        summary = rule.summary.replace("|", "\\|") + (" (**opt-in**: select it by code)" if rule.opt_in else "")
        lines.append(f"| [{rule.code}]({page}) | {rule.name} | {summary} |")
    lines += [
        "",
        "Engine codes: `ORM001` (the file could not be decoded or parsed) and `ORM002` (a rule",
        "raised on the file; the other rules still ran).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation build
    from .rules import BUILTIN_RULES

    print(render_index(BUILTIN_RULES), end="")
