"""Reads `[tool.session-lint]` from pyproject.toml and validates every value."""
from __future__ import annotations

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
    "exclude": ("exclude", "strings"),
    "extend-exclude": ("extend_exclude", "strings"),
    "noreturn-functions": ("noreturn_functions", "strings"),
    "extend-noreturn-functions": ("noreturn_functions+", "strings"),
    "respect-gitignore": ("respect_gitignore", "bool"),
}


def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml, from `start` upward, that has a [tool.session-lint] table."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            # A cheap look before parsing: most pyproject files do not mention us.
            if TABLE in text:
                data = _parse(candidate, text)
                if TABLE in data.get("tool", {}):
                    return candidate
    return None


def _parse(path: Path, text: Optional[str] = None) -> Dict[str, Any]:
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


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
    if kind in ("codes", "strings"):
        items = _string_list(where, value)
        return tuple(s.strip().upper() for s in items) if kind == "codes" else items
    if kind == "glob-map":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of glob = [codes], not {_describe(value)}")
        return tuple(
            (glob, tuple(c.strip().upper() for c in _string_list(f"{where} [{glob!r}]", codes)))
            for glob, codes in value.items()
        )
    raise AssertionError(kind)  # pragma: no cover


def _string_list(where: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError(f"{where} must be a list of strings, not a string (write [{value!r}])")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings, not {_describe(value)}")
    return tuple(value)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def split_selectors(values: Iterable[str]) -> Tuple[str, ...]:
    """Command-line selector values: repeated options and comma-separated lists."""
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )
