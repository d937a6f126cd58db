"""Which settings apply to an open file: its project's `[tool.session-lint]`, found and read
as the CLI finds and reads it from the file's directory, with the editor's overrides
(`select`, `extendSelect`, `ignore`) on top, as command-line options are."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Type

from ..config import ConfigError, find_config, load_settings, project_root, split_selectors
from ..diagnostics import ENGINE_CODES
from ..discovery import collect_files
from ..registry import RuleSet
from ..rule import Rule
from ..runner import _PerFileIgnores
from ..settings import Settings, ignored_for_file, selector_matches_any

# Where editors put a server's settings: VS Code's generic clients nest them under the
# server's name, Neovim and Helix pass whatever table the user wrote.
_SECTIONS = ("session-lint", "session_lint", "sessionLint")
_KEYS = {"select": "select", "extendSelect": "extend_select", "extend-select": "extend_select",
         "extend_select": "extend_select", "ignore": "ignore"}


@dataclass(frozen=True)
class Overrides:
    """The editor's rule selection; it overrides the file's as command-line options do."""

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()

    def apply(self, settings: Settings) -> Settings:
        if self.select is not None:
            # As `--select`: a new selection starts over, the file's ignores no longer apply.
            settings = replace(settings, select=self.select, ignore=())
        if self.extend_select:
            settings = replace(settings, extend_select=settings.extend_select + self.extend_select)
        if self.ignore:
            settings = replace(settings, ignore=settings.ignore + self.ignore)
        return settings


def overrides_from_client(value: Any) -> Optional[Tuple[Overrides, List[str]]]:
    """The overrides in a client's settings object and what was wrong with them (each
    problem is reported and the value it names left out, never the whole object); None
    when the object holds no setting of session-lint's (it is another server's)."""
    if not isinstance(value, Mapping):
        return None
    table = _section(value)
    if table is value and not any(key in table for key in _KEYS):
        return None
    found: Dict[str, Tuple[str, ...]] = {}
    problems: List[str] = []
    for key, field_name in _KEYS.items():
        if table.get(key) is None:
            continue
        raw = table[key]
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            problems.append(f"setting `{key}` must be a list of rule codes, not {raw!r}")
            continue
        try:
            found[field_name] = found.get(field_name, ()) + split_selectors(items, key)
        except ConfigError as error:
            problems.append(f"setting {error}")
    return Overrides(found.get("select"), found.get("extend_select", ()), found.get("ignore", ())), problems


def _section(value: Mapping[str, Any]) -> Mapping[str, Any]:
    for name in _SECTIONS:
        if isinstance(value.get(name), Mapping):
            return value[name]
    return value


@dataclass(frozen=True)
class FileSettings:
    """Everything that decides what is reported in one file."""

    settings: Settings
    rules: Tuple[Type[Rule], ...]
    enabled: FrozenSet[str]
    # The configuration could not be used (the defaults apply) or names unknown rules.
    problems: Tuple[str, ...] = ()
    per_file_ignores: Optional[_PerFileIgnores] = None

    # path -> excluded? (matching compiles the patterns: about 1 ms, once per open file)
    _excluded: Dict[Path, bool] = field(default_factory=dict, compare=False, repr=False)

    def excludes(self, path: Path) -> bool:
        """Does `exclude`/`extend-exclude` leave this file out, as `session-lint
        --force-exclude FILE` would (relative to the project root; a pattern for a
        directory covers the files below it)? A file not on disk (yet) is not excluded."""
        excluded = self._excluded.get(path)
        if excluded is None:
            found = collect_files([str(path)], replace(self.settings, force_exclude=True))
            excluded = not found.files and not found.problems
            if len(self._excluded) > 1024:  # a long session that opened many files
                self._excluded.clear()
            self._excluded[path] = excluded
        return excluded

    def reports(self, code: str, path: Optional[Path]) -> bool:
        """Is a finding of `code` in the file at `path` shown (selection, per-file ignores)?"""
        if code not in self.enabled and code not in ENGINE_CODES:
            return False
        if path is None or self.per_file_ignores is None:
            return True
        ignored = self.per_file_ignores.codes_for(str(path))
        return not (ignored and ignored_for_file(code, ignored))


class SettingsStore:
    """FileSettings per configuration file, read again whenever that file changes on disk
    (it is looked up for every lint: a few `stat`s and one small TOML parse)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.overrides = Overrides()
        self.override_problems: Tuple[str, ...] = ()
        self._cache: Dict[Tuple[Any, ...], FileSettings] = {}

    def set_overrides(self, overrides: Overrides, problems: Sequence[str] = ()) -> None:
        self.overrides = overrides
        self.override_problems = tuple(problems)
        self._cache.clear()

    def forget(self) -> None:
        self._cache.clear()

    def for_directory(self, directory: Path) -> FileSettings:
        try:
            config = find_config(directory)
        except ConfigError as error:
            return self._defaults(directory, str(error))
        key = (config, _stamp(config), project_root(directory) if config is None else None)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(directory, config)
            if len(self._cache) > 64:  # many projects opened over a long session
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def _resolve(self, directory: Path, config: Optional[Path]) -> FileSettings:
        try:
            settings = load_settings(config, Settings(root=project_root(directory)))
        except ConfigError as error:
            return self._defaults(directory, str(error))
        return self._file_settings(settings, ())

    def _defaults(self, directory: Path, problem: str) -> FileSettings:
        return self._file_settings(Settings(root=project_root(directory)),
                                   (f"{problem} (checking with the default options)",))

    def _file_settings(self, settings: Settings, problems: Tuple[str, ...]) -> FileSettings:
        settings = self.overrides.apply(settings)
        known = list(self.ruleset.rules) + list(ENGINE_CODES)
        unknown = [f"unknown rule selector `{selector}` in `{where}`"
                   for where, selectors in _selector_groups(settings)
                   for selector in selectors if not selector_matches_any(selector, known)]
        origin = f"{settings.config_path}: " if settings.config_path and unknown else ""
        problems += tuple(origin + text for text in unknown) + self.override_problems
        enabled = settings.enabled_codes(self.ruleset.rules, self.ruleset.opt_in_codes())
        rules = tuple(self.ruleset.rules[code] for code in sorted(enabled))
        per_file = _PerFileIgnores(settings) if settings.per_file_ignores else None
        return FileSettings(settings, rules, enabled, problems, per_file)


def _selector_groups(settings: Settings) -> List[Tuple[str, Sequence[str]]]:
    groups: List[Tuple[str, Sequence[str]]] = [
        ("select", settings.select or ()), ("extend-select", settings.extend_select), ("ignore", settings.ignore)]
    groups += [(f"per-file-ignores[{glob!r}]", codes) for glob, codes in settings.per_file_ignores]
    return groups


def _stamp(config: Optional[Path]) -> Optional[Tuple[int, int]]:
    if config is None:
        return None
    try:
        status = os.stat(config)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
