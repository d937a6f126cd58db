"""What the editor shows about a rule: its page and its "why" paragraph, read from the
rule catalogue that `--explain` prints."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, Optional, Type

from ..catalogue import explain, page_path
from ..diagnostics import ENGINE_CODES
from ..rule import Rule

_SECTION = re.compile(r"^##[ \t]+(?P<title>[^\n]*?)[ \t]*$", re.MULTILINE)
_WHY = "why is this bad?"


def page_uri(code: str) -> Optional[str]:
    """The rule's catalogue page as shipped with this installation (a file URI: it matches
    the installed version and opens offline, in the editor); None for a code without one."""
    path = page_path(code)
    return path.as_uri() if path is not None else None


def page_text(rule: Optional[Type[Rule]], code: str) -> str:
    if rule is not None:
        return explain(rule)
    return f"# {code}\n\n{ENGINE_CODES.get(code, 'not a session-lint code')}\n"


@lru_cache(maxsize=None)
def why(rule: Optional[Type[Rule]], code: str) -> str:
    """The "Why is this bad?" section of the rule's page; a page without one (a plugin
    rule documented by its docstring) gives its text after the title."""
    text = page_text(rule, code)
    sections = _sections(text)
    if _WHY in sections:
        return sections[_WHY]
    body = re.sub(r"\A#[^\n]*\n", "", text).strip()
    return body or (rule.summary if rule is not None else code)


def _sections(text: str) -> Dict[str, str]:
    found: Dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        found[match.group("title").lower()] = text[match.end():end].strip()
    return found
