"""Finding rules: built-in and third-party rules register alike, through entry points."""
from __future__ import annotations

import copyreg
import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, FrozenSet, Iterable, List, Optional, Tuple, Type

from .rule import SQLALCHEMY_EVIDENCE, Rule

ENTRY_POINT_GROUP = "session_lint.rules"
BUILTIN_ENTRY_POINT = "session_lint.rules:BUILTIN_RULES"

# What the registry knows of the built-in rules without importing them (their modules import
# libcst, a fifth of a second): `--list-rules`, `--explain`, choosing the rules to run and the
# evidence gate need only this. The rule's code is imported when a file passes the gate.
# A change to a rule's code, name, summary, tokens, requires or opt_in goes here too:
# tests/test_perf_registry.py compares every entry with its class and names what differs.
_FILTER_TOKENS = ("where", "filter", "having", "and_", "or_", "not_", "case", "join", "criteria")
_QUERIES = ("query", "execute", "scalars")
_BUILTIN: Tuple[Tuple[str, str, str, str, str, Tuple[str, ...], Tuple[str, ...], bool], ...] = (
    # module (in session_lint.rules), class, code, name, summary, tokens, requires, opt_in
    ("orm101_add_without_commit", "AddWithoutCommit", "ORM101", "add-without-commit",
     "`session.add()`/`delete()`/`merge()` can reach the end of the session without `commit()`",
     ("add", "delete", "merge", "update", "insert", "execute"), SQLALCHEMY_EVIDENCE, False),
    ("orm102_session_not_closed", "SessionNotClosed", "ORM102", "session-not-closed",
     "session created outside `with` is not closed on every path",
     ("Session", "session", "maker"), SQLALCHEMY_EVIDENCE, False),
    ("orm103_commit_in_loop", "CommitInLoop", "ORM103", "commit-in-loop",
     "`session.commit()` once per row inside a loop that adds one object per iteration",
     ("commit",), SQLALCHEMY_EVIDENCE, False),
    ("orm104_detached_instance_access", "DetachedInstanceAccess", "ORM104", "detached-instance-access",
     "an instance is read or returned after `commit()` expired it and its session ended",
     ("commit", "with"), SQLALCHEMY_EVIDENCE, False),
    ("orm105_implicit_io_after_commit", "ImplicitIoAfterCommit", "ORM105", "implicit-io-after-commit",
     "an `AsyncSession` instance is read synchronously after `commit()` expired it",
     ("commit", "async"), SQLALCHEMY_EVIDENCE, False),
    ("orm201_unchecked_none_result", "UncheckedNoneResult", "ORM201", "unchecked-none-result",
     "`.first()`/`.get()`/`.one_or_none()`/`.scalar()` can be None and the result is used without a check",
     ("first", "get", "one_or_none", "scalar", "fetchone"), SQLALCHEMY_EVIDENCE, False),
    ("orm301_python_side_filter", "PythonSideFilter", "ORM301", "python-side-filter",
     "query rows loaded in full and then filtered in Python on their columns",
     _QUERIES + ("relation",), SQLALCHEMY_EVIDENCE, False),
    ("orm302_python_side_sort_or_slice", "PythonSideSortOrSlice", "ORM302", "python-side-sort-or-slice",
     "query rows loaded in full and then sorted, sliced or indexed in Python",
     _QUERIES, SQLALCHEMY_EVIDENCE, False),
    ("orm303_python_side_count_or_aggregate", "PythonSideCountOrAggregate", "ORM303",
     "python-side-count-or-aggregate",
     "query rows loaded in full only to count them or compute a sum, max, min or any",
     _QUERIES + ("relation",), SQLALCHEMY_EVIDENCE, False),
    ("orm304_query_in_loop", "QueryInLoop", "ORM304", "query-in-loop",
     "a query run once per loop item, selecting by that item (N+1 queries)",
     ("query", "execute", "scalar", "get", "_or_404"), SQLALCHEMY_EVIDENCE, True),
    ("orm401_missing_rollback", "MissingRollback", "ORM401", "missing-rollback",
     "`except` after a failed `commit()`/`flush()` goes on without `session.rollback()`",
     ("commit", "flush", "DBAPIError", "DatabaseError", "IntegrityError", "OperationalError", "DataError",
     "ProgrammingError", "InternalError", "NotSupportedError", "InterfaceError"), SQLALCHEMY_EVIDENCE, False),
    ("orm501_python_boolean_operator", "PythonBooleanOperatorInFilter", "ORM501",
     "python-boolean-operator-in-filter",
     "`and`/`or`/`not` on SQL expressions inside `.where()`/`.filter()`: Python raises or drops a condition",
     _FILTER_TOKENS, SQLALCHEMY_EVIDENCE, False),
    ("orm502_python_in_operator", "PythonInOperatorInFilter", "ORM502", "python-in-operator-in-filter",
     "`col in values` inside `.where()`/`.filter()` is a Python constant, not SQL `IN`: use `.in_()`",
     _FILTER_TOKENS, SQLALCHEMY_EVIDENCE, False),
    ("orm503_identity_comparison", "IdentityComparisonInFilter", "ORM503", "identity-comparison-in-filter",
     "`is None` / `is not None` on a column inside `.where()`/`.filter()` is a Python constant, not `IS NULL`",
     _FILTER_TOKENS, SQLALCHEMY_EVIDENCE, False),
    ("orm900_unused_noqa", "UnusedNoqa", "ORM900", "unused-noqa",
     "a `# noqa` code that suppresses no finding on its statement, or names no installed rule",
     ("noqa", "NOQA", "Noqa"), ("ORM",), True),
)


class _LazyRuleType(type):
    """The class of the stand-ins for built-in rules (see `_LazyRule`)."""


class _LazyRule(Rule, metaclass=_LazyRuleType):
    """A built-in rule before its code is needed: its class attributes are the rule's own
    (code, name, summary, tokens, requires, opt_in; `__module__` and `__qualname__` name its
    class), and creating one imports the rule's module and returns an instance of the real
    class. Only the engine creates rules, after a file has passed the evidence gate."""

    target: ClassVar[Tuple[str, str]] = ("", "")  # (module, class name)

    def __new__(cls, *args: Any, **kwargs: Any) -> Rule:  # type: ignore[misc]
        return cls.load()(*args, **kwargs)

    @classmethod
    def load(cls) -> Type[Rule]:
        module, name = cls.target
        return getattr(importlib.import_module(module), name)


def _lazy_rule(module: str, name: str, code: str, rule_name: str, summary: str, tokens: Tuple[str, ...],
               requires: Tuple[str, ...], opt_in: bool) -> Type[Rule]:
    where = f"{__package__}.rules.{module}"
    return _LazyRuleType(name, (_LazyRule,), {
        "__module__": where, "__qualname__": name, "__doc__": f"{code} {rule_name}: {summary}",
        "target": (where, name), "code": code, "name": rule_name, "summary": summary, "tokens": tokens,
        "requires": requires, "opt_in": opt_in, "url": None,
    })


BUILTIN_RULES: Tuple[Type[Rule], ...] = tuple(_lazy_rule(*entry) for entry in _BUILTIN)
_BY_CODE = {rule.code: rule for rule in BUILTIN_RULES}


def _rebuild(code: str) -> Type[Rule]:
    return _BY_CODE[code]


# A stand-in travels to a worker that was not forked (the fork server's, Windows') as its
# code: by its names, pickle would find the real class, which is not the same object.
copyreg.pickle(_LazyRuleType, lambda rule: (_rebuild, (rule.code,)))  # type: ignore[arg-type]


def real_rule(rule: Type[Rule]) -> Type[Rule]:
    """The rule's own class (a built-in rule's stand-in imports it)."""
    return rule.load() if isinstance(rule, _LazyRuleType) else rule


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
        if rule.code in self.rules and not _same_rule(self.rules[rule.code], rule):
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


def _same_rule(known: Type[Rule], rule: Type[Rule]) -> bool:
    """One rule met twice (a plugin that re-exports a built-in rule's class)?"""
    if known is rule:
        return True
    names = (getattr(rule, "__module__", None), getattr(rule, "__qualname__", None))
    return isinstance(known, _LazyRuleType) and names == known.target


