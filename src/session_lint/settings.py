"""The one immutable settings object passed down from the CLI or flake8 to every layer."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import FrozenSet, Iterable, Optional, Tuple

DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "build",
    "dist",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".session_lint_cache",
    ".eggs",
    "*.egg-info",
)

DEFAULT_NORETURN_FUNCTIONS: Tuple[str, ...] = (
    "flask.abort",
    "werkzeug.exceptions.abort",
    "sys.exit",
    "os._exit",
    "pytest.fail",
    "pytest.skip",
    "pytest.exit",
    "typing.assert_never",
    "typing_extensions.assert_never",
)


@dataclass(frozen=True)
class Settings:
    # Rule selectors: full codes or prefixes ("ORM1", "ORM"); None means every known rule.
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    # (glob, selectors) pairs, globs relative to `root`.
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    noreturn_functions: Tuple[str, ...] = DEFAULT_NORETURN_FUNCTIONS
    respect_gitignore: bool = True
    # Apply `exclude`/`extend-exclude` to the paths named on the command line too (pre-commit
    # names every staged file; without this an excluded file would be linted anyway).
    force_exclude: bool = False
    # Seconds the analysis of one file may take before it stops with a warning (0: no limit).
    file_time_budget: float = 20.0
    # Directory that relative globs in the configuration are anchored to.
    root: Path = field(default_factory=Path.cwd)
    # Where the settings came from, for messages ("pyproject.toml" or None).
    config_path: Optional[Path] = None

    def enabled_codes(self, known_codes: Iterable[str], opt_in: Iterable[str] = ()) -> FrozenSet[str]:
        """The codes that run: `opt_in` names the rules that need a specific selector."""
        opt_in = frozenset(opt_in)
        return frozenset(
            code
            for code in known_codes
            if is_enabled(code, self.select, self.extend_select, self.ignore, code in opt_in)
        )

    def fingerprint(self) -> str:
        """A stable text that changes whenever a setting that affects findings changes."""
        return repr(
            (
                self.select,
                self.extend_select,
                self.ignore,
                self.per_file_ignores,
                self.noreturn_functions,
            )
        )


def _best_match(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of `code` (-1 for none)."""
    best = -1
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 0)
        elif code.startswith(selector):
            best = max(best, len(selector))
    return best


def is_specific(selector: str) -> bool:
    """`ORM304`, `ORM30`, `ORM3`: a selector with a digit names rules, not a whole linter."""
    return any(character.isdigit() for character in selector)


def is_enabled(
    code: str,
    select: Optional[Tuple[str, ...]],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
    opt_in: bool = False,
) -> bool:
    """ruff's rule: the most specific selector wins (`--select ORM101 --ignore ORM1` keeps ORM101).

    An opt-in rule counts only selectors that name it specifically (as flake8-bugbear does
    for its B9 warnings): `ORM304` or `ORM3` enable it, the default selection, `ORM` and
    `ALL` do not.
    """
    select = ("ALL",) if select is None else select
    if opt_in:
        select = tuple(s for s in select if is_specific(s))
        extend_select = tuple(s for s in extend_select if is_specific(s))
    selected = max(_best_match(code, select), _best_match(code, extend_select))
    # At equal specificity the ignore wins, as in ruff.
    return selected >= 0 and _best_match(code, ignore) < selected


def ignored_for_file(code: str, selectors: Iterable[str]) -> bool:
    return _best_match(code, selectors) >= 0


def selector_matches_any(selector: str, known_codes: Iterable[str]) -> bool:
    return selector == "ALL" or any(code.startswith(selector) for code in known_codes)
