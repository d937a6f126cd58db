"""libcst's parse of a document that is being edited, reusing what did not change.

An edit touches one top-level statement (a function, a class, an import); libcst parses
the whole module again, which is about a third of a lint of a 1,000-line file. Here the
text is cut into chunks, one per top-level statement (`ast`, in C, finds where they
start), each chunk is parsed on its own and kept by its text, and the module is put
together from the chunks: after an edit, only the chunk that holds it is parsed again.

The result is the module `libcst.parse_module(text)` gives, node for node (the tests
compare them with `deep_equals` over the rule fixtures and random edits of them):
- a top-level statement's parse does not depend on what comes before it (it starts at
  column 0), except for the empty and comment lines before it, which libcst makes its
  `leading_lines`. Each chunk starts at its statement's first line, so those lines end
  the previous chunk, whose own parse puts them in its module `footer` (the lines indented
  under a block stay that block's footer either way): they move to the statement;
- the module's header comes from the first chunk, its footer and trailing newline from
  the last, its default indentation from the first chunk that indents a block;
- an indented block keeps its indentation only where it differs from the module's
  default (`IndentedBlock.indent`): the blocks of a chunk whose own default differs are
  given the module's terms.
Whatever is not plain (no `ast` parse, a chunk that does not parse or does not print back
to its text, a lone carriage return) is parsed whole, by libcst, which then also raises
what it would raise.
"""
from __future__ import annotations

import ast
import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

logger = logging.getLogger(__name__)

# libcst's indentation for a module that indents nothing.
_FALLBACK_INDENT = " " * 4
# Nodes whose children may be an indented block (a compound statement and its clauses);
# expressions never hold one.
_CLAUSES = (cst.BaseCompoundStatement, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally,
            cst.MatchCase)
# A chunk that does not print back to its text is joined to the next one; a file with many
# of them is parsed whole.
_MAX_JOINS = 8


@dataclass
class _Chunk:
    module: cst.Module
    indents: bool  # holds an indented block: the module's default_indent is its
    # The module in the terms of a file whose default indentation is the key.
    _reindented: Dict[str, cst.Module] = field(default_factory=dict)
    # Its first statement led by the lines that ended the chunk before it (the key: the
    # module it is taken from and what those lines hold), made once: the same statement
    # node after every edit elsewhere (also of the chunk before), whose positions the
    # semantic model then reuses.
    _led: Dict[Tuple[object, ...], cst.BaseStatement] = field(default_factory=dict)

    def first_led_by(self, module: cst.Module, lines: Sequence[cst.EmptyLine]) -> cst.BaseStatement:
        key = (module, *(_line_key(line) for line in lines))
        statement = self._led.get(key)
        if statement is None:
            if len(self._led) >= 4:
                self._led.clear()
            first = module.body[0]
            statement = self._led[key] = first.with_changes(leading_lines=(*lines, *first.leading_lines))
        return statement

    def in_file_indented_by(self, indent: str) -> cst.Module:
        if not self.indents or self.module.default_indent == indent:
            return self.module
        module = self._reindented.get(indent)
        if module is None:
            self._reindented.clear()  # one file, one default at a time
            module = self._reindented[indent] = self.module.visit(_Reindent(self.module.default_indent, indent))
        return module


def _line_key(line: cst.EmptyLine) -> Tuple[object, ...]:
    """What an empty or comment line holds (two lines that hold the same are the same)."""
    comment = line.comment.value if line.comment is not None else None
    return line.indent, line.whitespace.value, comment, line.newline.value


class _Reindent(cst.CSTTransformer):
    """`IndentedBlock.indent` is None where the block is indented by the module's
    default, the indentation itself elsewhere: from a chunk's default to the file's."""

    def __init__(self, chunk_default: str, file_default: str) -> None:
        super().__init__()
        self.chunk_default = chunk_default
        self.file_default = file_default

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock,
                            updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        actual = self.chunk_default if updated_node.indent is None else updated_node.indent
        return updated_node.with_changes(indent=None if actual == self.file_default else actual)


