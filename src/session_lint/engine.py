"""Lint one module's source text: the single function behind the CLI and the flake8 plugin."""
from __future__ import annotations

import re
import threading
import traceback
import weakref
from dataclasses import dataclass, field
from itertools import accumulate
from typing import List, Optional, Sequence, Tuple, Type, Union

import libcst as cst

from .diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic, Location
from .noqa import file_is_exempt, is_suppressed, parse_noqa
from .project_index import EMPTY_INDEX, ProjectIndex
from .rule import Finding, Rule, RuleContext
from .semantic import SemanticModel
from .settings import Settings


# Generated files this large are not hand-written code; parsing one takes minutes and GBs.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Bracket nesting beyond this is checked with CPython's parser before libcst sees it:
# CPython refuses more than 200 levels, and libcst's native parser can overflow its stack.
_SUSPICIOUS_DEPTH = 100
# Other signs of deep nesting worth asking CPython's parser about (cheap to see): a long
# line (chains of operators, attributes, calls) or a long `elif` chain.
_LONG_LINE = 2000
_MANY_ELIFS = 1000
# Deeper than this, libcst's parser is too slow (Python's syntax tree depth; 2,000 terms of
# `a + a + ...` still pass).
_MAX_TREE_DEPTH = 2500
# libcst's parser recurses natively; a large thread stack turns a crash into a slow parse.
_PARSER_STACK_BYTES = 512 * 1024 * 1024
_BRACKET_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")


@dataclass
class LintResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # Tracebacks of rules that raised, shown with -v.
    tracebacks: List[str] = field(default_factory=list)
    parsed: bool = False


def decode_source(source: Union[bytes, str]) -> Tuple[Optional[str], Optional[str]]:
    """Source text, or an explanation of why the bytes are not Python source."""
    if isinstance(source, str):
        return source, None
    if b"\x00" in source:
        return None, "the file contains NUL bytes (binary data, not Python source)"
    try:
        import io
        import tokenize

        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding), None
    except (SyntaxError, LookupError) as error:
        return None, f"cannot determine the encoding: {error}"
    except UnicodeDecodeError as error:
        return None, (
            f"not valid {error.encoding} text at byte {error.start} "
            "(add a coding cookie such as `# -*- coding: latin-1 -*-`)"
        )


def lint_source(
    source: Union[bytes, str],
    filename: str,
    rules: Sequence[Type[Rule]],
    settings: Settings,
    index: ProjectIndex = EMPTY_INDEX,
    instances: Optional[Sequence[Rule]] = None,
) -> LintResult:
    """Every finding of `rules` in one module, with `# noqa` applied. Never raises."""
    outcome: List[LintResult] = []
    failure: List[BaseException] = []

    def work() -> None:
        try:
            outcome.append(_lint_source(source, filename, rules, settings, index, instances))
        except BaseException as error:  # reported below, in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=work, name="session-lint-parse", daemon=True)
    # The stack size is read when the thread starts.
    previous = threading.stack_size(_PARSER_STACK_BYTES)
    try:
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if outcome:
        return outcome[0]
    error = failure[0] if failure else RuntimeError("the lint thread ended without a result")
    if isinstance(error, KeyboardInterrupt):
        raise error
    result = LintResult()
    result.diagnostics.append(_file_diagnostic(
        INTERNAL_ERROR, f"session-lint failed on this file: {type(error).__name__}: {error}", filename))
    result.tracebacks.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return result


