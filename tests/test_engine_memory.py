"""A linted file's tree and analyses are freed by reference counting as soon as the file is
done: no reference cycle leaves them for the cycle collector (which kept a second large
file's tree alive in a worker and raised its peak memory)."""
from __future__ import annotations

import gc
from pathlib import Path
from typing import List

import libcst as cst

from session_lint import Settings, lint_source
from session_lint.rules import BUILTIN_RULES

ROOT = Path(__file__).resolve().parents[1]


def _ours(thing: object) -> bool:
    module = type(thing).__module__ or ""
    return isinstance(thing, cst.CSTNode) or module.startswith("session_lint")


def test_linting_leaves_no_tree_or_analysis_to_the_cycle_collector() -> None:
    sources = sorted((ROOT / "rules").rglob("*.py")) + sorted((ROOT / "examples" / "shop").glob("*.py"))
    assert len(sources) > 50
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collector finds, to look at it
    try:
        parsed = 0
        for path in sources:
            parsed += lint_source(path.read_bytes(), str(path), BUILTIN_RULES, Settings()).parsed
        gc.collect()
        left: List[object] = [thing for thing in gc.garbage if _ours(thing)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert parsed > 50
    assert left == []
