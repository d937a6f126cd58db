"""An example third-party rule plugin for session-lint."""
from typing import List, Type

from session_lint import Rule

from .formatted_sql import FormattedSqlText

__version__ = "0.1.0"

# What the `session_lint.rules` entry point names: every rule of this plugin.
RULES: List[Type[Rule]] = [FormattedSqlText]

__all__ = ["RULES", "FormattedSqlText"]
