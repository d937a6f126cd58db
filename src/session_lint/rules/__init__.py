"""The built-in rules, registered through the `session_lint.rules` entry point like any plugin."""
from __future__ import annotations

from typing import List, Type

from ..rule import Rule
from .orm101_add_without_commit import AddWithoutCommit

BUILTIN_RULES: List[Type[Rule]] = [
    AddWithoutCommit,
]
