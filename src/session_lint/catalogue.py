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
