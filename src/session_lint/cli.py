"""The `session-lint` command: a thin adapter from options to settings, runner and formatters."""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import click

from . import __version__
from .cache import ResultCache, default_cache_directory
from .catalogue import explain
from .config import ConfigError, find_config, load_settings, project_root, split_selectors
from .diagnostics import ENGINE_CODES, INTERNAL_ERROR
from .discovery import _PROJECT_MARKERS, collect_files, project_files
from .engine import read_source
from .formatters import FORMATS, format_diagnostics, format_statistics, printable
from .registry import RuleSet, load_rules
from .runner import default_jobs, lint_files
from .settings import Settings, selector_matches_any

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds the run as Ctrl-C does, so that the worker
    processes are stopped on the way out (a BaseException, like KeyboardInterrupt, so that
    no `except Exception` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"session-lint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", multiple=True, metavar="CODES", help="Rules to enable: codes or prefixes (ORM101, ORM1, ORM). Replaces the configured list.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to enable in addition to the selected ones.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to disable: codes or prefixes.")
@click.option("--output-format", type=click.Choice(FORMATS), default="full", show_default=True, help="How findings are printed.")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Use this pyproject.toml instead of searching for one.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--explain", "explain_code", metavar="CODE", help="Explain a rule: why it exists, a bad and a good example.")
@click.option("--list-rules", is_flag=True, help="List every known rule and exit.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: number of CPUs).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to keep the results cache (default: .session_lint_cache at the project root; "
                   "outside a project, the user cache directory).")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, "--version", prog_name="session-lint")
def command(paths: Tuple[str, ...], select: Tuple[str, ...], extend_select: Tuple[str, ...],
            ignore: Tuple[str, ...], output_format: str, exit_zero: bool, statistics: bool,
            config_path: Optional[Path], isolated: bool, explain_code: Optional[str],
            list_rules: bool, jobs: Optional[int], no_cache: bool, cache_dir: Optional[Path],
            verbose: bool) -> int:
    """Lint Python files for SQLAlchemy session mistakes (default path: the current directory)."""
    ruleset = load_rules()
    # A rule plugin that cannot load is an installation problem: the run goes on with the
    # other rules, and exits 2 so that CI does not pass with rules silently missing.
    for problem in ruleset.errors:
        click.echo(f"session-lint: error: {problem}", err=True)

    if list_rules:
        problem = _write(_rules_table(ruleset))
        if problem:
            raise _fail(problem)
        return EXIT_CLEAN
    if explain_code:
        code = explain_code.strip().upper()
        if code not in ruleset.rules:
            raise _fail(f"unknown rule code `{explain_code}` (see --list-rules)")
        problem = _write(explain(ruleset.rules[code]))
        if problem:
            raise _fail(problem)
        return EXIT_CLEAN

    try:
        os.getcwd()
    except OSError as error:
        raise _fail("the current directory no longer exists" if isinstance(error, FileNotFoundError)
                    else f"cannot use the current directory: {error.strerror or error}")
    try:
        settings = _settings(config_path, isolated, select, extend_select, ignore)
        _validate_selectors(settings, ruleset)
    except ConfigError as error:
        raise _fail(str(error))

    enabled = settings.enabled_codes(ruleset.rules, ruleset.opt_in_codes())
    rules = [ruleset.rules[code] for code in sorted(enabled)]
    discovery = collect_files(list(paths) or ["."], settings)
    cache = None if no_cache else ResultCache(cache_dir or _default_cache_dir(settings))
    report = lint_files(discovery.files, rules, settings, jobs=jobs or default_jobs(), cache=cache,
                        rule_versions=ruleset.versions(),
                        index_also=project_files(settings, discovery.files, list(paths) or ["."]))
    diagnostics = [d for d in report.diagnostics
                   if d.code in enabled or d.code in ENGINE_CODES]

    if statistics:
        names = {code: rule.name for code, rule in ruleset.rules.items()}
        names.update({code: text.split(":")[0] for code, text in ENGINE_CODES.items()})
        output_problem = _write(format_statistics(diagnostics, names))
    else:
        output_problem = _write(format_diagnostics(diagnostics, output_format, _line_reader()))
    for warning in report.warnings:
        click.echo(f"session-lint: warning: {printable(warning)}", err=True)
    for path, note in discovery.warnings:
        click.echo(f"session-lint: warning: {printable(path)}: {note}", err=True)
    for path, problem in discovery.problems + report.errors:
        click.echo(f"session-lint: error: {printable(path)}: {problem}", err=True)
    if output_problem:
        click.echo(f"session-lint: error: {output_problem}", err=True)
    if not discovery.files and not discovery.problems:
        click.echo("session-lint: warning: no Python files found under the given paths "
                   "(excluded, git-ignored, or none there)", err=True)
    if verbose:
        for trace in report.tracebacks:
            click.echo(trace, err=True)
        count = len(discovery.files)
        click.echo(f"session-lint: checked {count} file{'' if count == 1 else 's'}", err=True)
    elif report.tracebacks:
        click.echo("session-lint: a rule failed on some files (ORM002); run with -v for the tracebacks", err=True)

    if (discovery.problems or report.errors or ruleset.errors or output_problem
            or any(d.code == INTERNAL_ERROR for d in diagnostics)):
        return EXIT_ERROR
    if diagnostics and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _settings(config_path: Optional[Path], isolated: bool, select: Sequence[str],
              extend_select: Sequence[str], ignore: Sequence[str]) -> Settings:
    # Without a configuration, paths are still judged from the project root, not the cwd.
    settings = Settings(root=project_root(Path.cwd().resolve()))
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: configuration file not found")
        settings = load_settings(config_path, settings)
    elif not isolated:
        settings = load_settings(find_config(Path.cwd().resolve()), settings)
    # Command-line options override the configuration.
    if select:
        # As in ruff, a command-line selection starts over: the file's ignores no longer apply.
        settings = replace(settings, select=split_selectors(select, "--select"), ignore=())
    if extend_select:
        settings = replace(settings,
                           extend_select=settings.extend_select + split_selectors(extend_select, "--extend-select"))
    if ignore:
        settings = replace(settings, ignore=settings.ignore + split_selectors(ignore, "--ignore"))
    return settings


