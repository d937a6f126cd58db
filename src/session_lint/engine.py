"""Lint one module's source text: the single function behind the CLI and the flake8 plugin."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Type, Union

import libcst as cst

from .diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic, Location
from .noqa import file_is_exempt, is_suppressed, parse_noqa
from .project_index import EMPTY_INDEX, ProjectIndex
from .rule import Finding, Rule, RuleContext
from .semantic import SemanticModel
from .settings import Settings


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
    """Every finding of `rules` in one module, with `# noqa` applied."""
    result = LintResult()
    text, problem = decode_source(source)
    if text is None:
        result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"cannot read source: {problem}", filename))
        return result
    if file_is_exempt(text):
        return result
    if not _may_match(text, rules):
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
    for rule in rule_objects:
        if rule.tokens and not any(token in text for token in rule.tokens):
            continue
        try:
            findings = list(rule.check(context))
            diagnostics = [_to_diagnostic(rule, finding, model, filename) for finding in findings]
        except RecursionError:
            result.diagnostics.append(_file_diagnostic(
                INTERNAL_ERROR, f"rule {rule.code} ({rule.name}) gave up: the code is nested too deeply", filename))
            result.tracebacks.append(traceback.format_exc())
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
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result


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


def _may_match(text: str, rules: Sequence[Type[Rule]]) -> bool:
    """Cheap pre-parse filter: can any enabled rule find anything in this text?"""
    return any(not rule.tokens or any(token in text for token in rule.tokens) for rule in rules)


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
