"""Reads `[tool.session-lint]` from pyproject.toml and validates every value."""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

from .settings import Settings

TABLE = "session-lint"


class ConfigError(Exception):
    """A configuration problem, reported as one line naming the file and the key."""


# key in pyproject -> (Settings field, kind)
_KEYS: Dict[str, Tuple[str, str]] = {
    "select": ("select", "codes"),
    "extend-select": ("extend_select", "codes"),
    "ignore": ("ignore", "codes"),
    "per-file-ignores": ("per_file_ignores", "glob-map"),
    "exclude": ("exclude", "globs"),
    "extend-exclude": ("extend_exclude", "globs"),
    "noreturn-functions": ("noreturn_functions", "strings"),
    "extend-noreturn-functions": ("noreturn_functions+", "strings"),
    "respect-gitignore": ("respect_gitignore", "bool"),
    "force-exclude": ("force_exclude", "bool"),
    "file-time-budget": ("file_time_budget", "seconds"),
}


# What makes a directory the root of a project. Paths are judged relative to it (a `tests/`
# directory is test code, per-file-ignores match, the project index is scanned from it), and it
# is found from each linted file's own location, never from the working directory: the same
# file gets the same findings from wherever session-lint is started.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", ".flake8", ".git")


def project_root(start: Path) -> Path:
    """The nearest directory, from `start` upward, with one of PROJECT_MARKERS; `start`
    itself when there is none."""
    for directory in (start, *start.parents):
        if is_project_root(directory):
            return directory
    return start


def is_project_root(directory: Path) -> bool:
    # lexists: a dangling `.git` link (a worktree whose main checkout moved) still marks a root.
    return any(os.path.lexists(directory / marker) for marker in PROJECT_MARKERS)


def project_settings(start: Path, base: Settings, isolated: bool = False) -> Settings:
    """The settings of the project the directory `start` is in: its [tool.session-lint]
    (unless `isolated`) over `base`, rooted at the configuration's directory, or else at
    the project root. Raises ConfigError for a configuration that cannot be used."""
    config = None if isolated else find_config(start)
    if config is None:
        return replace(base, root=project_root(start))
    return load_settings(config, base)


def find_config(start: Path) -> Optional[Path]:
    """The pyproject.toml of the project `start` is in, if it has a [tool.session-lint]
    table. The search upward stops at the project root (the first pyproject.toml, or a
    .git): a [tool.session-lint] in $HOME or /tmp does not apply to a repository below
    it. One that cannot be read raises ConfigError rather than being skipped."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if os.path.isfile(candidate):
            text = _read(candidate)
            # A cheap look before parsing: most pyproject files do not mention us.
            if TABLE in text and TABLE in _parse(candidate, text).get("tool", {}):
                return candidate
            return None
        if os.path.lexists(directory / ".git"):
            return None
    return None


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def _parse(path: Path, text: Optional[str] = None) -> Dict[str, Any]:
    if text is None:
        text = _read(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def load_settings(path: Optional[Path], base: Settings) -> Settings:
    """Settings from the config file at `path` layered over `base` (None: `base` as it is)."""
    if path is None:
        return base
    data = _parse(path)
    table = data.get("tool", {}).get(TABLE)
    if table is None:
        # An explicit --config without our table is not an error: it just sets nothing.
        return replace(base, root=path.parent.resolve(), config_path=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    return apply_table(table, base, path)


def apply_table(table: Dict[str, Any], base: Settings, path: Path) -> Settings:
    changes: Dict[str, Any] = {"root": path.parent.resolve(), "config_path": path}
    extra_noreturn: Tuple[str, ...] = ()
    for key, value in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(
                f"{path}: unknown key `{key}` in [tool.{TABLE}] (known keys: {known})"
            )
        field_name, kind = _KEYS[key]
        converted = _convert(path, key, kind, value)
        if field_name == "noreturn_functions+":
            extra_noreturn = converted
        else:
            changes[field_name] = converted
    settings = replace(base, **changes)
    if extra_noreturn:
        settings = replace(
            settings, noreturn_functions=settings.noreturn_functions + extra_noreturn
        )
    return settings


def _convert(path: Path, key: str, kind: str, value: Any) -> Any:
    where = f"{path}: `{key}` in [tool.{TABLE}]"
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {_describe(value)}")
        return value
    if kind == "seconds":
        # bool is an int in Python: `true` is not a number of seconds.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            raise ConfigError(f"{where} must be a number of seconds (0 for no limit), not {_describe(value)}")
        return float(value)
    if kind == "strings":
        return _string_list(where, value)
    if kind == "codes":
        return _codes(where, value)
    if kind == "globs":
        return tuple(_glob(where, pattern) for pattern in _string_list(where, value))
    if kind == "glob-map":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of glob = [codes], not {_describe(value)}")
        return tuple(
            (_glob(where, glob), _codes(f"{where} [{glob!r}]", codes)) for glob, codes in value.items()
        )
    raise AssertionError(kind)  # pragma: no cover


def _codes(where: str, value: Any) -> Tuple[str, ...]:
    codes = tuple(item.strip().upper() for item in _string_list(where, value))
    if not all(codes):
        # `ignore = [""]` from an empty variable would otherwise match every rule.
        raise ConfigError(f"{where} has an empty rule selector: {value!r}")
    return codes


def _glob(where: str, pattern: str) -> str:
    import re
    import warnings

    import pathspec

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # re's "possible nested set" for `[[`
            pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as error:  # `!`, a trailing `\`; a reversed range `[z-a]`
        detail = f": {error}" if isinstance(error, re.error) else ""
        raise ConfigError(f"{where} has an invalid pattern {pattern!r}{detail}") from None
    return pattern


def _string_list(where: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError(f"{where} must be a list of strings, not a string (write [{value!r}])")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings, not {_describe(value)}")
    return tuple(value)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def split_selectors(values: Iterable[str], option: str = "") -> Tuple[str, ...]:
    """Command-line selector values: repeated options and comma-separated lists. An empty
    one (`--select ""` from an unset variable, a stray comma) raises ConfigError: it would
    silently select nothing, or ignore everything."""
    selectors = []
    for value in values:
        parts = [part.strip().upper() for part in value.split(",")]
        if not all(parts):
            where = f"{option} {value!r}" if option else repr(value)
            raise ConfigError(f"{where}: empty rule selector (an unset variable or a stray comma?)")
        selectors.extend(parts)
    return tuple(selectors)


def split_patterns(values: Iterable[str], option: str) -> Tuple[str, ...]:
    """Command-line exclude patterns (`--exclude`, `--extend-exclude`): repeated options and
    comma-separated lists, as in ruff, each checked as the configuration's are."""
    patterns = []
    for value in values:
        parts = [part.strip() for part in value.split(",")]
        if not all(parts):
            raise ConfigError(f"{option} {value!r}: empty pattern (an unset variable or a stray comma?)")
        patterns.extend(_glob(f"{option} {value!r}", part) for part in parts)
    return tuple(patterns)
