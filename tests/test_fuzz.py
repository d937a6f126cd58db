"""Generated valid programs never make the engine raise or report an internal error.

Bounded so CI stays fast; `benchmarks/fuzz.py` runs the long campaign.
"""
from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from session_lint.fuzzing import lint_generated  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@FUZZ
@given(hypothesmith.from_grammar())
def test_grammar_programs(source: str) -> None:
    assert lint_generated(source) is None


@FUZZ
@given(hypothesmith.from_node())
def test_libcst_node_programs(source: str) -> None:
    assert lint_generated(source) is None
