"""Shared by the fuzz test and the long fuzz campaign: lint one generated program with every
rule and say what, if anything, escaped."""
from __future__ import annotations

from typing import Optional

from .engine import lint_source
from .rules import BUILTIN_RULES
from .settings import Settings

# Wrapping generated code in session-heavy context makes the rules' deeper paths run, not
# only the prefilter.
SESSION_PRELUDE = (
    "from sqlalchemy import select\n"
    "from sqlalchemy.orm import Session, sessionmaker\n"
    "from flask_sqlalchemy import SQLAlchemy\n"
    "db = SQLAlchemy()\n"
    "SessionLocal = sessionmaker()\n"
)


def lint_generated(source: str) -> Optional[str]:
    """None when the engine handled `source` cleanly, else a description of what went wrong."""
    for text in (source, SESSION_PRELUDE + source):
        try:
            result = lint_source(text, "generated.py", BUILTIN_RULES, Settings())
        except BaseException as error:  # the engine promises never to raise
            return f"exception escaped: {type(error).__name__}: {error}"
        internal = [d for d in result.diagnostics if d.code == "ORM002"]
        if internal:
            return f"internal error: {internal[0].message}\n{''.join(result.tracebacks)}"
    return None
