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
from .diagnostics import Diagnostic, Location  # noqa: E402
from .engine import LintResult, lint_source  # noqa: E402
from .rule import Finding, Rule, RuleContext  # noqa: E402
from .semantic import SemanticModel  # noqa: E402
from .settings import Settings  # noqa: E402

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
