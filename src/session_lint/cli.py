"""The `session-lint` command: a thin adapter from options to settings, runner and formatters."""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple, Union

import click

from . import __version__
from .baseline import Baseline, BaselineError
from .baseline import write as write_baseline_file
from .cache import ResultCache, default_cache_directory
from .catalogue import explain
from .config import ConfigError, is_project_root, load_settings, project_settings, split_patterns, split_selectors
from .diagnostics import ENGINE_CODES, INTERNAL_ERROR, Diagnostic
from .discovery import Discovery, collect_files, project_files
from .engine import MAX_FILE_BYTES, LintResult, read_source
from .file_edits import EditReport, FileFix, add_noqa as add_noqa_comments, fix_files, fix_source, text_lines
from .fixer import unified_diff
from .formatters import FORMATS, ReportOptions, format_diagnostics, format_statistics, printable
from .progress import ProgressBar, progress_bar
from .project_index import ProjectIndex
from .registry import RuleSet, load_rules
from .rule_info import rule_infos
from .runner import default_jobs, lint_files
from .settings import Settings, selector_matches_any
from .source_files import SourceFile
from .summary import COLOR_CHOICES, counts, fixed_listing, summary_line, use_color
from .text_lint import TextLinter, build_index

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
@click.option("--exclude", multiple=True, metavar="PATTERNS",
              help="Paths to skip (gitignore-style patterns, relative to the project root); "
                   "replaces the configured list.")
@click.option("--extend-exclude", multiple=True, metavar="PATTERNS",
              help="Paths to skip in addition to the excluded ones.")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply the excludes to files named on the command line too (as pre-commit names them).")
