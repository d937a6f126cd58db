"""Lint one module's source text: the single function behind the CLI and the flake8 plugin."""
from __future__ import annotations

import errno
import os
import re
import stat
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Set, Tuple,
                    Type, Union)

from .diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic, Location
from .noqa import file_is_exempt, is_suppressed, parse_noqa
from .project_index import EMPTY_INDEX, ProjectIndex, imported_names, unreadable_notice
from .query_evidence import QUERY as _QUERY, bare_attribute_counts, spells_query
from .rule import SQLALCHEMY_EVIDENCE
from .settings import Settings

# libcst and the semantic model are imported by the first file that passes the evidence
# gate, not by importing this module (which the CLI does before it knows what it will do).
if TYPE_CHECKING:
    from .project.import_evidence import MappedImports
    from .rule import Finding, Rule
    from .semantic import SemanticModel


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
# The stack a long-lived thread needs to call `lint_source(..., in_caller_thread=True)`.
PARSER_STACK_BYTES = _PARSER_STACK_BYTES
_BRACKET_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")


_NUL_BYTES = "the file contains NUL bytes (binary data, not Python source)"
_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


@dataclass
class LintResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    # Tracebacks of rules that raised, shown with -v.
    tracebacks: List[str] = field(default_factory=list)
    parsed: bool = False
    # Limits of session-lint met on valid code ("path: not checked: ..."): one line each
    # on stderr, not findings; Python accepts the code, so it is no ORM001.
    warnings: List[str] = field(default_factory=list)


class NotARegularFile(OSError):
    """A named pipe, a device, a socket: reading one may block forever or never end."""


def not_a_regular_file(mode: int) -> str:
    for test, kind in _FILE_TYPES:
        if test(mode):
            return f"not a regular file ({kind})"
    return "not a regular file"


def stat_source(path: Union[str, "os.PathLike[str]"]) -> os.stat_result:
    """The status of a source file, which must be a regular file: OSError otherwise (the
    same errors `read_source` raises, so that a caller may look before it reads)."""
    status = os.stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
    if not stat.S_ISREG(status.st_mode):
        raise NotARegularFile(errno.EINVAL, not_a_regular_file(status.st_mode), os.fspath(path))
    return status


def read_source(path: Union[str, "os.PathLike[str]"]) -> bytes:
    """The bytes of a source file, at most MAX_FILE_BYTES + 1 of them: enough to tell that
    a file is over the limit without reading a sparse 6 GB file whole. Only regular files
    are read (a named pipe would block, /dev/zero never ends): OSError otherwise."""
    status = stat_source(path)
    if status.st_size <= MAX_FILE_BYTES:
        return Path(path).read_bytes()  # nearly every file: one read
    with open(path, "rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def decode_source(source: Union[bytes, str]) -> Tuple[Optional[str], Optional[str]]:
    """Source text, or an explanation of why the bytes are not Python source."""
    if isinstance(source, str):
        return source, None
    if b"\x00" in source:
        return None, _NUL_BYTES
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
    *,
    in_caller_thread: bool = False,
    parse: Optional[Callable[[str], Any]] = None,
    on_model: Optional[Callable[[Any], None]] = None,
) -> LintResult:
    """Every finding of `rules` in one module, with `# noqa` applied. Never raises.

    The lint runs on a new thread with a PARSER_STACK_BYTES stack; `in_caller_thread=True`
    runs it on the calling thread instead, which must have been started with such a stack
    (a long-lived worker, such as the language server's, spares a thread per call).
    `parse` replaces `libcst.parse_module` (same result, same exceptions): the language
    server's reuses the statements of the document's previous version. `on_model` is
    called with the semantic model before the rules run: setting its `deadline` to 0 from
    any thread ends the analysis at its next check, as a spent time budget does (the
    language server gives up the lint of a text that has been edited again)."""
    outcome: List[LintResult] = []
    failure: List[BaseException] = []
    # The gate in this thread: nearly every file of a project without SQLAlchemy stops here,
    # and a thread started for each of them cost more than their gate (0.05 s against 0.04 s
    # for the standard library's 970 files). What it runs needs no large stack: substring
    # tests, regular expressions, the project's summaries (which the runner builds in its
    # main thread).
    try:
        admitted = _admit(source, filename, rules, index)
    except BaseException as error:
        return _failed(error, filename)
    if isinstance(admitted, LintResult):
        return admitted

    def work() -> None:
        try:
            outcome.append(_lint_source(source, filename, rules, settings, index, instances, parse, on_model,
                                        admitted=admitted))
        except BaseException as error:  # reported below, in the caller's thread
            failure.append(error)

    if in_caller_thread:
        work()
    else:
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
    return _failed(failure[0] if failure else RuntimeError("the lint thread ended without a result"), filename)


def stopped_by_gate(source: Union[bytes, str], filename: str, rules: Sequence[Type[Rule]],
                    index: ProjectIndex = EMPTY_INDEX) -> Optional[LintResult]:
    """`lint_source`'s result for a module its gate stops (no rule's evidence or tokens,
    exempt, unreadable, oversized), found without starting a thread; None for a module to
    be parsed. A parallel run asks it before it hands files to worker processes."""
    try:
        admitted = _admit(source, filename, rules, index)
    except BaseException as error:
        return _failed(error, filename)
    return admitted if isinstance(admitted, LintResult) else None


def _failed(error: BaseException, filename: str) -> LintResult:
    """The result of a lint that raised: one ORM002 (an interrupt goes on up)."""
    if isinstance(error, KeyboardInterrupt):
        raise error
    result = LintResult()
    result.diagnostics.append(_file_diagnostic(
        INTERNAL_ERROR, f"session-lint failed on this file: {type(error).__name__}: {error}", filename))
    result.tracebacks.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return result


class _Admitted(NamedTuple):
    """A module the gate let through: its text, the gate's answers, when its lint began."""

    text: str
    names: "_TokenCheck"
    started: float


def _admit(source: Union[bytes, str], filename: str, rules: Sequence[Type[Rule]],
           index: ProjectIndex) -> Union[LintResult, _Admitted]:
    """The whole result of a module that is not to be parsed (unreadable, oversized, no rule's
    evidence or tokens in it, exempt), or what its parse and analyses start from."""
    started = time.monotonic()
    if len(source) > MAX_FILE_BYTES:
        return _oversized(source, filename, rules, index)
    result = LintResult()
    text, problem = decode_source(source)
    if text is None:
        result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"cannot read source: {problem}", filename))
        return result
    names = _TokenCheck.of_file(text, index, filename)
    # The gate before the exemption comment: both end the lint with nothing, and the gate's
    # substring search costs a third of the comment's regex (one file in 250 passes it).
    if not names.passes_any(rules) or file_is_exempt(text):
        return result
    return _Admitted(text, names, started)


_RULE_GROUPS: Dict[Tuple[Type[Rule], ...], List[Tuple[Tuple[str, ...], List[Tuple[str, ...]]]]] = {}


def _by_requires(rules: Sequence[Type[Rule]]) -> List[Tuple[Tuple[str, ...], List[Tuple[str, ...]]]]:
    """The rules' `tokens` grouped by their `requires` (every built-in rule requires the same
    evidence: a file without it is stopped after one question, not one per rule)."""
    key = tuple(rules)
    found = _RULE_GROUPS.get(key)
    if found is None:
        groups: Dict[Tuple[str, ...], List[Tuple[str, ...]]] = {}
        for rule in rules:
            groups.setdefault(tuple(rule.requires), []).append(tuple(rule.tokens))
        found = _RULE_GROUPS[key] = list(groups.items())
        if len(_RULE_GROUPS) > 64:  # rule sets of many configurations (a language server): forget the oldest
            del _RULE_GROUPS[next(iter(_RULE_GROUPS))]
    return found