def _problem(rule: object) -> Optional[str]:
    """Why `rule` cannot run, found now rather than on every file (or in every worker)."""
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        return f"{rule!r} is not a session_lint.Rule subclass"
    if isinstance(rule, _LazyRuleType):
        return None  # built in: the test suite creates each one
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

    A directory on the path is read directly: its `*.dist-info` and `*.egg-info`
    directories' `entry_points.txt`, and the name and version of the few that name the
    group. That is what importlib.metadata reads there, without importing it (with the
    email parser it loads, a sixth of the start-up of `session-lint one.py`). Anything
    else on the path (a zip archive) is left to importlib.metadata.
    """
    found: List[Tuple[Any, str]] = []
    seen: set = set()
    for entry in _installed_path():
        try:
            children = os.listdir(entry or ".")
        except NotADirectoryError:
            found.extend(_entry_points_in_archive(entry, seen))
            continue
        except OSError:  # missing, unreadable: importlib.metadata finds nothing there either
            continue
        for child in children:
            if not child.lower().endswith((".dist-info", ".egg-info")):
                continue
            key = _normalized(child.rpartition(".")[0].split("-", 1)[0])
            if key in seen:
                continue
            seen.add(key)
            directory = os.path.join(entry, child)
            try:
                with open(os.path.join(directory, "entry_points.txt"), encoding="utf-8") as stream:
                    text = stream.read()
            except OSError:  # no entry points (or an `.egg-info` file): no plugin
                continue
            if ENTRY_POINT_GROUP not in text:
                continue
            try:
                origin = _origin(directory)
                group = _parse_entry_points(text)
            except (OSError, ValueError):  # damaged metadata of some distribution
                continue
            found.extend((entry_point, origin or entry_point.value) for entry_point in group)
    return found


def _entry_points_in_archive(entry: str, seen: set) -> List[Tuple[Any, str]]:
    from importlib.metadata import distributions

    found: List[Tuple[Any, str]] = []
    for distribution in distributions(path=[entry]):
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


def _origin(directory: str) -> Optional[str]:
    """`"<Name> <Version>"` from the metadata file's headers (METADATA, or PKG-INFO of an
    `.egg-info`), None without a name."""
    for file_name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(directory, file_name), encoding="utf-8", errors="replace") as stream:
                headers: Dict[str, str] = {}
                for line in stream:
                    if not line.strip():
                        break  # the end of the headers
                    field_name, colon, value = line.partition(":")
                    if colon and field_name in ("Name", "Version") and field_name not in headers:
                        headers[field_name] = value.strip()
        except OSError:
            continue
        name = headers.get("Name")
        return f"{name} {headers.get('Version')}" if name else None
    return None


class _EntryPoint:
    """An entry point read from `entry_points.txt`: its name, its value
    (`module:attribute`) and `load()`, as importlib.metadata's EntryPoint."""

    _VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")

    def __init__(self, name: str, value: str, group: str) -> None:
        self.name = name
        self.value = value
        self.group = group

    def load(self) -> Any:
        match = self._VALUE.match(self.value)
        if match is None:
            raise ValueError(f"not an entry point: {self.value!r}")
        loaded: Any = importlib.import_module(match.group("module"))
        for attribute in filter(None, (match.group("attr") or "").split(".")):
            loaded = getattr(loaded, attribute)
        return loaded

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def _parse_entry_points(text: str) -> List[_EntryPoint]:
    """The group's entries of an `entry_points.txt` (INI sections of `name = value` lines,
    `#` and `;` comments), as importlib.metadata reads them."""
    group: Optional[str] = None
    found: List[_EntryPoint] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        if group == ENTRY_POINT_GROUP:
            name, equals, value = line.partition("=")
            if not equals:
                raise ValueError(f"not an entry point line: {line!r}")
            found.append(_EntryPoint(name.strip(), value.strip(), group))
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
    builtin_registered = False
    for entry_point, origin in found:
        if entry_point.name == "builtin" and entry_point.value == BUILTIN_ENTRY_POINT:
            # Our own entry point: its stand-ins, not the modules (importing them loads libcst).
            builtin_registered = True
            for rule in BUILTIN_RULES:
                ruleset.add(rule, origin)
            continue
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
        for rule in BUILTIN_RULES:
            ruleset.add(rule, "session-lint (built-in)")
    return ruleset
