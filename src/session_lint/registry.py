"""Finding rules: built-in and third-party rules register alike, through entry points."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Type

from .rule import Rule

ENTRY_POINT_GROUP = "session_lint.rules"


@dataclass
class RuleSet:
    rules: Dict[str, Type[Rule]] = field(default_factory=dict)
    # Where each rule came from (distribution name and version), for cache keys and --list-rules.
    origins: Dict[str, str] = field(default_factory=dict)
    # Problems met while loading (a plugin that fails to import, a duplicate code).
    errors: List[str] = field(default_factory=list)

    def add(self, rule: Type[Rule], origin: str) -> None:
        problem = rule.validate() if isinstance(rule, type) and issubclass(rule, Rule) else (
            f"{rule!r} is not a session_lint.Rule subclass"
        )
        if problem:
            self.errors.append(f"rule plugin {origin}: {problem}")
            return
        if rule.code in self.rules and self.rules[rule.code] is not rule:
            self.errors.append(
                f"rule plugin {origin}: code {rule.code} is already used by "
                f"{self.origins[rule.code]}; the second one is ignored"
            )
            return
        self.rules[rule.code] = rule
        self.origins[rule.code] = origin

    def versions(self) -> str:
        return ";".join(sorted(set(self.origins.values())))


def _entry_points():
    from importlib.metadata import entry_points

    if sys.version_info >= (3, 10):
        return list(entry_points(group=ENTRY_POINT_GROUP))
    return list(entry_points().get(ENTRY_POINT_GROUP, []))  # pragma: no cover - Python 3.9


def _as_rules(obj: object) -> Iterable[object]:
    if isinstance(obj, type):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return obj
    return [obj]


def load_rules() -> RuleSet:
    ruleset = RuleSet()
    found = sorted(_entry_points(), key=lambda ep: (ep.name != "builtin", ep.name))
    builtin_registered = any(ep.name == "builtin" and ep.value == "session_lint.rules:BUILTIN_RULES" for ep in found)
    for entry_point in found:
        distribution = getattr(entry_point, "dist", None)
        origin = (
            f"{distribution.metadata['Name']} {distribution.version}"
            if distribution is not None
            else entry_point.value
        )
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not take the run down
            ruleset.errors.append(
                f"rule plugin `{entry_point.name} = {entry_point.value}` failed to load: "
                f"{type(error).__name__}: {error}"
            )
            continue
        for rule in _as_rules(loaded):
            ruleset.add(rule, origin)  # type: ignore[arg-type]
    if not builtin_registered:
        # Running from a source tree without installed metadata: still offer the built-ins.
        from .rules import BUILTIN_RULES

        for rule in BUILTIN_RULES:
            ruleset.add(rule, "session-lint (built-in)")
    return ruleset
