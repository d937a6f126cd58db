"""Line and column numbers, computed only when a module actually has something to report.

libcst finds positions by printing the whole module. The language server lints the same
document after every edit, and an edit changes one top-level statement: there, the
positions of each top-level statement are kept (`StatementPositions`, made active for a
lint with `reusing(...)`) and only the statements the edit touched are printed again.
A statement's positions depend on nothing before it but the line it starts on (it starts
in column 0) and the module's default indentation and newline, so the kept ones are
moved to their new line when an edit above them added or removed lines. The result is
what libcst's PositionProvider gives for every node of the module
(tests/test_server_parts.py compares them over random edits of the rule fixtures).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Dict, Iterator, Mapping, Optional, Tuple

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

_active = threading.local()


class Positions:
    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._ranges: Optional[Mapping[cst.CSTNode, CodeRange]] = None
        # Taken when the model is made: the lint runs on the thread that made it active.
        self._kept: Optional[StatementPositions] = getattr(_active, "kept", None)

    def _all(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._ranges is None:
            ranges = self._kept.ranges(self._module) if self._kept is not None else None
            self._ranges = ranges if ranges is not None else whole_module_positions(self._module)
        return self._ranges

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self._all()[node]

    def start(self, node: cst.CSTNode):
        return self.range(node).start

    def rows(self, node: cst.CSTNode) -> Tuple[int, int]:
        code_range = self.range(node)
        return code_range.start.line, code_range.end.line

    def header_rows(self, statement: cst.CSTNode) -> Tuple[int, int]:
        """Rows of a statement's header: the whole simple statement, or a compound one up to its colon."""
        first, last = self.rows(statement)
        body = getattr(statement, "body", None)
        if isinstance(statement, cst.BaseCompoundStatement) and isinstance(body, cst.IndentedBlock):
            if body.body:
                last = max(first, self.start(body.body[0]).line - 1)
        return first, last


def whole_module_positions(module: cst.Module) -> Dict[cst.CSTNode, CodeRange]:
    """libcst's positions of every node of `module`, in one pass."""
    # unsafe_skip_copy keeps node identity, so ranges are keyed by our own nodes.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    # The provider's own pass, as `wrapper.resolve(PositionProvider)` runs it; resolve
    # then also walks the whole tree once more with a visitor for batchable providers,
    # even when there are none, which costs about as much again.
    return PositionProvider()._gen(wrapper)


@contextmanager
def reusing(kept: "StatementPositions") -> Iterator[None]:
    """Models made on this thread inside the block take their positions from `kept`."""
    previous = getattr(_active, "kept", None)
    _active.kept = kept
    try:
        yield
    finally:
        _active.kept = previous


class _Collector:
    """What PositionProvidingCodegenState writes to (a provider's `_computed`)."""

    def __init__(self) -> None:
        self._computed: Dict[cst.CSTNode, CodeRange] = {}


class _Placed:
    """The positions of one top-level statement's nodes when it starts on line `first`."""

    __slots__ = ("first", "lines", "ranges")

    def __init__(self, first: int, lines: int, ranges: Dict[cst.CSTNode, CodeRange]) -> None:
        self.first = first
        self.lines = lines
        self.ranges = ranges

    def moved_to(self, first: int) -> "_Placed":
        delta = first - self.first
        ranges = {node: CodeRange(CodePosition(r.start.line + delta, r.start.column),
                                  CodePosition(r.end.line + delta, r.end.column))
                  for node, r in self.ranges.items()}
        return _Placed(first, self.lines, ranges)


# A top-level statement as printed in a module: the node, the module's indentation and newline.
_Key = Tuple[cst.CSTNode, str, str]


class StatementPositions:
    """The positions of the top-level statements of the last two modules asked about
    (the engine may ask about a reduced copy of a text and then about the text), for
    modules that share statement nodes with those (the language server's incremental
    parse gives an unchanged statement the same nodes again)."""

    def __init__(self) -> None:
        self._current: Dict[_Key, _Placed] = {}
        self._previous: Dict[_Key, _Placed] = {}
        # For the debug log: statements printed and reused by the last call.
        self.printed = 0
        self.reused = 0

    def ranges(self, module: cst.Module) -> Optional[Dict[cst.CSTNode, CodeRange]]:
        """The positions of every node of `module`; None where the whole module is better
        printed by libcst (nothing to reuse)."""
        if len(module.body) < 2:
            return None
        indent, newline = module.default_indent, module.default_newline
        collector = _Collector()
        state = self._state(module, collector, 1)
        for line in module.header:
            line._codegen(state)
        ranges = collector._computed
        used: Dict[_Key, _Placed] = {}
        self.printed = self.reused = 0
        line = state.line
        for statement in module.body:
            key = (statement, indent, newline)
            placed = used.get(key)
            if placed is not None:
                return None  # the same node twice: its position is not one thing
            placed = self._current.get(key) or self._previous.get(key)
            if placed is None:
                placed = self._print(module, statement, line)
                if placed is None:
                    return None
                self.printed += 1
            else:
                self.reused += 1
                if placed.first != line:
                    placed = placed.moved_to(line)
            used[key] = placed
            ranges.update(placed.ranges)
            line += placed.lines
        state = self._state(module, collector, line)
        for footer_line in module.footer:
            footer_line._codegen(state)
        ranges[module] = CodeRange(CodePosition(1, 0), CodePosition(state.line, state.column))
        self._previous, self._current = self._current, used
        return ranges

    def _print(self, module: cst.Module, statement: cst.BaseStatement, first: int) -> Optional[_Placed]:
        collector = _Collector()
        state = self._state(module, collector, first)
        statement._codegen(state)
        if state.column != 0:  # a statement ends with its newline; anything else is not ours to place
            return None
        return _Placed(first, state.line - first, collector._computed)

    @staticmethod
    def _state(module: cst.Module, collector: _Collector, line: int) -> PositionProvidingCodegenState:
        return PositionProvidingCodegenState(default_indent=module.default_indent,
                                             default_newline=module.default_newline,
                                             provider=collector, line=line)  # type: ignore[arg-type]
