"""Small questions about one call that every analysis asks: which method it invokes, and
what it calls. (The SQLAlchemy method names the analyses agree on are in `names.py`.)"""
from __future__ import annotations

from typing import List, Optional

import libcst as cst


def method_name(call: cst.CSTNode) -> Optional[str]:
    """`m` for a call `x.m(...)` (also awaited); None for anything else."""
    if isinstance(call, cst.Await):
        call = call.expression
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return None


def is_method_call(node: Optional[cst.CSTNode], *methods: str) -> bool:
    """`node` is `x.m(...)` (also awaited) for one of `methods`."""
    return node is not None and method_name(node) in methods


def callee_name(call: cst.Call) -> Optional[str]:
    """The last name of what a call calls: `f` for `f(...)`, `m` for `x.m(...)`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def simple_statements(block: cst.BaseSuite) -> Optional[List[cst.BaseSmallStatement]]:
    """The small statements of a block made of simple lines only (None when it holds a
    compound statement)."""
    if isinstance(block, cst.SimpleStatementSuite):
        return list(block.body)
    found: List[cst.BaseSmallStatement] = []
    for line in block.body:
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        found.extend(line.body)
    return found
