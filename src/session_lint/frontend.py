"""The first tier of the front end: CPython's `ast` (about ten times faster than libcst's
parser) decides which top-level statements can matter to a rule that starts from SQLAlchemy
evidence, and libcst then parses a copy of the module in which the others are blanked out.

The copy keeps every line where it was: a dropped statement becomes a string literal over
the same lines (their line endings stay), a dropped function or class keeps its decorators and
signature and gets such a string for a body. Every node libcst makes from it therefore has the position it has in the file,
and rules see the same nodes for the statements that stayed; nothing needs mapping back.

Which statements stay (the argument that no finding is lost; tests/test_prefilter.py
checks it on every fixture and, opt-in, on the real-world corpus):

- *seeds*: a statement whose text holds evidence (`sqlalchemy`, `sqlmodel`, `.query`), names a
  name that an import from SQLAlchemy/SQLModel/Flask-SQLAlchemy binds, or imports a session
  factory of the project. The semantic model recognises sessions, queries, statements and
  mapped classes only through those (see `Rule.requires`), so a finding's statement is a
  seed, or is reached from one below;
- *what a kept statement names*: every statement that binds a name a kept statement spells
  (a helper it calls, a class it subclasses or filters on, a module-level engine), so that
  the analyses see the definitions they follow (transitively);
- *what names a seed*, transitively: every statement that spells a name a seed binds (the
  `if __name__ == "__main__":` block calling a script function, `Maker.configure(...)`,
  `User.query = ...`, a subclass of a mapped class, a function using a `@contextmanager`
  session scope built on a module-level sessionmaker), so that what is made from SQLAlchemy
  objects counts as they do, and analyses that look at a definition's uses see all of them;
- always: imports, small simple statements (Alembic's `revision = ...`), and top-level
  `if` blocks that test `__name__` (the model reads the module's structure there:
  `migrations.is_alembic_revision`, `TransactionAnalysis._main_block`).

A statement that shares a line with another (`a = 1; b = 2`) stays or goes with it. Anything
unexpected (a syntax error for `ast`, a module too small to gain from it) leaves the text as
it is.
"""
from __future__ import annotations

import ast
import re
import warnings
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from .rule import SQLALCHEMY_EVIDENCE as _EVIDENCE

# A statement of more lines than this is worth blanking even when it is a simple one (a
# data table); shorter ones are kept, whatever they are.
_SMALL_STATEMENT_LINES = 3
# Below this many lines the second parse costs less than deciding what to drop.
_MIN_LINES = 40
# fastapi_sqla: its `open_session()` is a session scope (names.LIBRARY_SESSION_SCOPES).
_MARKERS = ("sqlalchemy", "sqlmodel", "fastapi_sqla")
_WORD = re.compile(r"\w+")
# Python's line ends (not str.splitlines', which also splits at form feeds and others).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# For the guess before `ast` (_little_to_drop): when statements that spell SQLAlchemy fill
# this share of the module, the first tier would cost more than it saves.
_HOPELESS = 0.9
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))",
                          re.MULTILINE)
_DOCSTRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'')
_TOP_LEVEL = re.compile(r"^(?=[^\s#)\]}])", re.MULTILINE)


def reduced_source(text: str, factory_names: Iterable[str], tree: Optional[ast.Module] = None,
                   project_names: Iterable[str] = ()) -> Optional[str]:
    """`text` with the top-level statements that cannot matter blanked out, lines kept; None
    when nothing is dropped or `ast` cannot read the module. `project_names` are functions
    and classes of the project that the summaries say touch a session: a statement that
    spells one (`data.write_ride(ride)`) is a seed, however the module reached it."""
    if text.count("\n") < _MIN_LINES:
        return None
    factories = frozenset(factory_names)
    if tree is None and _little_to_drop(text, factories):
        return None
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning for `"\d"` and the like
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None  # libcst decides (it may know newer syntax than this Python)
    units = _units(tree.body)
    if len(units) < 2:
        return None
    lines = _LINE.findall(text)
    # What a unit spells, docstrings and other bare strings left out: SQLAlchemy's own
    # modules name `sqlalchemy.orm.Session` in nearly every docstring, and a string
    # statement runs nothing.
    segments = [_code_text(lines, first, last, statements) for first, last, statements in units]
    sqlalchemy_names = _sqlalchemy_names(tree.body, factories)
    mentioned = [set(_WORD.findall(segment)) for segment in segments]
    project = frozenset(project_names)
    seeds = {position for position, segment in enumerate(segments)
             if any(token in segment for token in _EVIDENCE) or not mentioned[position].isdisjoint(sqlalchemy_names)
             or (not factories.isdisjoint(mentioned[position]) and "import" in segment)
             or not project.isdisjoint(mentioned[position])}
    bound = [_bound_names(statements, "global" in segment) for (_, _, statements), segment in zip(units, segments)]
    kept = _closure(seeds, mentioned, bound)
    for position, (first, last, statements) in enumerate(units):
        if position not in kept and _always_kept(statements, last - first + 1):
            kept.add(position)
    if len(kept) == len(units):
        return None
    out = list(lines)
    for position, (first, last, statements) in enumerate(units):
        if position not in kept:
            _blank(out, first, last, statements)
    return "".join(out)


def _little_to_drop(text: str, factories: frozenset) -> bool:
    """A guess from the text alone, before paying for `ast`: would the statements that
    spell SQLAlchemy's names fill nearly the whole module (a test module of SQLAlchemy
    itself)? Statements are cut at lines that start in column 0, docstrings are left out,
    names come from the import lines; only the cost depends on the guess, never a finding."""
    names: Set[str] = set()
    for match in _IMPORT_LINE.finditer(text):
        module, imported, plain = match.groups()
        if plain is not None:
            if any(marker in plain for marker in _MARKERS):
                names.update(_WORD.findall(plain))
        elif any(marker in module for marker in _MARKERS):
            names.update(_WORD.findall(imported))
        else:
            names.update(factories.intersection(_WORD.findall(imported)))
    names.discard("as")
    alternatives = [re.escape(token) for token in _EVIDENCE]
    if names:
        alternatives.append(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
    seed = re.compile("|".join(alternatives))
    code = _DOCSTRING.sub("", text)
    starts = [match.start() for match in _TOP_LEVEL.finditer(code)] + [len(code)]
    spelled = sum(end - start for start, end in zip(starts, starts[1:]) if seed.search(code, start, end))
    return spelled >= _HOPELESS * len(code)


def _code_text(lines: List[str], first: int, last: int, statements: Sequence[ast.stmt]) -> str:
    """The unit's lines without the lines that hold only a bare string statement."""
    inert: Set[int] = set()
    stack = list(statements)
    while stack:
        statement = stack.pop()
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                and isinstance(statement.value.value, str):
            inert.update(_whole_lines(lines, statement))
            continue
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(statement, field, ()) or ())
        for handler in getattr(statement, "handlers", ()) or ():
            stack.extend(handler.body)
        for case in getattr(statement, "cases", ()) or ():
            stack.extend(case.body)
    if not inert:
        return "".join(lines[first - 1:last])
    return "".join(lines[number - 1] for number in range(first, last + 1) if number not in inert)


def _whole_lines(lines: List[str], statement: ast.stmt) -> range:
    """The lines `statement` fills alone (its first and last line only if nothing else is
    written there: offsets are in bytes, so a line with other characters is kept)."""
    first, last = statement.lineno, statement.end_lineno or statement.lineno
    head, tail = lines[first - 1], lines[last - 1]
    if not (head.isascii() and not head[:statement.col_offset].strip()):
        first += 1
    end = statement.end_col_offset
    rest = tail[end:].strip() if end is not None and tail.isascii() else "?"
    if rest and not rest.startswith("#"):
        last -= 1
    return range(first, last + 1)


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    return min([statement.lineno, *(d.lineno for d in decorators)]) if decorators else statement.lineno


def _units(body: Sequence[ast.stmt]) -> List[Tuple[int, int, List[ast.stmt]]]:
    """(first line, last line, statements): top-level statements, those that share a line merged."""
    units: List[Tuple[int, int, List[ast.stmt]]] = []
    for statement in body:
        first, last = _first_line(statement), statement.end_lineno or statement.lineno
        if units and first <= units[-1][1]:
            previous_first, _, statements = units[-1]
            units[-1] = (previous_first, max(last, units[-1][1]), statements + [statement])
        else:
            units.append((first, last, [statement]))
    return units


def _module_statements(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run in the module's scope: into if/for/while/with/try/match blocks,
    not into functions or classes."""
    for statement in statements:
        yield statement
        if isinstance(statement, _DEFINITIONS):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_statements(getattr(statement, field, ()) or ())
        for handler in getattr(statement, "handlers", ()) or ():
            yield from _module_statements(handler.body)
        for case in getattr(statement, "cases", ()) or ():
            yield from _module_statements(case.body)


def _sqlalchemy_names(body: Sequence[ast.stmt], factories: frozenset) -> Set[str]:
    """Names the module's imports bind to SQLAlchemy, SQLModel or Flask-SQLAlchemy objects,
    or to a session factory of the project."""
    names: Set[str] = set()
    for statement in _module_statements(body):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if any(marker in alias.name for marker in _MARKERS):
                    names.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(statement, ast.ImportFrom):
            from_sqlalchemy = any(marker in (statement.module or "") for marker in _MARKERS)
            for alias in statement.names:
                if from_sqlalchemy or alias.name in factories:
                    names.add(alias.asname or alias.name)
    names.discard("*")
    return names


def _bound_names(statements: Sequence[ast.stmt], has_global: bool) -> Set[str]:
    """The module-level names a top-level statement binds (a `global` declaration inside a
    function counts: its assignments bind the module's name)."""
    names: Set[str] = set()
    for statement in _module_statements(statements):
        if isinstance(statement, _DEFINITIONS):
            names.add(statement.name)
            if has_global:
                names.update(_globals_declared(statement))
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).partition(".")[0] for alias in statement.names)
        else:
            for node in ast.walk(statement) if not isinstance(statement, (ast.If, ast.Try, ast.While)) else \
                    _headers(statement):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    names.add(node.id)
                elif isinstance(node, ast.alias):
                    names.add((node.asname or node.name).partition(".")[0])
                elif isinstance(node, (ast.MatchAs, ast.MatchStar)) if hasattr(ast, "MatchAs") else False:
                    if node.name:
                        names.add(node.name)
                elif type(node).__name__ == "MatchMapping" and getattr(node, "rest", None):
                    names.add(node.rest)
                elif type(node).__name__ == "TypeAlias":
                    names.add(node.name.id)
        for handler in getattr(statement, "handlers", ()) or ():
            if handler.name:
                names.add(handler.name)
    return names