def _lint_source(
    source: Union[bytes, str],
    filename: str,
    rules: Sequence[Type[Rule]],
    settings: Settings,
    index: ProjectIndex,
    instances: Optional[Sequence[Rule]],
) -> LintResult:
    result = LintResult()
    text, problem = decode_source(source)
    if text is None:
        result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"cannot read source: {problem}", filename))
        return result
    if file_is_exempt(text):
        return result
    names = _TokenCheck(text, index)
    if not any(names.passes(rule) for rule in rules):
        return result
    size = len(source)
    if size > MAX_FILE_BYTES:
        result.diagnostics.append(_file_diagnostic(
            PARSE_ERROR, f"not checked: the file is {size / 1024 / 1024:.1f} MB, larger than the "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB limit for source files", filename))
        return result
    too_deep = _nesting_problem(text, filename)
    if too_deep is not None:
        result.diagnostics.append(too_deep)
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        result.diagnostics.append(_syntax_error(text, filename, error))
        return result
    except RecursionError:
        result.diagnostics.append(
            _file_diagnostic(PARSE_ERROR, "cannot parse: the code is nested too deeply for the parser", filename)
        )
        return result
    except Exception as error:  # libcst raises a few other types on odd input
        result.diagnostics.append(
            _file_diagnostic(PARSE_ERROR, f"cannot parse: {type(error).__name__}: {error}", filename)
        )
        return result
    result.parsed = True
    model = SemanticModel(module, filename, index, settings.noreturn_functions)
    context = RuleContext(module, model, filename, settings)
    rule_objects = instances if instances is not None else [rule() for rule in rules]
    lines = text.splitlines()
    noqa = parse_noqa(lines)
    too_deep: List[str] = []
    for rule in rule_objects:
        if not names.passes(rule):
            continue
        try:
            findings = list(rule.check(context))
            diagnostics = [_to_diagnostic(rule, finding, model, filename) for finding in findings]
        except RecursionError:
            # The input's fault, not the rule's: a file-level problem, one line for all rules.
            too_deep.append(rule.code)
            continue
        except Exception as error:
            result.diagnostics.append(_file_diagnostic(
                INTERNAL_ERROR,
                f"rule {rule.code} ({rule.name}) failed: {type(error).__name__}: {error}",
                filename,
            ))
            result.tracebacks.append(f"{filename}: rule {rule.code}\n{traceback.format_exc()}")
            continue
        for diagnostic in diagnostics:
            if not is_suppressed(diagnostic.code, diagnostic.statement_rows, noqa):
                result.diagnostics.append(diagnostic)
    if too_deep:
        result.diagnostics.append(_file_diagnostic(
            PARSE_ERROR, f"not fully checked: the code is nested too deeply for "
            f"{'rule' if len(too_deep) == 1 else 'rules'} {', '.join(too_deep)} to analyse", filename))
    result.diagnostics.sort(key=lambda d: d.sort_key)
    model.release()
    return result


def _nesting_problem(text: str, filename: str) -> Optional[Diagnostic]:
    """Deeply nested code: let CPython's parser judge before libcst's can crash on it, or
    spend minutes and gigabytes on it (its cost grows faster than the nesting: a chain of
    4,000 `a + a + ...`, `-` or `.attribute` takes tens of seconds; 10,000 takes minutes
    and, for an attribute chain, more than 5 GB)."""
    brackets = _NOT_BRACKETS.sub("", text)
    deep_brackets = len(brackets) > _SUSPICIOUS_DEPTH and \
        max(accumulate(map(_BRACKET_DELTA.__getitem__, brackets))) > _SUSPICIOUS_DEPTH
    if not deep_brackets and text.count("elif") <= _MANY_ELIFS and \
            (len(text) <= _LONG_LINE or max(map(len, text.splitlines())) <= _LONG_LINE):
        return None
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        if not deep_brackets:
            return None  # maybe syntax newer than this Python's: libcst decides
        return _file_diagnostic(PARSE_ERROR, f"syntax error: {error.msg}", filename,
                                error.lineno or 1, max(error.offset or 1, 1))
    except (RecursionError, MemoryError):
        return _file_diagnostic(PARSE_ERROR, "cannot parse: the code is nested too deeply", filename)
    except ValueError as error:  # NUL bytes, before Python 3.11.4
        return _file_diagnostic(PARSE_ERROR, f"cannot parse: {error}", filename)
    depth = _tree_depth(tree)
    if depth > _MAX_TREE_DEPTH:
        return _file_diagnostic(PARSE_ERROR, f"not checked: the code is nested {depth} levels deep, more than "
                                f"the {_MAX_TREE_DEPTH} levels session-lint parses", filename)
    return None  # brackets inside strings or comments, long lines, many elifs: a normal file


def _tree_depth(tree) -> int:  # an ast.AST
    import ast

    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _syntax_error(text: str, filename: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """Python's own compiler words syntax errors better and places them more exactly than
    libcst's parser; ask it (it only builds a tree, nothing runs) and fall back to libcst's
    message when Python accepts what libcst rejects."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, filename=filename)
    except SyntaxError as python_error:
        row = python_error.lineno or 1
        column = python_error.offset or 1
        return _file_diagnostic(PARSE_ERROR, f"syntax error: {python_error.msg}", filename, row, max(column, 1))
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(str(error.message).split())
    return _file_diagnostic(PARSE_ERROR, f"syntax error: {message}", filename,
                            max(error.raw_line, 1), max(error.raw_column, 0) + 1)


def may_match(text: str, rules: Sequence[Type[Rule]], index: ProjectIndex = EMPTY_INDEX) -> bool:
    """Cheap pre-parse filter: can any enabled rule find anything in this text?"""
    check = _TokenCheck(text, index)
    return any(check.passes(rule) for rule in rules)



class _TokenCheck:
    """Does a rule's token occur in the text, or the name of one of the project's session
    factories? A module that uses `from app.db import Db; s = Db()` names no session class
    and no sessionmaker, yet has sessions; every use of an imported factory spells its name."""

    def __init__(self, text: str, index: ProjectIndex) -> None:
        self.text = text
        self.index = index
        self._names_found: Optional[bool] = None

    def passes(self, rule: Union[Rule, Type[Rule]]) -> bool:
        return self._has_any(rule.requires) and self._has_any(rule.tokens)

    def _has_any(self, tokens: Tuple[str, ...]) -> bool:
        if not tokens or any(token in self.text for token in tokens):
            return True
        if self._names_found is None:
            # Asked only for a file some rule would skip: a lazy index is built on demand.
            self._names_found = any(name in self.text for name in _factory_names(self.index))
        return self._names_found


_FACTORY_NAMES: "weakref.WeakKeyDictionary[ProjectIndex, Tuple[str, ...]]" = weakref.WeakKeyDictionary()


def _factory_names(index: ProjectIndex) -> Tuple[str, ...]:
    names = _FACTORY_NAMES.get(index)
    if names is None:
        names = tuple(sorted({info.name for info in index.factories()}))
        _FACTORY_NAMES[index] = names
    return names


def _to_diagnostic(rule: Rule, finding: Finding, model: SemanticModel, filename: str) -> Diagnostic:
    code_range = model.positions.range(finding.node)
    statement = model.tree.statement_of(finding.node)
    first, last = model.positions.header_rows(statement)
    rows = tuple(range(first, last + 1))
    if code_range.start.line not in rows:
        rows = rows + (code_range.start.line,)
    return Diagnostic(
        code=rule.code,
        message=finding.message,
        filename=filename,
        location=Location(code_range.start.line, code_range.start.column + 1),
        end_location=Location(code_range.end.line, code_range.end.column + 1),
        noqa_row=first,
        hint=finding.hint,
        url=rule.url,
        statement_rows=rows,
    )


def _file_diagnostic(code: str, message: str, filename: str, row: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        code=code,
        message=message,
        filename=filename,
        location=Location(row, column),
        end_location=Location(row, column),
        noqa_row=row,
        statement_rows=(row,),
    )
