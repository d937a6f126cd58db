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
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Type

from ._version import __version__
from .config import ConfigError, find_config, load_settings, project_root
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
    # The project the working directory is in, as the CLI finds it for `session-lint .`:
    # rooted at the configuration's directory, else at the nearest directory with a project
    # marker (`.git`, `pyproject.toml`, ...) above the working directory.
    base = Settings(root=cwd)
    try:
        config = find_config(cwd)
        if config is None:
            return Settings(root=project_root(cwd))
        loaded = load_settings(config, base)
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
    """The project index of the project flake8 runs in (once per process).

    flake8 hands a plugin one file at a time; to resolve `from app.db import SessionLocal`
    and to know what the project's functions do as the CLI does, the plugin needs the
    index of the project's Python files (under the configuration's directory, else the
    project root above the working directory, with the configured excludes). It is the
    CLI's: a run over the same files in the same state (a CLI run, or the plugin's first
    worker) kept it in the project's cache, and each worker loads it rather than build it.
    """
    global _index
    if _index is None:
        _index = LazyProjectIndex(_scan_project)
    return _index


def _scan_project() -> ProjectIndex:
    try:
        from .discovery import project_files

        settings = _analysis_settings()
        files = project_files(settings)
        if not files:
            return EMPTY_INDEX
        kept = _kept_index(settings, files)
        index = kept if kept is not None else ProjectIndex.scan(files)
        index.fingerprint()  # the summaries, built now
        if _in_flake8_process():
            # Out of the collector's sight from now on: flake8's own work allocates enough
            # to start many full collections, each of which walked the whole index (about a
            # million objects on the standard library). Not in a program that merely calls
            # the plugin (a test): what it frees later would never be collected.
            import gc

            gc.freeze()
        return index
    except Exception:
        return EMPTY_INDEX


def _in_flake8_process() -> bool:
    import sys

    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return started.name.startswith("flake8") or started.parent.name == "flake8"


# How long a worker waits for another to build the index and keep it (then builds it too).
_INDEX_WAIT_SECONDS = 300.0


def _kept_index(settings: Settings, files: List[Path]) -> Optional[ProjectIndex]:
    """The index of `files` from the project's cache (the CLI's `.session_lint_cache`, or
    its directory in the user cache outside a project); built and kept there by the first
    worker that finds none, while the others wait for it. None when there is no cache to
    use (a file changed moments ago, the cache is refused): the caller builds its own."""
    import time

    from .cache import ResultCache, default_cache_directory, recordable, source_status
    from .config import is_project_root
    from .engine import stat_source
    from .project_index import detached
    from .runner import index_state

    started = time.time()
    statuses = {}
    for path in files:
        try:
            statuses[str(path)] = source_status(stat_source(path))
        except OSError:
            continue  # the CLI's index leaves unreadable files out too
    state = index_state(statuses)
    # Where the CLI keeps the project's cache.
    directory = default_cache_directory(settings.root, settings.config_path is not None
                                        or is_project_root(settings.root))
    cache = ResultCache(directory)
    if not cache.usable:
        return None
    loaded = _index_of(cache.load_index(state))
    if loaded is not None:
        return loaded
    if not all(recordable(status, started) for status in statuses.values()):
        return None  # its state cannot be trusted yet: nobody keeps it
    from .file_lock import LockTimeout, exclusive

    lock = directory / ".index.lock"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if os.path.islink(lock):  # as the cache's own lock: never locked through a planted link
            return None
        with exclusive(str(lock), _INDEX_WAIT_SECONDS):
            loaded = _index_of(ResultCache(directory).load_index(state))  # kept by another worker meanwhile
            if loaded is not None:
                return loaded
            index = ProjectIndex.scan([Path(name) for name in statuses])
            cache.record_index(state, index.fingerprint())
            cache.keep_index(state, {"state": state, "index": detached(index)})
            cache.save()
            return index
    except (OSError, LockTimeout, NotImplementedError):
        return None


def _index_of(kept: object) -> Optional[ProjectIndex]:
    index = kept.get("index") if isinstance(kept, dict) else None
    return index if isinstance(index, ProjectIndex) else None


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
        if not may_match(source, rules, _project_index(), self.filename):
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
