"""session-lint: a static linter for SQLAlchemy session mistakes.

The public API for rule authors is what this module exports: subclass `Rule`, yield
`Finding`s from `check(context)`, and ask `context.model` (a `SemanticModel`).
"""
from ._version import __version__
from .diagnostics import Diagnostic, Location
from .engine import LintResult, lint_source
from .rule import Finding, Rule, RuleContext
from .semantic import SemanticModel
from .settings import Settings

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