def _validate_selectors(settings: Settings, ruleset: RuleSet) -> None:
    known = list(ruleset.rules) + list(ENGINE_CODES)
    groups = [("select", settings.select or ()), ("extend-select", settings.extend_select),
              ("ignore", settings.ignore)]
    groups += [(f"per-file-ignores[{glob!r}]", codes) for glob, codes in settings.per_file_ignores]
    for where, selectors in groups:
        for selector in selectors:
            if not selector_matches_any(selector, known):
                origin = f"{settings.config_path}: " if settings.config_path else ""
                raise ConfigError(
                    f"{origin}unknown rule selector `{selector}` in `{where}` "
                    f"(known codes: {', '.join(sorted(known))})"
                )


def _default_cache_dir(settings: Settings) -> Path:
    is_project = settings.config_path is not None or any(
        os.path.lexists(settings.root / marker) for marker in _PROJECT_MARKERS)
    return default_cache_directory(settings.root, is_project)


def _rules_table(ruleset: RuleSet) -> str:
    rows: List[Tuple[str, str, str, str]] = [
        (code, rule.name, rule.summary + (" (opt-in: select it by code)" if rule.opt_in else ""),
         ruleset.origins[code])
        for code, rule in sorted(ruleset.rules.items())
    ]
    rows += [(code, text.split(":")[0], text.split(": ", 1)[1], "session-lint (engine)")
             for code, text in ENGINE_CODES.items()]
    rows.sort()
    width = max(len(row[1]) for row in rows)
    return "".join(f"{code}  {name:<{width}}  {summary}  [{origin}]\n" for code, name, summary, origin in rows)


def _line_reader():
    cache: Dict[str, List[str]] = {}

    def line(filename: str, row: int) -> Optional[str]:
        if filename not in cache:
            try:
                cache[filename] = read_source(filename).decode("utf-8", "replace").splitlines()
            except OSError:
                cache[filename] = []
        lines = cache[filename]
        return lines[row - 1] if 0 < row <= len(lines) else None

    return line


def _write(text: str) -> Optional[str]:
    """Print to stdout; a failure to write is returned as a problem, not raised."""
    if not text:
        return None
    try:
        click.echo(text, nl=False)
    except BrokenPipeError:
        _silence_stdout()
        return None  # the reader stopped reading (`| head`): the exit code still tells the result
    except OSError as error:  # a full disk, /dev/full, an I/O error
        _silence_stdout()
        return f"cannot write the report: {error.strerror or error}"
    return None


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; what is left in its buffer would fail again
    # and print "Exception ignored" with a traceback.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is no file (captured, closed)
        pass


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, SIGTERM and SIGHUP raise Terminated while the command
    runs, so that the runner stops its workers on the way out. By default SIGTERM ended
    the parent alone and left its workers linting for nobody."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    parent = os.getpid()
    unwinding = False

    def handler(signum: int, frame: object) -> None:
        nonlocal unwinding
        if os.getpid() != parent:
            # A worker forked before its initializer replaced this handler.
            if signum != signal.SIGINT:
                os._exit(128 + signum)
            return
        if unwinding:
            return  # the first signal is already stopping the run; a second must not cut that short
        unwinding = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        # A handler installed by someone else (a program embedding us, nohup's ignored
        # SIGHUP) is left alone.
        if number is not None and signal.getsignal(number) in (signal.SIG_DFL, signal.default_int_handler):
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, handler_before in previous.items():
            signal.signal(number, handler_before)


def main(argv: Optional[Sequence[str]] = None) -> None:
    try:
        with _signals_unwind():
            code = command.main(args=list(argv) if argv is not None else None,
                                prog_name="session-lint", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        code = exit_.exit_code
    except click.UsageError as error:
        message = error.format_message()
        click.echo(f"session-lint: error: {message} (see `session-lint --help`)", err=True)
        code = EXIT_ERROR
    except click.Abort:
        _say("session-lint: interrupted")
        code = 130
    except Terminated as terminated:
        _say("session-lint: terminated")
        code = 128 + terminated.signum
    except BrokenPipeError:
        code = EXIT_CLEAN
    sys.exit(code if isinstance(code, int) else EXIT_CLEAN)


def _say(line: str) -> None:
    try:
        click.echo(line, err=True)
    except OSError:  # after a hangup the terminal is gone
        pass
