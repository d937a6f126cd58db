"""Line and column numbers, computed only when a module actually has something to report."""
from __future__ import annotations

from typing import Mapping, Optional, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider


class Positions:
    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._ranges: Optional[Mapping[cst.CSTNode, CodeRange]] = None

    def _all(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._ranges is None:
            # unsafe_skip_copy keeps node identity, so ranges are keyed by our own nodes.
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            # The provider's own pass, as `wrapper.resolve(PositionProvider)` runs it; resolve
            # then also walks the whole tree once more with a visitor for batchable providers,
            # even when there are none, which costs about as much again.
            self._ranges = PositionProvider()._gen(wrapper)
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
