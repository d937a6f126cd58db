"""The built-in rules, registered through the `session_lint.rules` entry point like any plugin."""
from __future__ import annotations

from typing import List, Type

from ..rule import Rule
from .orm101_add_without_commit import AddWithoutCommit
from .orm102_session_not_closed import SessionNotClosed
from .orm103_commit_in_loop import CommitInLoop
from .orm104_detached_instance_access import DetachedInstanceAccess
from .orm105_implicit_io_after_commit import ImplicitIoAfterCommit
from .orm201_unchecked_none_result import UncheckedNoneResult
from .orm301_python_side_filter import PythonSideFilter
from .orm302_python_side_sort_or_slice import PythonSideSortOrSlice
from .orm303_python_side_count_or_aggregate import PythonSideCountOrAggregate
from .orm304_query_in_loop import QueryInLoop
from .orm401_missing_rollback import MissingRollback
from .orm501_python_boolean_operator import PythonBooleanOperatorInFilter
from .orm502_python_in_operator import PythonInOperatorInFilter
from .orm503_identity_comparison import IdentityComparisonInFilter
from .orm900_unused_noqa import UnusedNoqa

BUILTIN_RULES: List[Type[Rule]] = [
    AddWithoutCommit,
    SessionNotClosed,
    CommitInLoop,
    DetachedInstanceAccess,
    ImplicitIoAfterCommit,
    UncheckedNoneResult,
    PythonSideFilter,
    PythonSideSortOrSlice,
    PythonSideCountOrAggregate,
    QueryInLoop,
    MissingRollback,
    PythonBooleanOperatorInFilter,
    PythonInOperatorInFilter,
    IdentityComparisonInFilter,
    UnusedNoqa,
]