def _headers(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a block statement outside its blocks (a walrus in an `if` test)."""
    for field in ("test",):
        value = getattr(statement, field, None)
        if value is not None:
            yield from ast.walk(value)


def _globals_declared(function: ast.stmt) -> Set[str]:
    names: Set[str] = set()
    stack = list(getattr(function, "body", ()))
    while stack:
        statement = stack.pop()
        if isinstance(statement, ast.Global):
            names.update(statement.names)
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(statement, field, ()) or ())
        for handler in getattr(statement, "handlers", ()) or ():
            stack.extend(handler.body)
        for case in getattr(statement, "cases", ()) or ():
            stack.extend(case.body)
    return names


def _closure(seeds: Set[int], mentioned: List[Set[str]], bound: List[Set[str]]) -> Set[int]:
    """The seeds, what spells a name they bind (transitively: a function using a session
    scope that uses a sessionmaker), and every definition of a name those spell."""
    binders: Dict[str, List[int]] = {}
    mentioners: Dict[str, List[int]] = {}
    for position, names in enumerate(bound):
        for name in names:
            binders.setdefault(name, []).append(position)
    for position, names in enumerate(mentioned):
        for name in names:
            if name in binders:  # only names some statement binds can link statements
                mentioners.setdefault(name, []).append(position)
    kept = set(seeds)
    queue = list(seeds)
    while queue:
        for name in bound[queue.pop()]:
            for user in mentioners.get(name, ()):
                if user not in kept:
                    kept.add(user)
                    queue.append(user)
    queue = list(kept)
    while queue:
        for name in mentioned[queue.pop()]:
            for binder in binders.get(name, ()):
                if binder not in kept:
                    kept.add(binder)
                    queue.append(binder)
    return kept


def _always_kept(statements: Sequence[ast.stmt], size: int) -> bool:
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(statement, ast.If) and any(
                isinstance(node, ast.Name) and node.id == "__name__" for node in ast.walk(statement.test)):
            return True
    simple = not any(isinstance(statement, (*_DEFINITIONS, ast.If, ast.For, ast.AsyncFor, ast.While,
                                             ast.With, ast.AsyncWith, ast.Try))
                     or type(statement).__name__ in ("Match", "TryStar") for statement in statements)
    return simple and size <= _SMALL_STATEMENT_LINES


def _blank(lines: List[str], first: int, last: int, statements: Sequence[ast.stmt]) -> None:
    """Replace a dropped unit by one string literal over the same lines: one token for
    libcst, where empty lines would cost an `EmptyLine` node each (as much as a short
    statement). A lone function or class keeps its decorators and signature, its body
    becomes that string, so that the module's structure (its names) stays."""
    indent = ""
    if len(statements) == 1 and isinstance(statements[0], _DEFINITIONS):
        body_first = _first_line(statements[0].body[0])
        indent = _indentation(lines[body_first - 1]) or ""
        if not indent or len(indent) != _first_column(statements[0].body[0]):
            # The body begins on a line of the signature (`def f(): return 1`, `): return 1`):
            # nothing to gain.
            return
        first = body_first
    if first == last:
        lines[first - 1] = indent + "..." + _line_end(lines[first - 1])
        return
    lines[first - 1] = indent + '"""' + _line_end(lines[first - 1])
    for number in range(first + 1, last):
        lines[number - 1] = _line_end(lines[number - 1])
    lines[last - 1] = '"""' + _line_end(lines[last - 1])


def _first_column(statement: ast.stmt) -> int:
    """Where the statement begins on its first line (its first decorator's `@`); a byte
    offset, which is the column wherever the line holds only indentation before it."""
    decorators = getattr(statement, "decorator_list", None)
    if decorators:
        first = min(decorators, key=lambda d: (d.lineno, d.col_offset))
        return first.col_offset - 1
    return statement.col_offset


def _indentation(line: str) -> Optional[str]:
    stripped = line.lstrip(" \t")
    indent = line[: len(line) - len(stripped)]
    return indent if indent and stripped.strip() else None


def _line_end(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""