def _lint_source(
    source: Union[bytes, str],
    filename: str,
    rules: Sequence[Type[Rule]],
    settings: Settings,
    index: ProjectIndex,
    instances: Optional[Sequence[Rule]],
    parse: Optional[Callable[[str], Any]] = None,
    on_model: Optional[Callable[[Any], None]] = None,
    admitted: Optional[_Admitted] = None,
) -> LintResult:
    """`lint_source`'s work on the thread with a large stack; `admitted` is the gate's
    answer when the caller asked it already."""
    if admitted is None:
        gated = _admit(source, filename, rules, index)
        if isinstance(gated, LintResult):
            return gated
        admitted = gated
    text, names, started = admitted
    result = LintResult()
    if _too_deep_to_parse(result, text, filename):
        return result
    import libcst as cst

    from .rule import RuleContext
    from .semantic import AnalysisTimeout, SemanticModel

    parse = parse or cst.parse_module
    module = _parse_what_matters(cst, text, rules, names, index, parse)
    if module is None:
        try:
            module = parse(text)
        except Exception as error:  # ParserSyntaxError, RecursionError, a few others on odd input
            _unparsed(result, text, filename, error)
            return result
    result.parsed = True
    unreadable = index.unreadable_reason(filename)
    if unreadable is not None:
        result.warnings.append(unreadable_notice(filename, unreadable))
    model = SemanticModel(module, filename, index, settings.noreturn_functions)
    if settings.file_time_budget:
        model.deadline = started + settings.file_time_budget
    if on_model is not None:
        on_model(model)
    context = RuleContext(module, model, filename, settings)
    rule_objects = instances if instances is not None else [rule() for rule in rules]
    lines = text.splitlines()
    noqa = parse_noqa(lines)
    too_deep: List[str] = []
    for position, rule in enumerate(rule_objects):
        if not names.passes(rule):
            continue
        try:
            model.check_deadline()
            findings = list(rule.check(context))
            diagnostics = [_to_diagnostic(rule, finding, model, filename) for finding in findings]
        except AnalysisTimeout:
            skipped = [other.code for other in rule_objects[position:] if names.passes(other)]
            result.warnings.append(
                f"{filename}: not fully checked: the analysis took longer than the time budget of "
                f"{settings.file_time_budget:g} s per file (not run: {', '.join(skipped)}); "
                "raise `file-time-budget` in [tool.session-lint] to check it fully")
            break
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
        rules_named = f"{'rule' if len(too_deep) == 1 else 'rules'} {', '.join(too_deep)}"
        if _compile_error(text, filename) is None:
            result.warnings.append(f"{filename}: not fully checked: the code is nested too deeply for "
                                   f"{rules_named} to analyse (Python compiles it: a limit of session-lint)")
        else:
            result.diagnostics.append(_file_diagnostic(
                PARSE_ERROR, f"not fully checked: the code is nested too deeply for {rules_named} to analyse",
                filename))
    result.diagnostics.sort(key=lambda d: d.sort_key)
    model.release()
    return result


# The two-tier front end (frontend.py); tests switch it off to compare findings.
SECOND_TIER = True
_EVIDENCE = frozenset(SQLALCHEMY_EVIDENCE)


def _parse_what_matters(cst, text: str, rules: Sequence[Type[Rule]], names: "_TokenCheck",  # noqa: ANN001
                        index: ProjectIndex, parse: Optional[Callable[[str], Any]] = None):
    """libcst's tree of the statements that can hold a finding (the others blanked out, every
    line in its place), or None when the whole module is to be parsed: the second tier is
    off, a rule that will run is not a built-in one starting from SQLAlchemy evidence (its
    findings may be anywhere), nothing can be dropped, or the reduced text does not parse."""
    if not SECOND_TIER:
        return None
    for rule in rules:
        if names.passes(rule) and not (rule.requires and set(rule.requires) <= _EVIDENCE
                                       and rule.__module__.startswith("session_lint.rules.")):
            return None
    from .frontend import reduced_source

    # A file let through by its imports of the project's models alone spells no other
    # evidence: the names they bind are seeds, as SQLAlchemy's names are elsewhere.
    project_names = _summary_names(index) | names.evidence_imports()
    reduced = reduced_source(text, _factory_names(index), project_names=project_names)
    if reduced is None:
        return None
    try:
        return (parse or cst.parse_module)(reduced)
    except Exception:  # whatever it is, the whole module's parse says it in full
        return None


def _oversized(source: Union[bytes, str], filename: str, rules: Sequence[Type[Rule]],
               index: ProjectIndex) -> LintResult:
    """A file over the size limit is reported, not parsed. `read_source` stops reading
    after MAX_FILE_BYTES + 1 bytes, so only that much is looked at (also when a caller
    passes the whole text): binary data, an exempt file, or one whose beginning shows
    nothing any rule looks for stays as quiet as a small file would."""
    result = LintResult()
    head = source[: MAX_FILE_BYTES + 1]
    if isinstance(head, bytes):
        if b"\x00" in head:
            result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"cannot read source: {_NUL_BYTES}", filename))
            return result
        # Rule tokens are ASCII: latin-1 decodes every byte, even a character cut in two
        # at the limit, and needs no coding cookie.
        text = head.decode("latin-1")
    else:
        text = head
    if file_is_exempt(text):
        return result
    names = _TokenCheck.of_file(text, index, filename)
    if not names.passes_any(rules):
        return result
    size = len(source)
    if size == MAX_FILE_BYTES + 1:  # maybe cut by the reader: the file knows its size
        size = max(size, _size_on_disk(filename))
    result.diagnostics.append(_file_diagnostic(
        PARSE_ERROR, f"not checked: the file is {size / 1024 / 1024:.1f} MB, larger than the "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB limit for source files", filename))
    return result


def _size_on_disk(filename: str) -> int:
    try:
        return os.stat(filename).st_size
    except (OSError, ValueError):
        return 0


def _compile_error(text: str, filename: str) -> Optional[Exception]:
    """CPython's verdict on the module: None when its compiler accepts it, else the error.
    compile() builds a code object and nothing more; the code is never run."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for `"\d"` and the like
            compile(text, filename, "exec", dont_inherit=True)
    except Exception as error:  # SyntaxError, RecursionError, MemoryError, ValueError (NUL)
        return error
    return None


def _unparsed(result: LintResult, text: str, filename: str, error: Exception) -> None:
    """libcst's parser gave up. If Python compiles the file, that is a limit of
    session-lint (a form feed before an indented block, thousands of concatenated strings),
    a warning; otherwise an ORM001 in Python's own words, which are clearer and placed more
    exactly than libcst's."""
    import libcst as cst

    python_error = _compile_error(text, filename)
    if python_error is None:
        if isinstance(error, cst.ParserSyntaxError):
            reason = f"{' '.join(str(error.message).split())} at line {max(error.raw_line, 1)}"
        elif isinstance(error, RecursionError):
            reason = "nested too deeply"
        else:
            reason = f"{type(error).__name__}: {error}"
        result.warnings.append(f"{filename}: not checked: Python compiles this file, but session-lint's "
                               f"parser (libcst) cannot read it ({reason})")
    elif isinstance(python_error, SyntaxError):
        result.diagnostics.append(_file_diagnostic(
            PARSE_ERROR, f"syntax error: {python_error.msg}", filename, python_error.lineno or 1,
            max(python_error.offset or 1, 1)))
    elif isinstance(error, RecursionError) or isinstance(python_error, (RecursionError, MemoryError)):
        result.diagnostics.append(
            _file_diagnostic(PARSE_ERROR, "cannot parse: the code is nested too deeply for the parser", filename))
    elif isinstance(error, cst.ParserSyntaxError):
        message = " ".join(str(error.message).split())
        result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"syntax error: {message}", filename,
                                                   max(error.raw_line, 1), max(error.raw_column, 0) + 1))
    else:
        result.diagnostics.append(
            _file_diagnostic(PARSE_ERROR, f"cannot parse: {type(error).__name__}: {error}", filename))


