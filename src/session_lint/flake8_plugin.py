"""flake8 entry point `ORM`: the same engine, fed the lines flake8 already read.

flake8 aborts the whole run, for every file, when a plugin raises; so nothing escapes
`run()`. Selection and `# noqa` are flake8's business here: every rule runs and flake8
filters what it prints; the one exception is an opt-in rule (`Rule.opt_in`), reported only
when flake8's `select`/`extend-select` names it specifically (`ORM304`, `ORM3`), as
flake8-bugbear does for its B9 warnings: flake8 itself would show it for `--select ORM`.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Type

from ._version import __version__
from .diagnostics import INTERNAL_ERROR
from .project_index import EMPTY_INDEX, LazyProjectIndex, ProjectIndex
from .rule import Rule
from .settings import Settings, is_specific

Result = Tuple[int, int, str, type]

_rules: Optional[List[Type[Rule]]] = None
_instances: Optional[List[Rule]] = None
_index: Optional[ProjectIndex] = None
# Rule plugins that failed to load, not yet reported (once per process: flake8 has no
# channel for a run-wide problem, and a warning on stderr would leave the exit code 0).
_unreported_load_errors: List[str] = []
# flake8's `select` and `extend-select`, kept by `parse_options` for the opt-in rules.
_selectors: Tuple[str, ...] = ()


def _load() -> Tuple[List[Type[Rule]], List[Rule]]:
    global _rules, _instances
    if _rules is None or _instances is None:
        from .registry import load_rules

        ruleset = load_rules()
        _rules = [ruleset.rules[code] for code in sorted(ruleset.rules)]
        _instances = [rule() for rule in _rules]
        _unreported_load_errors.extend(ruleset.errors)
    return _rules, _instances


def _project_index() -> ProjectIndex:
    """Module-level session factories of the project flake8 runs in (built once per process).

    flake8 hands a plugin one file at a time; to resolve `from app.db import SessionLocal`
    as the CLI does, scan the working directory's Python files with the same cheap text
    pass the CLI uses.
    """
    global _index
    if _index is None:
        _index = LazyProjectIndex(_scan_working_directory)
    return _index


def _scan_working_directory() -> ProjectIndex:
    try:
        from .discovery import project_files

        return ProjectIndex.scan(project_files(Settings(root=Path.cwd().resolve())))
    except Exception:
        return EMPTY_INDEX


def _opt_in_selected(code: str) -> bool:
    return any(is_specific(s) and code.startswith(s) for s in _selectors)


class SessionLintPlugin:
    name = "session-lint"
    version = __version__

    @classmethod
    def parse_options(cls, options: object) -> None:
        """flake8 hands every plugin its parsed options once (in each worker process too)."""
        global _selectors
        _selectors = tuple(str(s) for name in ("select", "extend_select")
                           for s in (getattr(options, name, None) or ()))

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[Result]:
        try:
            yield from self._run()
        except BaseException as error:  # noqa: B036 - flake8 must never see an exception
            if isinstance(error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            yield (1, 0, f"{INTERNAL_ERROR} session-lint failed on this file: {type(error).__name__}: {error}", type(self))

    def _run(self) -> Iterator[Result]:
        from .engine import lint_source, may_match

        source = "".join(self.lines)
        rules, instances = _load()
        while _unreported_load_errors:
            yield (1, 0, f"{INTERNAL_ERROR} {_unreported_load_errors.pop(0)}", type(self))
        if not may_match(source, rules, _project_index()):
            return
        settings = Settings(root=Path(os.getcwd()))
        result = lint_source(source, self.filename, rules, settings, _project_index(), instances=instances)
        # flake8 runs this plugin only on files Python itself parsed (else it reports E999
        # and stops), so an ORM001 here is news: libcst rejected what Python accepts, the file
        # is over the size limit, or too deeply nested to check. It is reported.
        opt_in = {rule.code for rule in rules if rule.opt_in}
        for diagnostic in result.diagnostics:
            if diagnostic.code in opt_in and not _opt_in_selected(diagnostic.code):
                continue
            yield (
                diagnostic.location.row,
                diagnostic.location.column - 1,
                f"{diagnostic.code} {diagnostic.message}",
                type(self),
            )
