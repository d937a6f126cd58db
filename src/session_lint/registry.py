"""Finding rules: built-in and third-party rules register alike, through entry points."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple, Type

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
        problem = _problem(rule)
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

    def opt_in_codes(self) -> FrozenSet[str]:
        """Rules that run only when selected by code (`Rule.opt_in`)."""
        return frozenset(code for code, rule in self.rules.items() if rule.opt_in)

    def versions(self) -> str:
        return ";".join(sorted(set(self.origins.values())))


def _problem(rule: object) -> Optional[str]:
    """Why `rule` cannot run, found now rather than on every file (or in every worker)."""
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        return f"{rule!r} is not a session_lint.Rule subclass"
    try:
        problem = rule.validate()
        if problem:
            return problem
        tokens = rule.tokens
        if not isinstance(tokens, (tuple, list)) or not all(isinstance(token, str) for token in tokens):
            return f"rule {rule.code}: `tokens` must be a tuple of strings, not {tokens!r}"
        rule()  # rules are created once per process; one that cannot be created never runs
    except (Exception, SystemExit) as error:
        return f"rule {getattr(rule, 'code', rule)!s} cannot be created: {type(error).__name__}: {error}"
    return None


def _cheap_name(distribution: Any) -> Optional[str]:
    """The distribution's name from its `name-version.dist-info` directory, without reading
    METADATA for every installed distribution (Python 3.10+ offers `_normalized_name`)."""
    name = getattr(distribution, "_normalized_name", None)
    if name:
        return name
    path = getattr(distribution, "_path", None)  # Python 3.9's PathDistribution
    stem = getattr(path, "name", "")
    if stem.endswith((".dist-info", ".egg-info")) and "-" in stem:
        return stem.split("-", 1)[0]
    return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_path() -> List[str]:
    """sys.path without the working directory (`python -m` and PYTHONPATH=. put it there):
    a `*.dist-info` in the linted project is not an installed plugin, and loading it would
    import the project's code."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:  # the working directory was deleted
        cwd = None
    if cwd is None:
        return [entry for entry in sys.path if os.path.isabs(entry)]
    return [entry for entry in sys.path if entry and os.path.realpath(entry) != cwd]


def _entry_points() -> List[Tuple[Any, str]]:
    """Every `session_lint.rules` entry point of the installed distributions, with its origin
    (`"<distribution> <version>"`).

    The origin is part of the results cache key: a plugin upgrade must invalidate cached
    results. Python 3.9's `EntryPoint` does not know its distribution (no `.dist`), so walk
    the distributions instead, on every version alike. A distribution found twice on
    `sys.path` counts once, the first one (the one imports would use), as `entry_points()`
    does on Python 3.10+.
    """
    from importlib.metadata import distributions

    found: List[Tuple[Any, str]] = []
    seen = set()
    for distribution in distributions(path=_installed_path()):
        try:
            key = _cheap_name(distribution) or distribution.metadata["Name"]
            if key:
                key = _normalized(key)
                if key in seen:
                    continue
                seen.add(key)
            group = [ep for ep in distribution.entry_points if ep.group == ENTRY_POINT_GROUP]
            if group:
                name = distribution.metadata["Name"]
                origin = f"{name} {distribution.version}" if name else None
        except Exception:  # damaged metadata of some unrelated distribution
            continue
        for entry_point in group:
            found.append((entry_point, origin or entry_point.value))
    return found


def _as_rules(obj: object) -> Iterable[object]:
    if isinstance(obj, type):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return obj
    return [obj]


def load_rules() -> RuleSet:
    ruleset = RuleSet()
    found = sorted(_entry_points(), key=lambda pair: (pair[0].name != "builtin", pair[0].name))
    builtin_registered = any(ep.name == "builtin" and ep.value == "session_lint.rules:BUILTIN_RULES"
                             for ep, _ in found)
    for entry_point, origin in found:
        try:
            loaded = entry_point.load()
        except (Exception, SystemExit) as error:  # a broken plugin must not take the run down
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