def _too_deep_to_parse(result: LintResult, text: str, filename: str) -> bool:
    """Deeply nested code: let CPython's parser judge before libcst's can crash on it, or
    spend minutes and gigabytes on it (its cost grows faster than the nesting: a chain of
    4,000 `a + a + ...`, `-` or `.attribute` takes tens of seconds; 10,000 takes minutes
    and, for an attribute chain, more than 5 GB). True when the file is not to be parsed
    (what was found is in `result`)."""
    brackets = _NOT_BRACKETS.sub("", text)
    deep_brackets = len(brackets) > _SUSPICIOUS_DEPTH and \
        max(accumulate(map(_BRACKET_DELTA.__getitem__, brackets))) > _SUSPICIOUS_DEPTH
    if not deep_brackets and text.count("elif") <= _MANY_ELIFS and \
            (len(text) <= _LONG_LINE or max(map(len, text.splitlines())) <= _LONG_LINE):
        return False
    import ast
    import warnings

    problem: Optional[Diagnostic] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        if not deep_brackets:
            return False  # maybe syntax newer than this Python's: libcst decides
        problem = _file_diagnostic(PARSE_ERROR, f"syntax error: {error.msg}", filename,
                                   error.lineno or 1, max(error.offset or 1, 1))
    except (RecursionError, MemoryError):
        problem = _file_diagnostic(PARSE_ERROR, "cannot parse: the code is nested too deeply", filename)
    except ValueError as error:  # NUL bytes, before Python 3.11.4
        problem = _file_diagnostic(PARSE_ERROR, f"cannot parse: {error}", filename)
    if problem is not None:
        result.diagnostics.append(problem)
        return True
    depth = _tree_depth(tree)
    if depth <= _MAX_TREE_DEPTH:
        return False  # brackets inside strings or comments, long lines, many elifs: a normal file
    too_deep = f"the code is nested {depth} levels deep, more than the {_MAX_TREE_DEPTH} levels session-lint parses"
    if _compile_error(text, filename) is None:
        result.warnings.append(f"{filename}: not checked: {too_deep} (Python compiles it)")
    else:
        result.diagnostics.append(_file_diagnostic(PARSE_ERROR, f"not checked: {too_deep}", filename))
    return True


def _tree_depth(tree) -> int:  # an ast.AST
    import ast

    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def may_match(text: str, rules: Sequence[Type[Rule]], index: ProjectIndex = EMPTY_INDEX,
              filename: Optional[str] = None) -> bool:
    """Cheap pre-parse filter: can any enabled rule find anything in this text? With the
    file's name, its imports of the project's model classes count as evidence too (as in
    `lint_source`)."""
    return _TokenCheck.of_file(text, index, filename).passes_any(rules)