@click.option("--output-format", type=click.Choice(FORMATS), default="full", show_default=True, help="How findings are printed.")
@click.option("--output-file", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes of the findings to the files.")
@click.option("--unsafe-fixes", is_flag=True, help="Apply (with --fix) or show the unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the changes --fix would make as a diff instead of writing them.")
@click.option("--show-fixes", is_flag=True, help="With --fix, list the findings that were fixed.")
@click.option("--add-noqa", is_flag=True, help="Add a `# noqa: CODE` comment for every finding.")
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Report only the findings that are not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Record every current finding in this baseline file, and report nothing.")
@click.option("--show-stale-baseline", is_flag=True,
              help="List the baseline entries that match no finding any more.")
@click.option("--stdin-filename", metavar="PATH", default=None,
              help="With the path `-`: the name of the file whose text is on standard input.")
@click.option("--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
              help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).")
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
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary line, no progress bar.")
@click.version_option(__version__, "--version", prog_name="session-lint")
def command(paths: Tuple[str, ...], select: Tuple[str, ...], extend_select: Tuple[str, ...],
            ignore: Tuple[str, ...], exclude: Tuple[str, ...], extend_exclude: Tuple[str, ...],
            force_exclude: Optional[bool], output_format: str, output_file: Optional[Path], exit_zero: bool,
            statistics: bool, fix: bool, unsafe_fixes: bool, diff: bool, show_fixes: bool, add_noqa: bool,
            baseline_path: Optional[Path], write_baseline_path: Optional[Path], show_stale_baseline: bool,
            stdin_filename: Optional[str], color: str,
            config_path: Optional[Path], isolated: bool, explain_code: Optional[str],
            list_rules: bool, jobs: Optional[int], no_cache: bool, cache_dir: Optional[Path],
            verbose: bool, quiet: bool) -> int:
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
    problem = _mode_problem(list(paths), fix, diff, add_noqa, write_baseline_path, stdin_filename)
    if problem:
        raise _fail(problem)
    reading_stdin = list(paths) == ["-"]
    # Where each path's project is decides its settings: for stdin, the file it stands for.
    located = ([stdin_filename or "."] if reading_stdin else list(paths) or ["."])
    try:
        overrides = _Overrides(select=split_selectors(select, "--select") if select else None,
                               extend_select=split_selectors(extend_select, "--extend-select"),
                               ignore=split_selectors(ignore, "--ignore"),
                               exclude=split_patterns(exclude, "--exclude") if exclude else None,
                               extend_exclude=split_patterns(extend_exclude, "--extend-exclude"),
                               force_exclude=force_exclude)
        projects = _projects(located, config_path, isolated, overrides, ruleset)
    except ConfigError as error:
        raise _fail(str(error))
    baseline = None
    if baseline_path is not None:
        try:
            baseline = Baseline.load(baseline_path)
        except BaselineError as error:
            raise _fail(str(error))
    infos = rule_infos(ruleset.rules)
    names = {code: info.name for code, info in infos.items()}
    choose = _baseline_choice(baseline)
    enabled = frozenset().union(*(project.enabled for project in projects))

    if reading_stdin:
        checked = _check_stdin(stdin_filename, projects[0])
    else:
        checked = _check_files(projects, ruleset, jobs or default_jobs(), no_cache, cache_dir, quiet)
    edits, diagnostics, replacement = _edit(checked, fix, diff, add_noqa, unsafe_fixes, choose)

    hidden = 0
    if write_baseline_path is not None:
        recorded = write_baseline_file(write_baseline_path, diagnostics, checked.lines)
        click.echo(f"session-lint: recorded {recorded} finding{'' if recorded == 1 else 's'} in "
                   f"{printable(str(write_baseline_path))}", err=True)
    elif baseline is not None:
        split = baseline.split(diagnostics, checked.lines, checked.names)
        diagnostics, hidden = split.shown, len(split.hidden)
        _report_stale(split.stale, baseline, show_stale_baseline)

    # `concise` stays one line per finding (for grep and editors), as documented.
    text_format = output_format == "full" and not statistics
    to_terminal = output_file is None and replacement is None
    colored = use_color(color, sys.stdout if to_terminal else None)
    if diff:
        report_text = "".join(unified_diff(entry.source.text, entry.outcome.text, name)
                              for name, entry in sorted(edits.fixes.items()) if entry.outcome.changed(entry.source.text))
        would = sum(len(entry.outcome.fixed) for entry in edits.fixes.values())
        click.echo(f"session-lint: would fix {would} finding{'' if would == 1 else 's'}", err=True)
    elif add_noqa:
        report_text = ""
        click.echo(f"session-lint: added {edits.noqa_added} `# noqa` comment{'' if edits.noqa_added == 1 else 's'}",
                   err=True)
    elif write_baseline_path is not None:
        report_text = ""
    elif statistics:
        report_text = format_statistics(diagnostics, names, output_format, unsafe_fixes)
    else:
        options = ReportOptions(rules={code: infos[code] for code in enabled | set(ENGINE_CODES) if code in infos},
                                root=_report_root(projects), unsafe_fixes=unsafe_fixes, color=colored)
        report_text = format_diagnostics(diagnostics, output_format, checked.lines, options)
        if text_format and not quiet:
            fixed = sum(len(entry.outcome.fixed) for entry in edits.fixes.values()) if fix else None
            failed = bool(checked.problems or edits.problems)
            if diagnostics or not failed:  # with unreadable files, not all checks passed
                report_text += summary_line(counts(diagnostics, unsafe_fixes, hidden, fixed), colored)
    if replacement is not None:  # stdin with --fix: the fixed text on stdout, the report on stderr
        output_problem = _write_bytes(checked.stdin.encode(replacement))  # type: ignore[union-attr]
        _say_all(report_text)
    else:
        output_problem = _write(report_text, output_file, colored)
    if show_fixes and fix:
        _say_all(fixed_listing({name: entry.outcome.fixed for name, entry in edits.fixes.items()}, names))

    for warning in checked.warnings + edits.warnings:
        click.echo(f"session-lint: warning: {printable(warning)}", err=True)
    for path, problem in checked.problems + edits.problems:
        click.echo(f"session-lint: error: {printable(path)}: {problem}", err=True)
    if output_problem:
        click.echo(f"session-lint: error: {output_problem}", err=True)
    if verbose:
        for trace in checked.tracebacks:
            click.echo(trace, err=True)
        count = len(checked.names)
        click.echo(f"session-lint: checked {count} file{'' if count == 1 else 's'}", err=True)
    elif checked.tracebacks:
        click.echo("session-lint: a rule failed on some files (ORM002); run with -v for the tracebacks", err=True)

    if (checked.problems or edits.problems or ruleset.errors or output_problem
            or any(d.code == INTERNAL_ERROR for d in diagnostics)):
        return EXIT_ERROR
    if diff:
        return EXIT_FINDINGS if report_text and not exit_zero else EXIT_CLEAN
    if add_noqa or write_baseline_path is not None:
        return EXIT_CLEAN
    if diagnostics and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _edit(checked: "_Checked", fix: bool, diff: bool, add_noqa: bool, unsafe: bool,
          choose) -> Tuple[EditReport, List[Diagnostic], Optional[str]]:
    """--fix, --diff and --add-noqa: what was edited, the findings left, and the fixed text
    of standard input (which goes to stdout instead of the report)."""
    edits = EditReport()
    diagnostics = checked.diagnostics
    replacement: Optional[str] = None
    if fix or diff:
        if checked.reading_stdin:
            if checked.stdin is not None:  # undecodable input is reported (ORM001), never fixed
                outcome = fix_source(checked.stdin, checked.linter(), unsafe, choose, edits)
                edits.fixes[checked.stdin.path] = FileFix(checked.stdin, outcome)
                if not diff:
                    replacement = outcome.text
                    checked.lines = text_lines(outcome.text)  # the report quotes the fixed text
        else:
            edits = fix_files(diagnostics, checked.linter(), unsafe, write=not diff, choose=choose)
        if not diff:
            diagnostics = _after_fixes(diagnostics, edits)
    elif add_noqa:
        edits = add_noqa_comments(diagnostics, checked.linter(), choose)
    return edits, diagnostics, replacement


@dataclass(frozen=True)
class _Overrides:
    """What the command line says over each project's configuration."""

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    force_exclude: Optional[bool] = None

    def apply(self, settings: Settings) -> Settings:
        if self.select is not None:
            # As in ruff, a command-line selection starts over: the file's ignores no longer apply.
            settings = replace(settings, select=self.select, ignore=())
        if self.extend_select:
            settings = replace(settings, extend_select=settings.extend_select + self.extend_select)
        if self.ignore:
            settings = replace(settings, ignore=settings.ignore + self.ignore)
        if self.exclude is not None:
            settings = replace(settings, exclude=self.exclude)
        if self.extend_exclude:
            settings = replace(settings, extend_exclude=settings.extend_exclude + self.extend_exclude)
        if self.force_exclude is not None:
            settings = replace(settings, force_exclude=self.force_exclude)
        return settings


@dataclass
class _Project:
    """The paths of one project and what they are linted with. A run that names files of
    several projects (`session-lint api/x.py worker/y.py` in a monorepo) lints each with
    its own configuration, root and project index."""

    settings: Settings
    enabled: FrozenSet[str]
    rules: List[type]
    paths: List[str] = field(default_factory=list)
    index_paths: List[Path] = field(default_factory=list)
    index: Optional[ProjectIndex] = None  # built when first needed, from index_paths
    _linter: Optional[TextLinter] = None

    def linter(self) -> TextLinter:
        if self._linter is None:
            if self.index is None:
                self.index = build_index(self.index_paths)
            self._linter = TextLinter(self.rules, self.settings, self.index, self.enabled)  # type: ignore[arg-type]
        return self._linter


def _location(path: str, known: Dict[str, Path]) -> Path:
    """The directory whose project `path` belongs to: itself for a directory, else its
    parent (a file, or a path that does not exist, which discovery reports). `known` holds
    the directories resolved so far: resolving each of 970 files named in a few dozen
    directories took 0.04 s."""
    start = path if os.path.isdir(path) else (os.path.dirname(path) or os.curdir)
    found = known.get(start)
    if found is None:
        try:
            found = Path(start).resolve()
        except (OSError, RuntimeError):  # a link loop: discovery reports it
            found = Path(os.path.abspath(start))
        known[start] = found
    return found


def _projects(paths: Sequence[str], config_path: Optional[Path], isolated: bool, overrides: _Overrides,
              ruleset: RuleSet) -> List[_Project]:
    """The projects of `paths`, in the order they are first named. Each path's settings come
    from its own location, never from the working directory; `--config` names one
    configuration for all of them."""
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: configuration file not found")
        shared = load_settings(config_path, Settings())
    # pre-commit names hundreds of files from a few directories: settings are found (and
    # hashed, to group the paths) once per directory.
    located: Dict[str, Path] = {}
    starts = [_location(path, located) for path in paths]
    grouped: Dict[Settings, List[str]] = {}
    group_of: Dict[Path, List[str]] = {}
    for start in dict.fromkeys(starts):
        found = shared if config_path is not None else project_settings(start, Settings(), isolated)
        group_of[start] = grouped.setdefault(overrides.apply(found), [])
    for path, start in zip(paths, starts):
        group_of[start].append(path)
    projects = []
    for settings, named in grouped.items():
        _validate_selectors(settings, ruleset)
        enabled = settings.enabled_codes(ruleset.rules, ruleset.opt_in_codes())
        projects.append(_Project(settings, enabled, [ruleset.rules[code] for code in sorted(enabled)], named))
    return projects


def _report_root(projects: Sequence[_Project]) -> Path:
    """What SARIF and GitLab paths are relative to: the repository the linted projects are
    in (code scanning and merge requests show paths from the top of the repository, also
    when pyproject.toml sits in a subdirectory), else their common root."""
    roots = [str(project.settings.root) for project in projects]
    common = Path(os.path.commonpath(roots)) if len(roots) > 1 else Path(roots[0])
    for directory in (common, *common.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return common


class _Linters:
    """`TextLinter.lint` for --fix and --add-noqa over several projects: each file is
    linted again with the rules, settings and index of its own project."""

    def __init__(self, checked: "_Checked") -> None:
        self._checked = checked

    def lint(self, source: Union[str, bytes], filename: str) -> LintResult:
        return self._checked.project_of(filename).linter().lint(source, filename)


class _Checked:
    """The findings of the files (or the text on stdin) this run checked, and what it takes
    to lint them again in this process (for --fix and --add-noqa)."""

    def __init__(self, projects: Sequence[_Project]) -> None:
        self.projects = list(projects)
        self.diagnostics: List[Diagnostic] = []
        self.names: List[str] = []  # the files checked
        self.warnings: List[str] = []
        self.problems: List[Tuple[str, str]] = []
        self.tracebacks: List[str] = []
        self.reading_stdin = False
        self.stdin: Optional[SourceFile] = None  # its text, when it decodes
        self.lines: Callable[[str, int], Optional[str]] = _line_reader()
        self._owners: Dict[str, _Project] = {}  # file name -> its project

    def project_of(self, filename: str) -> _Project:
        return self._owners.get(filename, self.projects[0])

    def own(self, project: _Project, names: Sequence[str]) -> None:
        for name in names:
            self._owners.setdefault(name, project)

    def linter(self) -> Union[TextLinter, _Linters]:
        if len(self.projects) == 1:
            return self.projects[0].linter()
        return _Linters(self)


def _check_files(projects: Sequence[_Project], ruleset: RuleSet, jobs: int, no_cache: bool,
                 cache_dir: Optional[Path], quiet: bool) -> _Checked:
    checked = _Checked(projects)
    found: List[Tuple[_Project, Discovery]] = [
        (project, collect_files(project.paths, project.settings)) for project in projects]
    caches: Dict[Path, ResultCache] = {}  # projects sharing a --cache-dir share its instance
    with progress_bar(sum(len(discovery.files) for _, discovery in found), sys.stderr, quiet) as bar:
        for project, discovery in found:
            settings = project.settings
            cache = None
            if not no_cache:
                directory = cache_dir or _default_cache_dir(settings)
                if directory not in caches:
                    caches[directory] = ResultCache(directory)
                cache = caches[directory]
            index_also = project_files(settings, discovery.files, project.paths)
            report = lint_files(discovery.files, project.rules, settings,  # type: ignore[arg-type]
                                jobs=jobs, cache=cache, rule_versions=ruleset.versions(), index_also=index_also,
                                **_progress_keyword(bar))
            names = [str(path) for path in discovery.files]
            checked.own(project, names)
            checked.diagnostics += [d for d in report.diagnostics
                                    if d.code in project.enabled or d.code in ENGINE_CODES]
            checked.names += names
            project.index_paths = [*discovery.files, *index_also]
            checked.warnings += list(report.warnings) + [f"{path}: {note}" for path, note in discovery.warnings]
            checked.problems += list(discovery.problems) + list(report.errors)
            checked.tracebacks += list(report.tracebacks)
    checked.diagnostics.sort(key=lambda d: d.sort_key)
    if not checked.names and not checked.problems:
        checked.warnings.append("no Python files found under the given paths (excluded, git-ignored, or none there)")
    return checked


def _progress_keyword(bar: ProgressBar) -> Dict[str, Callable[[int], None]]:
    """`progress=` for lint_files, which calls it with the number of files it has just
    finished, in the main thread; passed only when the runner takes it."""
    import inspect

    if "progress" in inspect.signature(lint_files).parameters:
        return {"progress": bar.advance}
    return {}


def _check_stdin(stdin_filename: Optional[str], project: _Project) -> _Checked:
    """The text on standard input, linted as the file `--stdin-filename` names: its test or
    migration status, per-file ignores and baseline entries follow that path, and the
    project's other files are scanned for session factories as for the file itself."""
    checked = _Checked([project])
    checked.reading_stdin = True
    name = stdin_filename or "-"
    data = _read_stdin()
    path = Path(name)
    if stdin_filename:
        project.index = build_index(project_files(project.settings, [path], [name]), replaced=path, data=data)
    else:
        project.index = build_index([])  # no location, so no project around it
    result = checked.linter().lint(data, name)
    checked.diagnostics = result.diagnostics
    checked.names = [name]
    checked.warnings = list(result.warnings)
    checked.tracebacks = list(result.tracebacks)
    try:
        checked.stdin = SourceFile.decode(name, data)
        checked.lines = text_lines(checked.stdin.text)
    except ValueError:
        checked.lines = text_lines(data.decode("utf-8", "replace"))  # reported as ORM001 already
    return checked


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        return b""
    return stream.read(MAX_FILE_BYTES + 1)  # as much as a file is read


def _mode_problem(paths: List[str], fix: bool, diff: bool, add_noqa: bool, write_baseline: Optional[Path],
                  stdin_filename: Optional[str]) -> Optional[str]:
    if "-" in paths and paths != ["-"]:
        return "`-` (standard input) cannot be combined with other paths"
    if stdin_filename and paths != ["-"]:
        return "--stdin-filename names the text on standard input: pass the path `-`"
    if add_noqa and (fix or diff):
        return "--add-noqa cannot be combined with --fix or --diff"
    if write_baseline is not None and (fix or diff or add_noqa):
        return "--write-baseline records findings; it cannot be combined with --fix, --diff or --add-noqa"
    if add_noqa and paths == ["-"]:
        return "--add-noqa edits files; it cannot read standard input"
    return None


def _baseline_choice(baseline: Optional[Baseline]):
    """For --fix and --add-noqa: the findings of a file that the baseline does not hide."""
    if baseline is None:
        return None

    def choose(filename: str, text: str, found: List[Diagnostic]) -> List[Diagnostic]:
        return baseline.not_hidden(found, text_lines(text))

    return choose


def _after_fixes(diagnostics: List[Diagnostic], edits: EditReport) -> List[Diagnostic]:
    """The run's findings with those of each fixed file replaced by what is left in it."""
    kept = [d for d in diagnostics if d.filename not in edits.fixes]
    for entry in edits.fixes.values():
        kept.extend(entry.outcome.remaining)
    kept.sort(key=lambda d: d.sort_key)
    return kept


def _report_stale(stale, baseline: Baseline, show: bool) -> None:
    if not stale:
        return
    if not show:
        entries = "baseline entry matches" if len(stale) == 1 else "baseline entries match"
        click.echo(f"session-lint: {len(stale)} {entries} no finding any more (--show-stale-baseline lists "
                   "them; --write-baseline drops them)", err=True)
        return
    for entry in stale:
        click.echo(f"session-lint: stale baseline entry: {printable(entry.path)}: {entry.code} "
                   f"(line {entry.row} when recorded): {printable(entry.message)}", err=True)


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
    is_project = settings.config_path is not None or is_project_root(settings.root)
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


def _write(text: str, output_file: Optional[Path] = None, color: bool = False) -> Optional[str]:
    """Print to stdout (or write `output_file`); a failure to write is returned as a
    problem, not raised."""
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8", errors="surrogateescape", newline="") as stream:
                stream.write(text)
        except OSError as error:
            return f"cannot write the report to {printable(str(output_file))}: {error.strerror or error}"
        return None
    if not text:
        return None
    try:
        # click drops colour codes that do not go to a terminal, unless told otherwise.
        click.echo(text, nl=False, color=color or None)
    except BrokenPipeError:
        _silence_stdout()
        return None  # the reader stopped reading (`| head`): the exit code still tells the result
    except OSError as error:  # a full disk, /dev/full, an I/O error
        _silence_stdout()
        return f"cannot write the report: {error.strerror or error}"
    return None


def _write_bytes(data: bytes) -> Optional[str]:
    """The fixed text of standard input, in its own encoding, on stdout."""
    try:
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            click.echo(data.decode("utf-8", "surrogateescape"), nl=False)
        else:
            sys.stdout.flush()
            stream.write(data)
            stream.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as error:
        _silence_stdout()
        return f"cannot write the fixed text: {error.strerror or error}"
    return None


def _say_all(text: str) -> None:
    if text:
        try:
            click.echo(text, nl=False, err=True)
        except OSError:
            pass


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
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["server"]:
        # `session-lint server`: the language server (docs/editors.md), a program of its own
        # with its own options; a directory named `server` is linted as `./server`.
        from .server import main as serve

        serve(arguments[1:], prog="session-lint server")
        return
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