class IncrementalParser:
    """`parser(text)` is `libcst.parse_module(text)`; the chunks of the last two texts
    parsed are kept (the engine may parse a reduced copy of a text and then the text)."""

    def __init__(self) -> None:
        self._current: Dict[str, _Chunk] = {}
        self._previous: Dict[str, _Chunk] = {}
        # Chunk texts that cannot be used alone: True for those that parse but do not print
        # back (worth joining to the next chunk), False for those that do not parse.
        self._unplain: Dict[str, bool] = {}
        # For the debug log: chunks parsed and reused by the last call (-1, -1: the text was
        # parsed whole), and seconds spent in calls since the caller last set it to 0.
        self.parsed = 0
        self.reused = 0
        self.seconds = 0.0

    def __call__(self, text: str) -> cst.Module:
        started = time.perf_counter()
        try:
            try:
                module = self._from_chunks(text)
            except Exception:  # a mistake of ours must cost the speed-up, never the lint
                logger.debug("parsing the text whole after an error of the incremental parse", exc_info=True)
                self._previous, self._current = {}, {}
                module = None
            if module is None:
                self.parsed = self.reused = -1
                module = cst.parse_module(text)
            return module
        finally:
            self.seconds += time.perf_counter() - started

    def _from_chunks(self, text: str) -> Optional[cst.Module]:
        pieces = chunk_texts(text)
        if pieces is None or len(pieces) < 2:
            return None  # nothing to reuse: one statement, or none
        used: Dict[str, _Chunk] = {}
        chunks: List[_Chunk] = []
        self.parsed = self.reused = 0
        position = 0
        while position < len(pieces):
            piece = pieces[position]
            joins = 0
            while True:
                # A statement written twice (`x = 1` ... `x = 1`) is two statements: the
                # second gets nodes of its own.
                chunk = self._chunk(piece, fresh=piece in used)
                if chunk is not None or not self._unplain.get(piece) or position + 1 >= len(pieces) \
                        or joins >= _MAX_JOINS:
                    break
                # Whitespace-only lines before comments at the end of a chunk: libcst keeps
                # them in a module's leading lines, not always in its footer. The next
                # statement after them is taken in.
                position += 1
                joins += 1
                piece += pieces[position]
            if chunk is None or (chunks and chunk.module.header):
                return None  # (a chunk after the first starts with its statement: no header)
            used[piece] = chunk
            chunks.append(chunk)
            position += 1
        self._previous, self._current = self._current, used
        return _join(chunks)

    def _chunk(self, piece: str, fresh: bool = False) -> Optional[_Chunk]:
        chunk = None if fresh else self._current.get(piece) or self._previous.get(piece)
        if chunk is not None:
            self.reused += 1
            return chunk
        if piece in self._unplain:
            return None
        try:
            module = cst.parse_module(piece)
        except Exception:  # syntax libcst does not take: the whole text's parse reports it
            module = None
        if module is None or not module.body or module.code != piece:
            if len(self._unplain) > 256:
                self._unplain.clear()
            self._unplain[piece] = module is not None
            return None
        self.parsed += 1
        return _Chunk(module, any(_indents(statement) for statement in module.body))


def chunk_texts(text: str) -> Optional[List[str]]:
    """`text` cut before each top-level statement (its first decorator, for a decorated
    one): the pieces join back to `text`. None when `ast` cannot parse it, or its line
    ends are not all the same kind of newline."""
    if "\r" in text and not text.count("\r") == text.count("\r\n") == text.count("\n"):
        # A lone CR ends a line for Python but not for str.split("\n"); and a newline is
        # kept in the tree only where it differs from the module's first one.
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for "\d" and the like: not ours to say
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = text.split("\n")
    starts = sorted({_first_line(statement) for statement in tree.body})
    offsets: List[int] = []
    offset = 0
    line_starts = [0]
    for line in lines[:-1]:
        offset += len(line) + 1
        line_starts.append(offset)
    for row in starts[1:]:
        # A statement at the top level starts in column 0; anything else (a parenthesized
        # decorator's position is its expression's) is no place to cut.
        if 0 < row <= len(lines) and lines[row - 1][:1] not in ("", " ", "\t", "\f", "#"):
            offsets.append(line_starts[row - 1])
    bounds = [0, *offsets, len(text)]
    return [text[start:end] for start, end in zip(bounds, bounds[1:])]


def _first_line(statement: ast.stmt) -> int:
    decorators: Sequence[ast.expr] = getattr(statement, "decorator_list", ())
    return min([statement.lineno, *(decorator.lineno for decorator in decorators)])


def _indents(node: cst.CSTNode) -> bool:
    """Does the statement hold an indented block (an INDENT token, which sets the
    module's default_indent)?"""
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            return True
        if isinstance(child, _CLAUSES) and _indents(child):
            return True
    return False


def _join(chunks: Sequence[_Chunk]) -> cst.Module:
    indent = next((chunk.module.default_indent for chunk in chunks if chunk.indents), _FALLBACK_INDENT)
    modules = [chunk.in_file_indented_by(indent) for chunk in chunks]
    first, last = modules[0], modules[-1]
    body: List[cst.BaseStatement] = list(first.body)
    for before, module, chunk in zip(modules, modules[1:], chunks[1:]):
        statements = list(module.body)
        if before.footer:
            # The empty and comment lines that ended the chunk before lead this statement.
            statements[0] = chunk.first_led_by(module, before.footer)
        body.extend(statements)
    return cst.Module(body=body, header=first.header, footer=last.footer, encoding=first.encoding,
                      default_indent=indent, default_newline=first.default_newline,
                      has_trailing_newline=last.has_trailing_newline)