class _TokenCheck:
    """Does a rule's token occur in the text, or does the file import one of the project's
    session factories? A module that uses `from app.db import Db; s = Db()` names no session
    class and no sessionmaker, yet has sessions. For a rule that starts from SQLAlchemy
    evidence, an import that resolves to one of the project's model classes (or a module
    of them) is evidence too (`project/import_evidence.py`): the module's facts say where
    each import leads, so this needs the file's name.

    A factory's name is evidence only where the file imports it: the semantic model finds
    another module's factory through a `from ... import NAME` binding alone
    (`ProjectIndex.lookup` of `Binding.imported`), and a module that binds such a name
    itself (`db = SQLAlchemy()`) spells `sqlalchemy` in its imports anyway. A file that
    merely contains `db` or `s` somewhere is not evidence. Each token and tuple of tokens is
    looked up once per file, however many rules and passes ask."""

    def __init__(self, text: str, index: ProjectIndex) -> None:
        self.text = text
        self.index = index
        self.filename: Optional[str] = None
        self._answers: Dict[Tuple[str, ...], bool] = {}
        self._evidence: Dict[Tuple[str, ...], bool] = {}
        self._imports_factory: Optional[bool] = None
        self._mapped_imports: Optional[FrozenSet[str]] = None
        self._imported: Optional[Set[str]] = None

    @classmethod
    def of_file(cls, text: str, index: ProjectIndex, filename: Optional[str]) -> "_TokenCheck":
        """The check of the file `filename` (None: a text of no known file, whose imports
        cannot be resolved)."""
        check = cls(text, index)
        check.filename = filename
        return check

    def passes(self, rule: Union[Rule, Type[Rule]]) -> bool:
        return self._has_evidence(rule.requires) and self._has_any(rule.tokens)

    def passes_any(self, rules: Sequence[Type[Rule]]) -> bool:
        """`any(self.passes(rule) for rule in rules)`, asking each `requires` once."""
        return any(self._has_evidence(requires) and any(self._has_any(tokens) for tokens in token_sets)
                   for requires, token_sets in _by_requires(rules))

    def _has_evidence(self, requires: Tuple[str, ...]) -> bool:
        # SQLAlchemy's own evidence (the built-in rules'), where `.query` is read as code;
        # a plugin's other tokens are substrings, as documented.
        sqlalchemy = _QUERY in requires and _EVIDENCE.issuperset(requires)
        found = self._has_sqlalchemy_evidence(requires) if sqlalchemy else self._has_any(requires)
        if found:
            return True
        # Only SQLAlchemy evidence: a plugin's own `requires` (ORM900's `ORM`) means something else.
        return not _EVIDENCE.isdisjoint(requires) and bool(self.mapped_imports())

    def mapped_imports(self) -> FrozenSet[str]:
        """The names this file binds by import to the project's model classes or modules
        of them (empty without a file name or facts of it)."""
        if self._mapped_imports is None:
            self._mapped_imports = frozenset()
            if self.filename is not None:
                evidence = _mapped_imports(self.index)
                # Most files import nothing that could resolve: no path is resolved for them
                # (and in a project without model classes their imports are not even read).
                if evidence.candidate_names and not evidence.candidate_names.isdisjoint(self._imported_names()):
                    # The facts' key (a resolved path), also of a module the summaries read
                    # only on demand.
                    self._mapped_imports = evidence.aliases(_resolved(self.filename))
        return self._mapped_imports

    def evidence_imports(self) -> FrozenSet[str]:
        """The names `mapped_imports` found, if the gate had to ask (the text showed no
        other evidence); empty otherwise."""
        return self._mapped_imports or frozenset()

    def _imported_names(self) -> Set[str]:
        if self._imported is None:
            self._imported = imported_names(self.text)
        return self._imported

    def _has_sqlalchemy_evidence(self, requires: Tuple[str, ...]) -> bool:
        """`_has_any` for SQLAlchemy's evidence, where not every `.query` counts
        (query_evidence.py: `from idlelib.query import X`, a URL's `parts.query`)."""
        answer = self._evidence.get(requires)
        if answer is None:
            text = self.text
            answer = any(token in text for token in requires if token != _QUERY) \
                or spells_query(text, lambda: bare_attribute_counts(self.index)) or self._imports_a_factory()
            self._evidence[requires] = answer
        return answer

    def _has_any(self, tokens: Tuple[str, ...]) -> bool:
        if not tokens:
            return True
        answer = self._answers.get(tokens)
        if answer is None:
            text = self.text
            answer = any(token in text for token in tokens) or self._imports_a_factory()
            self._answers[tokens] = answer
        return answer

    def _imports_a_factory(self) -> bool:
        if self._imports_factory is None:
            # Asked only for a file some rule would skip: a lazy index is built on demand.
            names = _factory_names(self.index)
            text = self.text
            self._imports_factory = any(name in text for name in names) and \
                not names.isdisjoint(self._imported_names())
        return self._imports_factory


_FACTORY_NAMES: "weakref.WeakKeyDictionary[ProjectIndex, FrozenSet[str]]" = weakref.WeakKeyDictionary()


_SUMMARY_NAMES: "weakref.WeakKeyDictionary[ProjectIndex, FrozenSet[str]]" = weakref.WeakKeyDictionary()


def _summary_names(index: ProjectIndex) -> FrozenSet[str]:
    """The project functions and classes whose summaries touch a session (not its factories,
    whose short names like `db` are evidence only where a module imports them)."""
    names = _SUMMARY_NAMES.get(index)
    if names is None:
        factories = {info.name for info in index.factories()}
        names = frozenset(name for name in index.evidence_names() if name not in factories)
        _SUMMARY_NAMES[index] = names
    return names


def _resolved(filename: str) -> str:
    try:
        return str(Path(filename).resolve())
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL in the name
        return filename


_MAPPED_IMPORTS: "weakref.WeakKeyDictionary[ProjectIndex, MappedImports]" = weakref.WeakKeyDictionary()


def _mapped_imports(index: ProjectIndex) -> "MappedImports":
    found = _MAPPED_IMPORTS.get(index)
    if found is None:
        from .project.import_evidence import MappedImports

        found = MappedImports(index.summaries)
        _MAPPED_IMPORTS[index] = found
    return found


def _factory_names(index: ProjectIndex) -> FrozenSet[str]:
    names = _FACTORY_NAMES.get(index)
    if names is None:
        names = frozenset(index.evidence_names())
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
        fix=getattr(finding, "fix", None),
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
