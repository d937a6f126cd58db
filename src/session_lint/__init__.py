"""session-lint: a static linter for SQLAlchemy session mistakes.

The public API for rule authors is what this module exports: subclass `Rule`, yield
`Finding`s from `check(context)`, and ask `context.model` (a `SemanticModel`).
"""
import os as _os
import sys as _sys


def _drop_working_directory() -> None:
    """`python -m session_lint` puts the working directory first on sys.path before this
    package is imported: a `libcst.py` or `pathspec.py` of the linted project would be
    imported (and run) in place of the real one. Drop it, as pip does. While the module is
    being located, sys.argv[0] is "-m"; sys.orig_argv (Python 3.10+) names the module."""
    if _sys.argv[:1] != ["-m"] or not _sys.path:
        return
    orig_argv = getattr(_sys, "orig_argv", None)
    if orig_argv and "-m" in orig_argv[:-1] and \
            orig_argv[orig_argv.index("-m") + 1].partition(".")[0] != __name__:
        return  # another program run with -m imports us while it is located
    try:
        cwd = _os.getcwd()
    except OSError:
        cwd = None
    if _sys.path[0] in ("", cwd):
        del _sys.path[0]


_drop_working_directory()

from ._version import __version__  # noqa: E402 (after the sys.path fix, on purpose)

# The public names are imported on first use (PEP 562): importing the package (as
# `session-lint --version` and the entry-point machinery do) does not load libcst.
_PUBLIC = {
    "Diagnostic": "diagnostics",
    "Location": "diagnostics",
    "LintResult": "engine",
    "lint_source": "engine",
    "Finding": "rule",
    "Rule": "rule",
    "RuleContext": "rule",
    "SemanticModel": "semantic",
    "Settings": "settings",
}

__all__ = [
    "Diagnostic",
    "Finding",
    "LintResult",
    "Location",
    "Rule",
    "RuleContext",
    "SemanticModel",
    "Settings",
    "__version__",
    "lint_source",
]


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_PUBLIC))
