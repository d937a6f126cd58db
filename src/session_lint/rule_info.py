"""What reports say about a rule beside its findings: name, summary, the address of its
page and the page itself (SARIF and GitLab readers show them next to an alert)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Type

from ._version import __version__
from .catalogue import page_path
from .diagnostics import ENGINE_CODES
from .rule import Rule

HOMEPAGE = "https://github.com/session-lint/session-lint"
# Built-in rules' pages, as the repository publishes them.
_PAGE_URL = HOMEPAGE + "/blob/main/rules/{code}/README.md"
_ENGINE_URL = HOMEPAGE + "/blob/main/docs/cli.md#engine-codes"


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    summary: str
    url: Optional[str]

    def page(self) -> Optional[str]:
        """The catalogue page (Markdown) shipped with this installation, if the rule has one."""
        path = page_path(self.code)
        return path.read_text(encoding="utf-8") if path is not None else None


def rule_infos(rules: Mapping[str, Type[Rule]]) -> Dict[str, RuleInfo]:
    """Every rule of `rules` and the engine's own codes."""
    infos = {code: RuleInfo(code, rule.name, rule.summary, rule_url(rule)) for code, rule in rules.items()}
    for code, text in ENGINE_CODES.items():
        name, _, summary = text.partition(": ")
        infos[code] = RuleInfo(code, name, summary, _ENGINE_URL)
    return infos


def rule_url(rule: Type[Rule]) -> Optional[str]:
    """A rule's own `url`, else the published page of a built-in rule; a plugin rule without
    a `url` has none."""
    if rule.url:
        return rule.url
    if rule.__module__.startswith("session_lint.") and page_path(rule.code) is not None:
        return _PAGE_URL.format(code=rule.code)
    return None


TOOL_NAME = "session-lint"
TOOL_VERSION = __version__
