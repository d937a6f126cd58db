"""flake8 entry point `ORM`: the same engine, fed the lines flake8 already read.

flake8 aborts the whole run, for every file, when a plugin raises; so nothing escapes
`run()`. Selection and `# noqa` are flake8's business here: every rule runs and flake8
filters what it prints; the one exception is an opt-in rule (`Rule.opt_in`), reported only
when flake8's `select`/`extend-select` names it specifically (`ORM304`, `ORM3`), as
flake8-bugbear does for its B9 warnings: flake8 itself would show it for `--select ORM`.

The analysis options of `[tool.session-lint]` (noreturn functions, and the project root and
excludes that decide which files the project index scans) are read as the CLI reads them, so
that both faces give one answer on the same file; its selection keys are left to flake8.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Type

from ._version import __version__
from .config import ConfigError, find_config, load_settings
from .diagnostics import INTERNAL_ERROR, PARSE_ERROR
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
# The analysis settings with the working directory they were read for: flake8 keeps one
# directory for a run, but an in-process caller (a test, an editor) may change it.
_settings: Optional[Tuple[Path, Settings]] = None


def _load() -> Tuple[List[Type[Rule]], List[Rule]]:
    global _rules, _instances
    if _rules is None or _instances is None:
        from .registry import load_rules

        ruleset = load_rules()
        _rules = [ruleset.rules[code] for code in sorted(ruleset.rules)]
        _instances = [rule() for rule in _rules]
        _unreported_load_errors.extend(ruleset.errors)
    return _rules, _instances


def _analysis_settings() -> Settings:
    """The Settings the CLI would use for the analysis, read once per working directory.

    Only what changes the analysis is taken from the file: the noreturn functions, the time
    budget per file, the root
    (test and migration directories are judged relative to it, the project index is built
    under it) and the excludes and `respect-gitignore` of that index scan. Selection,
    per-file ignores and noqa are flake8's.
    """
    global _settings
    cwd = Path.cwd().resolve()
    if _settings is None or _settings[0] != cwd:
        _settings = (cwd, _read_settings(cwd))
    return _settings[1]


def _read_settings(cwd: Path) -> Settings:
    base = Settings(root=cwd)
    try:
        loaded = load_settings(find_config(cwd), base)
    except Exception as error:  # a bad file must not abort flake8's whole run
        problem = str(error) if isinstance(error, ConfigError) else f"{type(error).__name__}: {error}"
        # Reported once per process, as a rule plugin that fails to load is: flake8 has no
        # run-wide channel, and a warning on stderr would leave the exit code 0.
        _unreported_load_errors.append(
            f"cannot read the session-lint configuration: {problem} (checking with the default options)")
        return base
    return Settings(
        root=loaded.root,
        config_path=loaded.config_path,
        noreturn_functions=loaded.noreturn_functions,
        exclude=loaded.exclude,
        extend_exclude=loaded.extend_exclude,
        respect_gitignore=loaded.respect_gitignore,
        file_time_budget=loaded.file_time_budget,
    )


def _project_index() -> ProjectIndex:
    """Module-level session factories of the project flake8 runs in (built once per process).

    flake8 hands a plugin one file at a time; to resolve `from app.db import SessionLocal`
    as the CLI does, scan the project's Python files (under the configuration's directory,
    else the working directory, with the configured excludes) with the same cheap text pass
    the CLI uses.
    """
    global _index
    if _index is None:
        _index = LazyProjectIndex(_scan_project)
    return _index


def _scan_project() -> ProjectIndex:
    try:
        from .discovery import project_files

        return ProjectIndex.scan(project_files(_analysis_settings()))
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
        settings = _analysis_settings()
        while _unreported_load_errors:
            yield (1, 0, f"{INTERNAL_ERROR} {_unreported_load_errors.pop(0)}", type(self))
        if not may_match(source, rules, _project_index()):
            return
        result = lint_source(source, self.filename, rules, settings, _project_index(), instances=instances)
        # flake8 runs this plugin only on files Python itself parsed (else it reports E999
        # and stops), so an ORM001 here is news: libcst rejected what Python accepts, the file
        # is over the size limit, or too deeply nested to check. It is reported. The CLI's
        # warnings (a file not fully checked: libcst cannot read it, the time budget ran
        # out) have no channel in flake8 but a line: they are ORM001 too, never silence.
        for warning in result.warnings:
            _, _, reason = warning.partition(": ")
            yield (1, 0, f"{PARSE_ERROR} {reason or warning}", type(self))
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
