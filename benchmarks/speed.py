"""Speed benchmark: session-lint against the libcst parse floor and other linters (issue 8).

    python benchmarks/speed.py [--corpus stdlib,sqlalchemy,real] [--tools LIST] [--repeat 3]
                               [--jobs N] [--update-doc docs/performance.md] [--profile]

Run it with the interpreter that has session-lint installed (the dev venv); session-lint and
the libcst parse floor run from that interpreter. The competitors run from their own virtual
environments, which this script never creates or changes: it checks that each tool is there
and prints the commands that install a missing one, then skips it.

    python3 -m venv benchmarks/.cache/venv
    benchmarks/.cache/venv/bin/pip install fixit==2.2.1 flake8==7.5.0 flake8-bugbear==26.10.27 ruff==0.17.6
    python3 -m venv benchmarks/.cache/venv-plugin
    benchmarks/.cache/venv-plugin/bin/pip install flake8==7.5.0 flake8-bugbear==26.10.27 -e .

Two flake8 environments because flake8 runs every installed plugin whatever `--select` says:
"flake8 + bugbear" and "flake8 + bugbear + ORM" can only differ by the plugin if they are
separate installations of the same flake8 and bugbear versions.

Corpora (every tool gets the same explicit list of files, run from the corpus root):

- stdlib: the running interpreter's standard library without `test/` and site-packages,
  copied to benchmarks/.cache/speed/ (970 files / 394k lines on CPython 3.11);
- sqlalchemy: the SQLAlchemy 2.0 sdist (`pip download --no-deps --no-binary sqlalchemy`),
  lib/ + test/ + examples/;
- real: the real-world corpus of benchmarks/corpus.py, when benchmarks/.cache/corpus/ exists.

Per corpus, every selected tool runs `--repeat` times in alternating order (forward, then
backward, ...) so that slow drift (thermal, page cache, a noisy neighbour) hits all tools
alike; the table reports medians. Wall time and peak RSS come from wait4() in a small
launcher process: Linux reports the largest resident set of the tool and of every descendant
it reaped, i.e. the peak of the biggest single process (the main process or one worker). A
/proc sampler adds the peak of the sum over the whole process tree.

Tools: `session-lint-cold` runs with `--jobs N`, `session-lint-cold-1` with `--jobs 1`; each is
compared with the parse floor of as many processes (`libcst-parse-n`, `libcst-parse-1`; the
alias `parse-floors` selects all four). `--baseline-src DIR` adds `baseline-cold` and
`baseline-cold-1`: the same runs with another tree's package first on sys.path (a `git
worktree` of the commit before a change, its `src/`), for before/after ratios measured in
one run. The targets table gives the CPU-seconds ratio beside the wall-time one: on a
shared machine it moves far less.

`--profile` runs session-lint under cProfile with `--jobs 1` on each selected corpus and
prints where the time goes, then the phases of a cold run timed without a profiler (`_phases`:
imports, discovery, the project walk, reading, the index scan, the evidence gate, the first
tier, libcst's parse of what matters, the analyses and rules). `--startup RUNS` measures
`session-lint --version`, `--list-rules` and one-file runs against `python -c pass` instead
(wall, CPU and peak RSS per command; with `--baseline-src`, the baseline's too). `--one-file RUNS`
measures `session-lint FILE` inside a large project (`--one-file-tree`, copied once with a
`.git` marker; `--one-file-target`) against the same file outside any project: no cache,
a warm cache with nothing changed, and a warm cache after an edit of the file (issue 18's
"≤ 1 s" and issue 22's "≤ 1.5× outside"). `--update-doc` rewrites the generated blocks of the given
Markdown file (between `<!-- speed.py:... -->` markers), leaving the rest alone.

Not part of the test suite: it takes minutes (about 25 on 2 cores for stdlib + sqlalchemy
with `--repeat 1`) and needs the network the first time (pip download).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import platform
import pstats
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
CACHE = HERE / ".cache"
WORK = CACHE / "speed"
SDISTS = CACHE / "sdists"
REAL_CORPUS = CACHE / "corpus" / "src"
COMPETITORS_VENV = CACHE / "venv"
PLUGIN_VENV = CACHE / "venv-plugin"

SQLALCHEMY_VERSION = "2.0.58"
# PyPI never replaces a file: a different digest means a damaged or substituted download.
SQLALCHEMY_SHA256 = "2acdcec9836b7c1514a9ad426e7731669a1186d96481a2e82c50bf2aebb49061"
SQLALCHEMY_SUBTREES = ("lib", "test", "examples")

COMPETITOR_PINS = "fixit==2.2.1 flake8==7.5.0 flake8-bugbear==26.10.27 ruff==0.17.6"
PLUGIN_PINS = "flake8==7.5.0 flake8-bugbear==26.10.27"
# A rule that needs no metadata and touches only class definitions: what remains of Fixit's
# time is its own machinery (parse, visitor dispatch, process pool) over every file.
FIXIT_RULE = "fixit.rules:NoInheritFromObject"

ALL_TOOLS = ("session-lint-cold", "session-lint-cold-1", "session-lint-warm", "libcst-parse-1", "libcst-parse-n",
             "fixit", "flake8", "flake8-orm", "ruff")
# The real-world corpus is ~4x the other two: without the two slowest references the whole
# run stays near half an hour on 2 cores. Name them with --tools to include them.
REAL_DEFAULT_TOOLS = ("session-lint-cold", "session-lint-warm", "libcst-parse-n", "flake8",
                      "flake8-orm", "ruff")
ALIASES = {"session-lint": ("session-lint-cold", "session-lint-warm"),
           # -j1 against one process, -jN against N: issue 22's parse-floor targets.
           "parse-floors": ("session-lint-cold-1", "libcst-parse-1", "session-lint-cold", "libcst-parse-n"),
           "libcst-parse": ("libcst-parse-1", "libcst-parse-n"),
           "all": ALL_TOOLS}
LABELS = {
    "session-lint-cold": "session-lint, all rules, cold (--no-cache)",
    "session-lint-cold-1": "session-lint, all rules, cold (--no-cache), --jobs 1",
    "baseline-cold": "baseline tree (--baseline-src), cold (--no-cache)",
    "baseline-cold-1": "baseline tree (--baseline-src), cold (--no-cache), --jobs 1",
    "session-lint-warm": "session-lint, all rules, warm cache",
    "session-lint-fill": "session-lint, all rules, filling the cache (1 run)",
    "libcst-parse-1": "libcst.parse_module only, 1 process",
    "libcst-parse-n": "libcst.parse_module only, N processes",
    "fixit": f"Fixit 2.2.1, one rule ({FIXIT_RULE.split(':')[1]})",
    "flake8": "flake8 + flake8-bugbear",
    "flake8-orm": "flake8 + flake8-bugbear + session-lint (ORM)",
    "ruff": "ruff check --select ALL --no-cache",
}
MARK = "<!-- speed.py:{name}:{edge} -->"


# ---------------------------------------------------------------------------- corpora


@dataclass(frozen=True)
class Corpus:
    name: str
    root: Path  # every tool runs with this working directory
    files: Tuple[str, ...]  # relative to root
    lines: int
    description: str

    def paths(self) -> List[Path]:
        return [self.root / name for name in self.files]


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _mark_project_root(root: Path) -> None:
    # The corpora live in a git-ignored directory of this checkout. Tools that honour
    # .gitignore (session-lint's flake8 plugin builds its project index by walking the
    # working directory) would then see no files at all; an empty `.git` directory makes the
    # corpus its own project root, as a real checkout would be.
    (root / ".git").mkdir(parents=True, exist_ok=True)


def _corpus_from(name: str, root: Path, files: Iterable[Path], description: str) -> Corpus:
    relative: List[str] = []
    lines = 0
    for path in sorted(files):
        relative.append(path.relative_to(root).as_posix())
        # Reading every file here also puts the corpus in the page cache before any timing.
        lines += count_lines(path.read_bytes())
    return Corpus(name, root, tuple(relative), lines, description)


def stdlib_corpus() -> Corpus:
    source = Path(sysconfig.get_paths()["stdlib"])
    version = platform.python_version()
    root = WORK / f"stdlib-{platform.python_implementation().lower()}-{version}"
    done = root / ".complete"
    if not done.exists():
        if root.exists():
            shutil.rmtree(root)
        for path in sorted(source.rglob("*.py")):
            relative = path.relative_to(source)
            if relative.parts[0] in ("test", "site-packages", "dist-packages") or not path.is_file():
                continue
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        _mark_project_root(root)
        done.write_text(str(source) + "\n", encoding="utf-8")
    files = [p for p in root.rglob("*.py") if ".git" not in p.parts]
    return _corpus_from("stdlib", root, files,
                        f"standard library of CPython {version} ({source}), without test/ and site-packages")


def sqlalchemy_corpus() -> Corpus:
    archive = SDISTS / f"sqlalchemy-{SQLALCHEMY_VERSION}.tar.gz"
    if not archive.exists():
        SDISTS.mkdir(parents=True, exist_ok=True)
        # Only SQLAlchemy itself is forced to an sdist: with `--no-binary :all:` pip would also
        # build the build backend (setuptools, Cython) from source just to read metadata.
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--no-binary", "sqlalchemy", f"sqlalchemy=={SQLALCHEMY_VERSION}", "-d", str(SDISTS)]
        print(f"speed: downloading SQLAlchemy {SQLALCHEMY_VERSION}: {shlex.join(command)}", file=sys.stderr)
        subprocess.run(command, check=True)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SQLALCHEMY_SHA256:
        raise SystemExit(f"speed: {archive}: sha256 {digest}, expected {SQLALCHEMY_SHA256}")
    root = WORK / f"sqlalchemy-{SQLALCHEMY_VERSION}"
    done = root / ".complete"
    if not done.exists():
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        prefix = f"sqlalchemy-{SQLALCHEMY_VERSION}/"
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if not member.isfile() or not member.name.startswith(prefix):
                    continue
                relative = Path(member.name[len(prefix):])
                if relative.is_absolute() or ".." in relative.parts or relative.parts[0] not in SQLALCHEMY_SUBTREES:
                    continue
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = tar.extractfile(member)
                assert extracted is not None
                target.write_bytes(extracted.read())
        _mark_project_root(root)
        done.write_text(archive.name + "\n", encoding="utf-8")
    files = [p for sub in SQLALCHEMY_SUBTREES for p in (root / sub).rglob("*.py")]
    return _corpus_from("sqlalchemy", root, files,
                        f"SQLAlchemy {SQLALCHEMY_VERSION} sdist: {', '.join(s + '/' for s in SQLALCHEMY_SUBTREES)}")


def real_corpus() -> Optional[Corpus]:
    if not REAL_CORPUS.is_dir():
        return None
    targets: List[Path] = []
    try:
        # The corpus script knows which subtree of each project is linted (e.g. only the
        # examples and tests of SQLAlchemy); use the same selection when it can be imported.
        sys.path.insert(0, str(HERE))
        import corpus as corpus_script  # type: ignore[import-not-found]

        for project in corpus_script.PROJECTS:
            tree = corpus_script.tree_of(project)
            if tree.is_dir():
                targets.extend([tree / sub for sub in project.paths] if project.paths else [tree])
    except Exception as error:  # another engineer's script: never let it break this one
        print(f"speed: cannot use benchmarks/corpus.py's project list ({error}); "
              f"taking every file under {REAL_CORPUS}", file=sys.stderr)
        targets = [REAL_CORPUS]
    finally:
        if sys.path and sys.path[0] == str(HERE):
            sys.path.pop(0)
    from session_lint.discovery import collect_files
    from session_lint.settings import Settings

    # session-lint's own discovery with the corpus script's settings (default excludes such
    # as build/ and .tox/, no .gitignore: the corpus sits in a git-ignored directory).
    settings = Settings(root=REAL_CORPUS.resolve(), respect_gitignore=False)
    found = collect_files([str(t) for t in targets if t.exists()], settings).files
    files = [p.resolve() for p in found]
    return _corpus_from("real", REAL_CORPUS.resolve(), files,
                        f"real-world corpus of benchmarks/corpus.py ({REAL_CORPUS.relative_to(REPOSITORY)})")


CORPORA: Dict[str, Callable[[], Optional[Corpus]]] = {
    "stdlib": stdlib_corpus,
    "sqlalchemy": sqlalchemy_corpus,
    "real": real_corpus,
}


# ---------------------------------------------------------------------------- tools


@dataclass(frozen=True)
class Tool:
    key: str
    argv: Tuple[str, ...]  # the corpus's files are appended
    processes: str  # how many processes (or threads) it works with, for the table
    ok_exit_codes: Tuple[int, ...] = (0, 1)
    env: Tuple[Tuple[str, str], ...] = ()


def _venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _importable(python: Path, module: str) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def _flake8_plugins(flake8: Path) -> str:
    probe = subprocess.run([str(flake8), "--version"], capture_output=True, text=True)
    return probe.stdout.strip()


def build_tools(wanted: Sequence[str], jobs: int, corpus: Corpus, cache_dir: Path,
                competitors: Path, plugin_venv: Path,
                baseline_src: Optional[Path] = None) -> Tuple[List[Tool], List[str]]:
    """The runnable tools among `wanted`, and why the others cannot run."""
    tools: List[Tool] = []
    problems: List[str] = []
    me = str(Path(__file__).resolve())
    session_lint = (sys.executable, "-m", "session_lint", "--isolated", "--output-format", "concise",
                    "--exit-zero", "--jobs", str(jobs))
    competitor_python = _venv_bin(competitors, "python")
    plugin_python = _venv_bin(plugin_venv, "python")
    install_competitors = (f"python3 -m venv {competitors} && "
                           f"{_venv_bin(competitors, 'pip')} install {COMPETITOR_PINS}")
    install_plugin = (f"python3 -m venv {plugin_venv} && "
                      f"{_venv_bin(plugin_venv, 'pip')} install {PLUGIN_PINS} -e {REPOSITORY}")
    for key in wanted:
        if key == "session-lint-cold":
            tools.append(Tool(key, session_lint + ("--no-cache",), str(jobs)))
        elif key == "session-lint-cold-1":
            tools.append(Tool(key, session_lint[:-1] + ("1", "--no-cache"), "1"))
        elif key in ("baseline-cold", "baseline-cold-1"):
            if baseline_src is None:
                problems.append(f"{key}: needs --baseline-src")
                continue
            # The other tree's package first on sys.path; the rules' entry point names the
            # package, so it loads that tree's rules too.
            workers = "1" if key.endswith("-1") else str(jobs)
            tools.append(Tool(key, session_lint[:-1] + (workers, "--no-cache"), workers,
                              env=(("PYTHONPATH", str(baseline_src)),)))
        elif key == "session-lint-warm":
            tools.append(Tool(key, session_lint + ("--cache-dir", str(cache_dir)), str(jobs)))
        elif key == "libcst-parse-1":
            tools.append(Tool(key, (sys.executable, me, "_parse", "--jobs", "1"), "1"))
        elif key == "libcst-parse-n":
            tools.append(Tool(key, (sys.executable, me, "_parse", "--jobs", str(jobs)), str(jobs)))
        elif key == "fixit":
            if not _importable(competitor_python, "fixit"):
                problems.append(f"fixit: not installed; install with: {install_competitors}")
                continue
            # trailrunner's pool has os.cpu_count() workers and no option to change that.
            tools.append(Tool(key, (str(_venv_bin(competitors, "fixit")), "--rules", FIXIT_RULE, "lint"),
                              f"{os.cpu_count()} (fixed)", ok_exit_codes=(0, 1, 2, 3)))
        elif key == "flake8":
            if not _importable(competitor_python, "bugbear"):
                problems.append(f"flake8 + bugbear: not installed; install with: {install_competitors}")
                continue
            flake8 = _venv_bin(competitors, "flake8")
            if "session-lint" in _flake8_plugins(flake8):
                problems.append(f"flake8: {competitors} also has session-lint's plugin; "
                                "the reference must be flake8 + bugbear alone")
                continue
            tools.append(Tool(key, (str(flake8), "--isolated", "--jobs", str(jobs)), str(jobs)))
        elif key == "flake8-orm":
            if not (_importable(plugin_python, "bugbear") and _importable(plugin_python, "session_lint")):
                problems.append(f"flake8 + bugbear + ORM: not installed; install with: {install_plugin}")
                continue
            flake8 = _venv_bin(plugin_venv, "flake8")
            tools.append(Tool(key, (str(flake8), "--isolated", "--jobs", str(jobs)), str(jobs)))
        elif key == "ruff":
            ruff = _venv_bin(competitors, "ruff")
            if not ruff.exists():
                problems.append(f"ruff: not installed; install with: {install_competitors}")
                continue
            # rayon sizes its thread pool from RAYON_NUM_THREADS: the same N as everyone else.
            tools.append(Tool(key, (str(ruff), "check", "--isolated", "--select", "ALL", "--no-cache",
                                    "--output-format", "concise", "--exit-zero"),
                              f"{jobs} threads", env=(("RAYON_NUM_THREADS", str(jobs)),)))
        else:
            problems.append(f"unknown tool {key!r} (known: {', '.join(ALL_TOOLS)})")
    return tools, problems


def tool_versions(competitors: Path, plugin_venv: Path) -> Dict[str, str]:
    versions: Dict[str, str] = {}

    def ask(name: str, argv: Sequence[str]) -> None:
        try:
            result = subprocess.run(list(argv), capture_output=True, text=True, timeout=120)
            versions[name] = " ".join((result.stdout or result.stderr).split())
        except (OSError, subprocess.TimeoutExpired):
            pass

    ask("session-lint", [sys.executable, "-m", "session_lint", "--version"])
    ask("session-lint rules", [sys.executable, "-c",
                               "from session_lint.registry import load_rules;"
                               "print(' '.join(sorted(load_rules().rules)))"])
    ask("libcst", [sys.executable, "-c", "import libcst, importlib.metadata as m; print(m.version('libcst'))"])
    if _venv_bin(competitors, "fixit").exists():
        ask("fixit", [str(_venv_bin(competitors, "fixit")), "--version"])
    if _venv_bin(competitors, "flake8").exists():
        ask("flake8", [str(_venv_bin(competitors, "flake8")), "--version"])
    if _venv_bin(plugin_venv, "flake8").exists():
        ask("flake8 (with ORM)", [str(_venv_bin(plugin_venv, "flake8")), "--version"])
    if _venv_bin(competitors, "ruff").exists():
        ask("ruff", [str(_venv_bin(competitors, "ruff")), "--version"])
    return versions


# ---------------------------------------------------------------------------- measuring


class TreeSampler:
    """Samples the summed RSS of a process and its descendants from /proc.

    A cheap poll (a few hundred small reads every `interval`), so that the tools being
    measured lose well under 1% of a core to it. Short-lived peaks between samples are
    missed: this is a lower bound of the true peak total.
    """

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.peak_total_kb = 0
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.enabled = Path("/proc/self/stat").exists()
        if self.enabled:
            self._thread.start()

    def _snapshot(self) -> int:
        parents: Dict[int, int] = {}
        rss: Dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as stream:
                    stat = stream.read()
            except OSError:
                continue  # the process ended between listdir and open
            fields = stat[stat.rfind(b")") + 2:].split()
            pid = int(entry)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * self._page_kb
        tree = {self.root}
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        tree.discard(self.root)  # the launcher, not the tool
        return sum(rss.get(pid, 0) for pid in tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_total_kb = max(self.peak_total_kb, self._snapshot())
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()


@dataclass
class Run:
    tool: str
    corpus: str
    wall: float
    cpu: float  # user + system seconds of the whole process tree
    peak_process_mb: float
    peak_total_mb: float
    output_lines: int
    exit_code: int
    ok: bool
    load: float  # 1-minute load average when the run started: other work on the machine
    error: str = ""


# Starts the tool and reports its wall time and rusage. A separate, small process because
# Linux folds the pre-exec memory of a forked child into its peak RSS (exec_mmap records the
# old mm's high-water mark): a tool started straight from this script would never report less
# than this script's own ~45 MB. From here the floor is the launcher's ~8 MB.
LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as stream:
    cpu = usage.ru_utime + usage.ru_stime
    stream.write(f"{wall} {cpu} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def tool_environment(tool: Tool) -> Dict[str, str]:
    env = dict(os.environ)
    # Every Python tool runs with its bytecode cached, as it would be for a user; the cache
    # goes to a separate tree so that nothing is written next to the checkout's sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    env.update(dict(tool.env))
    return env


def measure(tool: Tool, corpus: Corpus) -> Run:
    env = tool_environment(tool)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    argv = list(tool.argv) + list(corpus.files)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "rusage"
        launcher = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, str(report), *argv],
                                    cwd=corpus.root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeSampler(launcher.pid)
        launcher.wait()
        sampler.stop()
        out.seek(0)
        lines = sum(1 for _ in out)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        try:
            wall_text, cpu_text, maxrss_text, code_text = report.read_text(encoding="utf-8").split()
        except (OSError, ValueError):
            return Run(tool.key, corpus.name, 0.0, 0.0, 0.0, 0.0, lines, launcher.returncode, False, load,
                       f"the launcher failed: {tail}")
    code = int(code_text)
    ok = code in tool.ok_exit_codes
    # wait4's ru_maxrss covers the tool and every descendant it reaped: the largest single
    # process of the tree (the main process or one worker), not their sum.
    return Run(tool.key, corpus.name, float(wall_text), float(cpu_text), int(maxrss_text) / 1024,
               sampler.peak_total_kb / 1024, lines, code, ok, load, "" if ok else tail)


# ---------------------------------------------------------------------------- the parse floor


def _parse_one(path: str) -> int:
    import libcst

    try:
        libcst.parse_module(Path(path).read_bytes())
    except Exception:  # a syntax error costs what it costs; the floor only counts time
        return 0
    return 1


def parse_floor_main(argv: Sequence[str]) -> int:
    """`speed.py _parse --jobs N FILES...`: parse every file with libcst and nothing else,
    with the same pool shape as session-lint's runner (fork, small chunks)."""
    parser = argparse.ArgumentParser(prog="speed.py _parse")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("files", nargs="*")
    options = parser.parse_args(argv)
    import libcst  # noqa: F401 - imported before forking, as session-lint does

    if options.jobs <= 1:
        parsed = sum(_parse_one(path) for path in options.files)
    else:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        chunk = max(1, min(16, len(options.files) // (options.jobs * 8) or 1))
        with context.Pool(options.jobs) as pool:
            parsed = sum(pool.imap_unordered(_parse_one, options.files, chunksize=chunk))
    print(f"parsed {parsed} of {len(options.files)} files")
    return 0


# ---------------------------------------------------------------------------- profiling


def profile_main(argv: Sequence[str]) -> int:
    """`speed.py _profile OUT.prof -- SESSION-LINT ARGS`: session-lint's CLI under cProfile.

    lint_source parses and analyses each file in a fresh thread (for its large stack), and
    cProfile only sees the thread it was enabled in; so the per-file work is profiled by a
    second profiler wrapped around engine._lint_source, and the two are merged.
    """
    import cProfile

    out = Path(argv[0])
    arguments = list(argv[2:]) if len(argv) > 1 and argv[1] == "--" else list(argv[1:])
    from session_lint import cli, engine

    worker = cProfile.Profile()
    original = engine._lint_source
    linted = []  # pstats refuses a profile with no calls: where the gate stops every file

    def profiled(*args, **kwargs):  # type: ignore[no-untyped-def]
        linted.append(True)
        return worker.runcall(original, *args, **kwargs)

    engine._lint_source = profiled  # type: ignore[assignment]
    main = cProfile.Profile()
    start = time.perf_counter()
    main.enable()
    try:
        cli.main(arguments)
    except SystemExit:
        pass
    finally:
        main.disable()
    wall = time.perf_counter() - start
    main.dump_stats(str(out) + ".main")
    merged = pstats.Stats(main)
    Path(str(out) + ".files").unlink(missing_ok=True)  # an earlier run's
    if linted:
        worker.dump_stats(str(out) + ".files")
        merged.add(worker)
    merged.dump_stats(str(out))
    Path(str(out) + ".wall").write_text(f"{wall}\n", encoding="utf-8")
    return 0


def phases_main(argv: Sequence[str]) -> int:
    """`speed.py _phases OUT.json FILES...`: the phases of a cold run, timed without a profiler.

    cProfile inflates pure-Python work (the semantic model, libcst's position codegen) far
    more than libcst's native parser, so its percentages overstate the Python side; these
    plain perf_counter timings, one process, give the real proportions. The steps are those
    of `session-lint --no-cache -j1 FILES` (the project walk for the index included), each
    timed on its own; the analyses and rules are what lint_source costs beyond its own gate,
    first tier and parse. Runs against any version of session-lint: phases a version does
    not have are left out.
    """
    timings: Dict[str, float] = {}

    def timed(name: str, function: Callable[[], object]) -> object:
        tick = time.perf_counter()
        value = function()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - tick
        return value

    timed("imports (the CLI, the rule plugins: libcst)", lambda: __import__("session_lint.cli"))
    from session_lint.registry import load_rules

    ruleset = timed("imports (the CLI, the rule plugins: libcst)", load_rules)
    import libcst

    from session_lint import engine
    from session_lint.discovery import collect_files, project_files
    from session_lint.project_index import ProjectIndex
    from session_lint.settings import Settings

    try:
        from session_lint.frontend import reduced_source
    except ImportError:  # a version before the two-tier front end
        reduced_source = None  # type: ignore[assignment]

    out, names = Path(argv[0]), list(argv[1:])
    settings = Settings(root=Path.cwd())
    rules = [ruleset.rules[code] for code in sorted(settings.enabled_codes(ruleset.rules, ruleset.opt_in_codes()))]
    instances = [rule() for rule in rules]
    paths = timed("discovery of the files named", lambda: collect_files(names, settings).files)
    extra = timed("project walk for the index", lambda: project_files(settings, paths, names))
    sources = timed("reading the files", lambda: {str(path): engine.read_source(path) for path in paths})
    linted = {str(path) for path in paths}
    index = timed("project index scan (regex)", lambda: ProjectIndex.scan(
        [*paths, *(p for p in extra if str(p) not in linted)],
        read=lambda p: sources[str(p)] if str(p) in sources else engine.read_source(p)))
    # The summaries, and (since round 6) the closure that decides which outside modules are
    # relevant: what the gate's first look at the evidence names builds.
    timed("project index summaries (closure, evidence names)", index.evidence_names)
    timings["modules with facts"] = float(len(getattr(index, "_facts", {})))
    factory_names = getattr(engine, "_factory_names", lambda index: ())(index)
    passed = reduced_files = 0
    parse_what_matters = parse_whole = 0.0
    for name, data in sources.items():
        text = data.decode("utf-8", "replace")
        may = timed("evidence gate (per file)", lambda: engine.may_match(text, rules, index))
        timed("lint_source, all rules (incl. its gate, first tier and parse)",
              lambda: engine.lint_source(data, name, rules, settings, index, instances=instances))
        if not may:
            continue
        passed += 1
        reduced = None
        if reduced_source is not None and getattr(engine, "SECOND_TIER", False):
            reduced = timed("first tier: ast.parse + choosing the statements", lambda: reduced_source(text, factory_names))
            reduced_files += reduced is not None
        try:
            tick = time.perf_counter()
            libcst.parse_module(text)
            parse_whole += time.perf_counter() - tick
            tick = time.perf_counter()
            libcst.parse_module(reduced if reduced is not None else text)
            parse_what_matters += time.perf_counter() - tick
        except Exception:
            continue
    timings["libcst.parse_module of what matters"] = parse_what_matters
    timings["(for comparison) libcst.parse_module of the whole files"] = parse_whole
    timings["files"] = float(len(names))
    timings["files past the prefilter"] = float(passed)
    timings["files reduced by the first tier"] = float(reduced_files)
    out.write_text(json.dumps(timings), encoding="utf-8")
    return 0


_RUN_PHASES = ("imports (the CLI, the rule plugins: libcst)", "discovery of the files named",
               "project walk for the index", "reading the files", "project index scan (regex)",
               "project index summaries (closure, evidence names)",
               "lint_source, all rules (incl. its gate, first tier and parse)")
_FILE_PHASES = ("evidence gate (per file)", "first tier: ast.parse + choosing the statements",
                "libcst.parse_module of what matters")


def summarise_phases(path: Path) -> str:
    totals = json.loads(path.read_text(encoding="utf-8"))
    files, passed = int(totals.pop("files")), int(totals.pop("files past the prefilter"))
    reduced = int(totals.pop("files reduced by the first tier", 0))
    relevant = totals.pop("modules with facts", None)
    lint = totals[_RUN_PHASES[-1]]
    run = sum(totals.get(name, 0.0) for name in _RUN_PHASES)
    lines = [f"Without a profiler, one process: {passed} of {files} files pass the evidence gate, "
             f"{reduced} of them reduced by the first tier"
             + (f"; the project index has the facts of {int(relevant)} modules." if relevant is not None else "."), "",
             "| phase | s | share of the run |", "|---|---:|---:|"]
    for name in _RUN_PHASES:
        if name in totals:
            lines.append(f"| {name} | {totals[name]:.2f} | {100 * totals[name] / run:.0f}% |")
    for name in _FILE_PHASES:
        if name in totals:
            lines.append(f"| &nbsp;&nbsp;{name} | {totals[name]:.2f} | {100 * totals[name] / run:.0f}% |")
    rest = max(0.0, lint - sum(totals.get(name, 0.0) for name in _FILE_PHASES))
    lines.append(f"| &nbsp;&nbsp;analyses and rules (the rest of lint_source) | {rest:.2f} | {100 * rest / run:.0f}% |")
    lines.append(f"| whole run (sum of the above, interpreter start not included) | {run:.2f} | 100% |")
    whole = totals.get("(for comparison) libcst.parse_module of the whole files")
    if whole is not None:
        lines.append(f"| (for comparison: libcst.parse_module of the whole files that pass the gate) | {whole:.2f} | "
                     f"{100 * whole / run:.0f}% |")
    return "\n".join(lines) + "\n"


# Groups for the summary: a function's cumulative time, as a share of the run's wall time.
PROFILE_GROUPS: Tuple[Tuple[str, str, str], ...] = (
    ("whole run (CLI main, profiled)", "session_lint/cli.py", "main"),
    ("read files", "session_lint/runner.py", "read_files"),
    ("project index scan (regex)", "session_lint/project_index.py", "scan"),
    ("cache keys (sha256)", "session_lint/cache.py", "file_key"),
    ("per-file work (_lint_source)", "session_lint/engine.py", "_lint_source"),
    ("  decode_source", "session_lint/engine.py", "decode_source"),
    ("  token prefilter (_TokenCheck.passes)", "session_lint/engine.py", "passes"),
    ("  nesting guard", "session_lint/engine.py", "_nesting_problem"),
    ("  libcst.parse_module", "libcst/_parser/entrypoints.py", "parse_module"),
    ("  parse_noqa", "session_lint/noqa.py", "parse_noqa"),
    ("  rule checks (incl. the analyses they build)", "session_lint/rules/", "check"),
    ("    positions (libcst PositionProvider, first asked by a rule or a finding)", "session_lint/semantic/positions.py", "_all"),
    ("    TreeIndex walk", "session_lint/semantic/tree.py", "__init__"),
    ("    scope analysis", "session_lint/semantic/scopes.py", "__init__"),
    ("  findings -> diagnostics", "session_lint/engine.py", "_to_diagnostic"),
    ("output formatting", "session_lint/formatters.py", "format_diagnostics"),
)


def _cumulative(stats: pstats.Stats, file_part: str, function: str) -> float:
    total = 0.0
    for (filename, _, name), (_, _, _, cumulative, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if name == function and file_part in filename.replace(os.sep, "/"):
            # A recursive function's cumulative time already includes its inner calls; so does
            # a function called from another matching one. Count outermost entries only.
            if not any(caller[2] == function and file_part in caller[0].replace(os.sep, "/") for caller in callers):
                total += cumulative
    return total


def summarise_profile(path: Path, corpus: Corpus, top: int = 25) -> str:
    wall = float(Path(str(path) + ".wall").read_text(encoding="utf-8"))
    merged = pstats.Stats(str(path))
    linted = Path(str(path) + ".files")
    files = pstats.Stats(str(linted)) if linted.exists() else None  # None: no file was parsed
    lines = [f"cProfile, `session-lint --jobs 1 --no-cache`, corpus {corpus.name} "
             f"({len(corpus.files)} files, {corpus.lines} lines): {wall:.1f} s under the profiler.", ""]
    lines += ["| part | cumulative s | % of run |", "|---|---:|---:|"]
    # Per rule: a shared analysis is charged to the first rule that asks for it (rules run in
    # code order), so a rule's number is what it costs given the rules before it.
    per_rule: Dict[str, float] = {}
    for (filename, _, name), (_, _, _, cumulative, _) in (files.stats.items() if files else ()):  # type: ignore[attr-defined]
        module = filename.replace(os.sep, "/")
        if name == "check" and "session_lint/rules/" in module:
            module = module.rsplit("/", 1)[1]
            per_rule[module] = per_rule.get(module, 0.0) + cumulative
    for label, file_part, function in PROFILE_GROUPS:
        stats = files if label.startswith("  ") or label.startswith("per-file") else merged
        seconds = _cumulative(stats, file_part, function) if stats is not None else 0.0
        lines.append(f"| {label} | {seconds:.1f} | {100 * seconds / wall:.0f}% |")
        if function == "check":
            for module, cost in sorted(per_rule.items(), key=lambda item: item[1], reverse=True):
                lines.append(f"| &nbsp;&nbsp;&nbsp;&nbsp;rule module `{module}` | {cost:.1f} | "
                             f"{100 * cost / wall:.0f}% |")
    what = ("per-file work (the main thread only waits for it)" if files is not None
            else "the whole run (the gate let no file through to be parsed)")
    lines += ["", f"Top {top} functions by own time, {what}:", "",
              "| own s | % of run | calls | cumulative s | function |", "|---:|---:|---:|---:|---|"]
    rows = sorted((files or merged).stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    for (filename, line, name), (_, calls, own, cumulative, _) in rows[:top]:
        where = _short(filename)
        lines.append(f"| {own:.2f} | {100 * own / wall:.1f}% | {calls} | {cumulative:.2f} | "
                     f"`{name}` ({where}:{line}) |")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    text = filename.replace(os.sep, "/")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in text:
            return text.split(marker, 1)[1]
    return text


def run_profile(corpus: Corpus) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / f"profile-{corpus.name}.prof"
    command = [sys.executable, str(Path(__file__).resolve()), "_profile", str(out), "--",
               "--isolated", "--no-cache", "--jobs", "1", "--exit-zero", "--output-format", "concise",
               *corpus.files]
    print(f"speed: profiling session-lint on {corpus.name} (--jobs 1)...", file=sys.stderr)
    subprocess.run(command, cwd=corpus.root, stdout=subprocess.DEVNULL, check=True)
    summary = summarise_profile(out, corpus)
    print(f"speed: profile data in {out} (python -m pstats {out})", file=sys.stderr)
    print(f"speed: timing the phases of {corpus.name} without a profiler...", file=sys.stderr)
    phases = WORK / f"phases-{corpus.name}.json"
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "_phases", str(phases), *corpus.files],
                   cwd=corpus.root, check=True, env=tool_environment(Tool("phases", (), "1")))
    return summary + "\n" + summarise_phases(phases)


# ---------------------------------------------------------------------------- start-up


STARTUP_PLAIN = "import os\n\n\ndef join(*parts):\n    return os.sep.join(parts)\n"
STARTUP_SQLALCHEMY = ("from sqlalchemy.orm import Session\n\n\ndef create(engine, user):\n"
                      "    with Session(engine) as session:\n        session.add(user)\n        session.commit()\n")


def startup_table(repeat: int, baseline_src: Optional[Path] = None) -> str:
    """`python -c pass` against `session-lint --version`, `--list-rules` and one-file runs,
    each `repeat` times in alternating order, in a scratch directory outside any project:
    medians of the wall and CPU time and the peak RSS of the whole process (interpreter start
    included), measured by the launcher as for the corpora. With `baseline_src`, the same
    commands of that tree too."""
    session_lint = (sys.executable, "-m", "session_lint")
    variants = [("", ())] + ([(" (baseline)", (("PYTHONPATH", str(baseline_src)),))] if baseline_src else [])
    commands: List[Tuple[str, Tool]] = [("python -c pass (bare interpreter start)",
                                         Tool("bare", (sys.executable, "-c", "pass"), "1"))]
    for suffix, env in variants:
        commands += [
            (f"session-lint --version{suffix}", Tool("version", session_lint + ("--version",), "1", env=env)),
            (f"session-lint --list-rules{suffix}", Tool("list", session_lint + ("--list-rules",), "1", env=env)),
            (f"session-lint one.py, no SQLAlchemy in it{suffix}",
             Tool("plain", session_lint + ("--isolated", "--no-cache", "plain.py"), "1", env=env)),
            (f"session-lint one.py, with SQLAlchemy{suffix}",
             Tool("orm", session_lint + ("--isolated", "--no-cache", "orm.py"), "1", env=env)),
        ]
    runs: Dict[str, List[Run]] = {label: [] for label, _ in commands}
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "plain.py").write_text(STARTUP_PLAIN, encoding="utf-8")
        Path(scratch, "orm.py").write_text(STARTUP_SQLALCHEMY, encoding="utf-8")
        here = Corpus("startup", Path(scratch), (), 0, "")
        for _, tool in commands:  # untimed: bytecode compiled, files in the page cache
            measure(tool, here)
        for repetition in range(repeat):
            for label, tool in (commands if repetition % 2 == 0 else list(reversed(commands))):
                runs[label].append(measure(tool, here))
    bare = statistics.median(run.wall for run in runs[commands[0][0]])
    bare_cpu = statistics.median(run.cpu for run in runs[commands[0][0]])
    loads = [run.load for label in runs for run in runs[label]]
    lines = [f"Start-up, {repeat} runs each in alternating order, medians (1-minute load average "
             f"{min(loads):.2f}–{max(loads):.2f}):", "",
             "| command | wall s | over bare start, wall s | CPU s | over bare start, CPU s | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, _ in commands:
        wall = statistics.median(run.wall for run in runs[label])
        cpu = statistics.median(run.cpu for run in runs[label])
        rss = max(run.peak_process_mb for run in runs[label])
        lines.append(f"| {label} | {wall:.3f} | {wall - bare:+.3f} | {cpu:.3f} | {cpu - bare_cpu:+.3f} | {rss:.0f} |")
    lines += ["", "| target | measured | met? |", "|---|---:|---|"]
    for label in ("session-lint --version", "session-lint one.py, no SQLAlchemy in it"):
        over = statistics.median(run.wall for run in runs[label]) - bare
        lines.append(f"| `{label}` ≤ 0.1 s over bare interpreter start | {over:+.3f} s | "
                     f"{'met' if over <= 0.1 else '**missed**'} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- one file in a tree

ONE_FILE_TREE = REAL_CORPUS
ONE_FILE_TARGET = "apache-superset-6.1.0/superset/models/core.py"


def _one_file_tree(source: Path) -> Path:
    """A copy of the `.py` files of `source` (once), marked as a project root: the large
    tree a one-file run is made in."""
    root = WORK / f"tree-{source.name}-{hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:8]}"
    done = root / ".complete"
    if not done.exists():
        if root.exists():
            shutil.rmtree(root)
        for path in sorted(source.rglob("*.py")):
            if not path.is_file():
                continue
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            stamp = time.time() - 3600  # not within the cache's racy window
            os.utime(target, (stamp, stamp))
        _mark_project_root(root)
        done.write_text(str(source) + "\n", encoding="utf-8")
    return root


def one_file_table(repeat: int, source: Path, target: str, baseline_src: Optional[Path] = None) -> str:
    """`session-lint FILE` for one file of a large project (issue 18: ≤ 1 s with a warm
    project cache; issue 22: ≤ 1.5× the same file outside any project), outside any project
    and inside the tree: with no cache, with a warm cache and nothing changed, and with a
    warm cache after an edit of the file (a line inserted at its top before each run, which
    moves every line the index's facts record, in copies of the file and of the tree kept
    for these runs). Medians of `repeat` runs, alternating."""
    tree = _one_file_tree(source)
    files = [p for p in tree.rglob("*.py") if ".git" not in p.parts]
    if not (tree / target).is_file():
        raise SystemExit(f"speed: {tree / target} is not in the tree")
    text = (tree / target).read_bytes()
    session_lint = (sys.executable, "-m", "session_lint", "--isolated", "--output-format", "concise",
                    "--exit-zero")
    variants = [("", ())] + ([(" (baseline)", (("PYTHONPATH", str(baseline_src)),))] if baseline_src else [])
    labels = {"out-cold": "outside a project, no cache", "out": "outside a project, warm cache, nothing changed",
              "out-edited": "outside a project, warm cache, the file edited before each run",
              "in-cold": "inside the tree, no cache", "in": "inside the tree, warm cache, nothing changed",
              "in-edited": "inside the tree, warm cache, the file edited before each run"}
    reference_of = {"out-cold": "out-cold", "in-cold": "out-cold", "out": "out", "in": "out",
                    "out-edited": "out-edited", "in-edited": "out-edited"}
    rows: List[Tuple[str, str, List[Run]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        stamp = time.time() - 3600
        outside = Path(scratch) / "outside"
        outside_edited = Path(scratch) / "outside-edited"
        for directory in (outside, outside_edited):
            directory.mkdir()
            (directory / Path(target).name).write_bytes(text)
            os.utime(directory / Path(target).name, (stamp, stamp))
        edited_tree = Path(scratch) / "tree"
        shutil.copytree(tree, edited_tree, copy_function=shutil.copy2)  # mtimes kept: not racy
        for suffix, env in variants:
            caches = Path(scratch) / f"caches{len(rows)}"
            user_cache = (("XDG_CACHE_HOME", str(caches / "user")),) + env
            corpora = {"out": Corpus("outside", outside, (Path(target).name,), 0, ""),
                       "out-edited": Corpus("outside", outside_edited, (Path(target).name,), 0, ""),
                       "in": Corpus("inside", tree, (target,), 0, ""),
                       "in-edited": Corpus("inside", edited_tree, (target,), 0, "")}
            corpora["out-cold"], corpora["in-cold"] = corpora["out"], corpora["in"]
            tools = {key: Tool(key, session_lint + (("--no-cache",) if key.endswith("cold") else
                                                    ("--cache-dir", str(caches / key))), "1", env=user_cache)
                     for key in labels}
            edited_file = {"out-edited": outside_edited / Path(target).name, "in-edited": edited_tree / target}
            for path in edited_file.values():
                # As it was: the edits of an earlier variant (same line count as this
                # variant's) must not be the state this variant's caches are filled in.
                path.write_bytes(text)
                os.utime(path, (stamp, stamp))
            for key in ("out", "out-edited", "in", "in-edited"):  # fill the caches
                measure(tools[key], corpora[key])
            found: Dict[str, List[Run]] = {key: [] for key in labels}
            for repetition in range(repeat):
                order = list(labels) if repetition % 2 == 0 else list(reversed(labels))
                for key in order:
                    if key in edited_file:  # a line above everything: every line the facts record moves
                        edited_file[key].write_bytes(f"# edit {suffix} {repetition}\n".encode() + text)
                    found[key].append(measure(tools[key], corpora[key]))
            rows += [(key, labels[key] + suffix, found[key]) for key in labels]
    loads = [run.load for _, _, runs in rows for run in runs]
    lines = [f"`session-lint {target}` in a tree of {len(files):,} files ({source}), {repeat} runs each in "
             f"alternating order, medians (1-minute load average {min(loads):.2f}–{max(loads):.2f}):", "",
             "| run | wall s | CPU s | peak RSS MB | ÷ the same run outside a project (wall) |",
             "|---|---:|---:|---:|---:|"]
    medians = {label: statistics.median(run.wall for run in runs) for _, label, runs in rows}
    for key, label, runs in rows:
        suffix = " (baseline)" if label.endswith(" (baseline)") else ""
        reference = medians[labels[reference_of[key]] + suffix]
        cpu = statistics.median(run.cpu for run in runs)
        rss = max(run.peak_process_mb for run in runs)
        bad = [run.error for run in runs if not run.ok]
        lines.append(f"| {label} | {medians[label]:.3f} | {cpu:.3f} | {rss:.0f} | "
                     f"{medians[label] / reference:.2f}× |" + (f" failed: {bad[0][:200]}" if bad else ""))
    warm_in, edited_in = medians[labels["in"]], medians[labels["in-edited"]]
    warm_ratio, edited_ratio = warm_in / medians[labels["out"]], edited_in / medians[labels["out-edited"]]
    lines += ["", "| target | measured | met? |", "|---|---:|---|",
              f"| one file inside the project, warm project cache, ≤ 1 s (issue 18) | {warm_in:.2f} s unchanged, "
              f"{edited_in:.2f} s edited | {'met' if max(warm_in, edited_in) <= 1 else '**missed**'} |",
              f"| inside a large tree ≤ 1.5× outside a project (issue 22), warm | {warm_ratio:.2f}× unchanged, "
              f"{edited_ratio:.2f}× edited | {'met' if max(warm_ratio, edited_ratio) <= 1.5 else '**missed**'} |"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- report


@dataclass
class Row:
    corpus: str
    tool: str
    processes: str
    runs: List[float] = field(default_factory=list)
    cpu: List[float] = field(default_factory=list)
    peak_process_mb: List[float] = field(default_factory=list)
    peak_total_mb: List[float] = field(default_factory=list)
    output_lines: List[int] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)

    @property
    def median(self) -> Optional[float]:
        return statistics.median(self.runs) if self.runs else None


def _mb(values: Sequence[float]) -> str:
    return f"{max(values):.0f}" if values else "–"


def _ratio(value: Optional[float], reference: Optional[float]) -> Optional[float]:
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


def _fmt_ratio(value: Optional[float]) -> str:
    return f"{value:.2f}×" if value is not None else "–"


def _floor_of(key: str) -> str:
    """The parse floor a tool is compared with: one process for a one-process run."""
    return "libcst-parse-1" if key.endswith("-1") else "libcst-parse-n"


def results_table(corpora: Sequence[Corpus], rows: Dict[Tuple[str, str], Row]) -> str:
    lines = ["| corpus | tool | procs | wall median s (runs) | lines/s | CPU s | peak RSS, largest "
             "process MB | peak RSS, all processes MB (sampled) | output lines | ÷ parse floor (N procs) "
             "| ÷ flake8+bugbear | ÷ Fixit |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for corpus in corpora:
        def median(key: str) -> Optional[float]:
            row = rows.get((corpus.name, key))
            return row.median if row else None

        for key in ("session-lint-cold", "session-lint-cold-1", "baseline-cold", "baseline-cold-1",
                    "session-lint-fill", "session-lint-warm", "libcst-parse-1",
                    "libcst-parse-n", "fixit", "flake8", "flake8-orm", "ruff"):
            row = rows.get((corpus.name, key))
            if row is None:
                continue
            value = row.median
            runs = ", ".join(f"{r:.1f}" for r in row.runs)
            speed = f"{corpus.lines / value:,.0f}" if value else "–"
            failed = f" ⚠ {len(row.failures)} failed" if row.failures else ""
            lines.append(
                f"| {corpus.name} | {LABELS[key]}{failed} | {row.processes} | "
                f"{value:.2f} ({runs}) | {speed} | {statistics.median(row.cpu):.1f} | {_mb(row.peak_process_mb)} | {_mb(row.peak_total_mb)} | "
                f"{max(row.output_lines) if row.output_lines else '–'} | "
                f"{_fmt_ratio(_ratio(value, median(_floor_of(key))))} | "
                f"{_fmt_ratio(_ratio(value, median('flake8')))} | {_fmt_ratio(_ratio(value, median('fixit')))} |"
                if value is not None else f"| {corpus.name} | {LABELS[key]}{failed} | {row.processes} | – |"
                " – | – | – | – | – | – | – | – |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Target:
    text: str
    corpus: str
    tool: str
    reference: str  # a tool key, or "" for an absolute limit
    limit: float


# Issue 22's targets (round 2), with issue 8's that still hold beside them.
TARGETS: Tuple[Target, ...] = (
    Target("stdlib, cold ≤ 0.10× Fixit with one rule", "stdlib", "session-lint-cold", "fixit", 0.10),
    Target("stdlib, cold ≤ 0.5× flake8 + bugbear", "stdlib", "session-lint-cold", "flake8", 0.5),
    Target("stdlib, cold ≤ 0.5× ruff --select ALL --no-cache", "stdlib", "session-lint-cold", "ruff", 0.5),
    Target("sqlalchemy, cold ≤ 1.0× libcst parse only (same N processes)", "sqlalchemy",
           "session-lint-cold", "libcst-parse-n", 1.0),
    Target("sqlalchemy, cold at --jobs 1 ≤ 1.0× libcst parse only in 1 process", "sqlalchemy",
           "session-lint-cold-1", "libcst-parse-1", 1.0),
    Target("stdlib, warm cache ≤ 0.05× cold", "stdlib", "session-lint-warm", "session-lint-cold", 0.05),
    Target("sqlalchemy, warm cache ≤ 0.05× cold", "sqlalchemy", "session-lint-warm", "session-lint-cold", 0.05),
    Target("real, warm cache ≤ 0.05× cold", "real", "session-lint-warm", "session-lint-cold", 0.05),
    Target("stdlib, flake8 + bugbear + ORM ≤ 1.1× flake8 + bugbear", "stdlib", "flake8-orm", "flake8", 1.1),
    Target("peak RSS per process ≤ 300 MB (stdlib, cold)", "stdlib", "session-lint-cold", "", 300),
    Target("peak RSS per process ≤ 300 MB (sqlalchemy, cold)", "sqlalchemy", "session-lint-cold", "", 300),
    Target("peak RSS per process ≤ 300 MB (sqlalchemy, filling the cache)", "sqlalchemy", "session-lint-fill", "", 300),
    Target("peak RSS per process ≤ 300 MB (real, cold)", "real", "session-lint-cold", "", 300),
)


def targets_table(rows: Dict[Tuple[str, str], Row]) -> str:
    # Wall time decides; the CPU-seconds ratio (user + system of each process tree) is shown
    # beside it because it moves far less when other work shares the machine.
    lines = ["| target | measured (wall) | CPU-seconds ratio | met? |", "|---|---:|---:|---|"]
    for target in TARGETS:
        row = rows.get((target.corpus, target.tool))
        if row is None or row.median is None:
            continue
        cpu = ""
        if target.reference:
            reference = rows.get((target.corpus, target.reference))
            value = _ratio(row.median, reference.median if reference else None)
            if value is None or reference is None:
                continue
            shown = f"{value:.3f}×"
            cpu_ratio = _ratio(statistics.median(row.cpu), statistics.median(reference.cpu) if reference.cpu else None)
            cpu = f"{cpu_ratio:.3f}×" if cpu_ratio is not None else "–"
        else:
            value = max(row.peak_process_mb)
            shown = f"{value:.0f} MB"
        lines.append(f"| {target.text} | {shown} | {cpu} | {'met' if value <= target.limit else '**missed**'} |")
    return "\n".join(lines) + "\n"


def machine_description() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    return (f"{model}, {os.cpu_count()} logical CPUs ({usable} usable), {memory} RAM; "
            f"{platform.system()} {platform.release()}; "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


def render(corpora: Sequence[Corpus], rows: Dict[Tuple[str, str], Row], command: str, jobs: int,
           versions: Dict[str, str], repeat: int, loads: Sequence[float]) -> str:
    out = io.StringIO()
    out.write(f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on: {machine_description()}.\n\n")
    out.write(f"```\n{command}\n```\n\n")
    out.write(f"N = {jobs} processes; {repeat} run(s) per tool and corpus in alternating order; "
              "medians.")
    if loads:
        # Anything else running on the machine shows here; the wall times are only as good as it is quiet.
        out.write(f" 1-minute load average at the start of the runs: min {min(loads):.2f}, "
                  f"median {statistics.median(loads):.2f}, max {max(loads):.2f}.")
    out.write("\n\n")
    for corpus in corpora:
        out.write(f"- **{corpus.name}**: {corpus.description}; {len(corpus.files)} files, "
                  f"{corpus.lines:,} lines.\n")
    out.write("\nVersions:\n\n")
    for name, version in versions.items():
        out.write(f"- {name}: `{version}`\n")
    out.write("\n" + results_table(corpora, rows) + "\nTargets (ratios of medians from this run):\n\n")
    out.write(targets_table(rows))
    return out.getvalue()


def update_doc(path: Path, name: str, text: str) -> None:
    begin, end = MARK.format(name=name, edge="begin"), MARK.format(name=name, edge="end")
    block = f"{begin}\n{text.rstrip()}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip() + ("\n\n" if current else "") + block + "\n"
    path.write_text(updated, encoding="utf-8")


# ---------------------------------------------------------------------------- main


def _split(values: Sequence[str]) -> List[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _expand_tools(names: Sequence[str]) -> List[str]:
    expanded: List[str] = []
    for name in names:
        for key in ALIASES.get(name, (name,)):
            if key not in expanded:
                expanded.append(key)
    return expanded


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["_parse"]:
        return parse_floor_main(arguments[1:])
    if arguments[:1] == ["_profile"]:
        return profile_main(arguments[1:])
    if arguments[:1] == ["_phases"]:
        return phases_main(arguments[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", default=[],
                        help="stdlib, sqlalchemy, real (comma-separated or repeated; default: all present)")
    parser.add_argument("--tools", action="append", default=[],
                        help=f"subset of {', '.join(ALL_TOOLS)}; aliases: {', '.join(ALIASES)} "
                             "(default: all; on the real corpus without fixit and libcst-parse-1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and corpus (default 3)")
    parser.add_argument("--jobs", type=int, default=None, help="processes for every tool (default: usable CPUs)")
    parser.add_argument("--competitors-venv", type=Path, default=COMPETITORS_VENV)
    parser.add_argument("--plugin-venv", type=Path, default=PLUGIN_VENV)
    parser.add_argument("--baseline-src", type=Path, default=None, metavar="DIR",
                        help="another tree's src/ (e.g. `git worktree add /tmp/base HEAD`, then /tmp/base/src): "
                             "the tools baseline-cold and baseline-cold-1 run session-lint from it, for "
                             "before/after ratios measured in the same run")
    parser.add_argument("--max-files", type=int, default=None,
                        help="use only the first N files of each corpus (a smoke test of this script)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile session-lint (--jobs 1, cProfile) on each corpus")
    parser.add_argument("--profile-only", action="store_true", help="profile, run no benchmark")
    parser.add_argument("--update-doc", type=Path, default=None, metavar="MARKDOWN",
                        help="write the results into the generated blocks of this file")
    parser.add_argument("--json", type=Path, default=None, help="also write every run as JSON here")
    parser.add_argument("--startup", type=int, default=0, metavar="RUNS",
                        help="measure start-up instead (--version and one-file runs against `python -c pass`), "
                             "RUNS times each")
    parser.add_argument("--one-file", type=int, default=0, metavar="RUNS",
                        help="measure one-file runs inside a large tree and outside any project instead, "
                             "RUNS times each")
    parser.add_argument("--one-file-tree", type=Path, default=ONE_FILE_TREE,
                        help=f"the tree whose .py files are copied for --one-file (default {ONE_FILE_TREE})")
    parser.add_argument("--one-file-target", default=ONE_FILE_TARGET,
                        help=f"the file linted, relative to the tree (default {ONE_FILE_TARGET})")
    options = parser.parse_args(arguments)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        import session_lint  # noqa: F401
        import libcst  # noqa: F401
    except ImportError as error:
        print(f"speed: run this script with the interpreter that has session-lint installed "
              f"(python -m pip install -e .): {error}", file=sys.stderr)
        return 2
    if options.startup:
        text = startup_table(options.startup, options.baseline_src.resolve() if options.baseline_src else None)
        print(text)
        if options.update_doc:
            update_doc(options.update_doc, "startup", f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on: "
                                                      f"{machine_description()}.\n\n{text}")
        return 0
    if options.one_file:
        text = one_file_table(options.one_file, options.one_file_tree, options.one_file_target,
                              options.baseline_src.resolve() if options.baseline_src else None)
        print(text)
        if options.update_doc:
            update_doc(options.update_doc, "one-file", f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on: "
                                                       f"{machine_description()}.\n\n{text}")
        return 0
    try:
        jobs = options.jobs or len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not Linux
        jobs = options.jobs or os.cpu_count() or 1

    names = _split(options.corpus) or ["stdlib", "sqlalchemy", "real"]
    corpora: List[Corpus] = []
    for name in names:
        if name not in CORPORA:
            parser.error(f"unknown corpus {name!r} (known: {', '.join(CORPORA)})")
        corpus = CORPORA[name]()
        if corpus is None:
            print(f"speed: corpus {name} is not present, skipped "
                  "(python benchmarks/corpus.py builds it)", file=sys.stderr)
            continue
        if options.max_files:
            kept = corpus.files[: options.max_files]
            corpus = Corpus(corpus.name, corpus.root, kept,
                            sum(count_lines((corpus.root / f).read_bytes()) for f in kept),
                            corpus.description + f" (first {len(kept)} files only)")
        corpora.append(corpus)
        print(f"speed: corpus {corpus.name}: {len(corpus.files)} files, {corpus.lines:,} lines", file=sys.stderr)

    profiles: List[str] = []
    if options.profile or options.profile_only:
        profiles = [run_profile(corpus) for corpus in corpora]
        for summary in profiles:
            print(summary)
        if options.update_doc:
            update_doc(options.update_doc, "profile-" + "-".join(c.name for c in corpora), "\n".join(profiles))
        if options.profile_only:
            return 0

    explicit = _expand_tools(_split(options.tools))
    rows: Dict[Tuple[str, str], Row] = {}
    runs: List[Run] = []
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for corpus in corpora:
        wanted = explicit or list(REAL_DEFAULT_TOOLS if corpus.name == "real" else ALL_TOOLS)
        cache_dir = WORK / f"cache-{corpus.name}"
        shutil.rmtree(cache_dir, ignore_errors=True)
        tools, problems = build_tools(wanted, jobs, corpus, cache_dir, options.competitors_venv, options.plugin_venv,
                                      options.baseline_src.resolve() if options.baseline_src else None)
        for problem in problems:
            print(f"speed: skipped {problem}", file=sys.stderr)

        def record(tool: Tool, run: Run, key: Optional[str] = None) -> None:
            row = rows.setdefault((corpus.name, key or tool.key), Row(corpus.name, key or tool.key, tool.processes))
            runs.append(run)
            if run.ok:
                row.runs.append(run.wall)
                row.cpu.append(run.cpu)
                row.peak_process_mb.append(run.peak_process_mb)
                row.peak_total_mb.append(run.peak_total_mb)
                row.output_lines.append(run.output_lines)
            else:
                row.failures.append(f"exit {run.exit_code}: {run.error}")
                print(f"speed: {tool.key} on {corpus.name} failed with exit code {run.exit_code}:\n{run.error}",
                      file=sys.stderr)
            print(f"speed: {corpus.name:<10} {key or tool.key:<18} {run.wall:8.2f} s  "
                  f"{run.peak_process_mb:6.0f} MB  {run.output_lines} lines", file=sys.stderr)

        for tool in tools:
            if tool.key != "session-lint-warm":
                # Untimed, on one file: bytecode compiled and binaries in the page cache
                # before the first measured run, for every tool alike.
                measure(tool, Corpus(corpus.name, corpus.root, corpus.files[:1], 0, ""))
        warm = [tool for tool in tools if tool.key == "session-lint-warm"]
        if warm:
            # The warm runs need a filled cache; filling it is itself worth a number.
            record(warm[0], measure(warm[0], corpus), key="session-lint-fill")
        for repetition in range(options.repeat):
            order = tools if repetition % 2 == 0 else list(reversed(tools))
            for tool in order:
                record(tool, measure(tool, corpus))
        cold, hot = rows.get((corpus.name, "session-lint-cold")), rows.get((corpus.name, "session-lint-warm"))
        if cold and hot and cold.output_lines and hot.output_lines and set(cold.output_lines) != set(hot.output_lines):
            print(f"speed: warning: on {corpus.name} the warm runs printed {sorted(set(hot.output_lines))} lines "
                  f"and the cold runs {sorted(set(cold.output_lines))}: the cache changes results", file=sys.stderr)

    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/speed.py", *arguments])
    text = render(corpora, rows, command, jobs, tool_versions(options.competitors_venv, options.plugin_venv),
                  options.repeat, [run.load for run in runs])
    print(text)
    print(f"speed: benchmark took {(time.perf_counter() - started) / 60:.1f} min", file=sys.stderr)
    if options.update_doc:
        # One block per set of corpora: runs of different corpora can go to the same document.
        update_doc(options.update_doc, "results-" + "-".join(c.name for c in corpora), text)
    if options.json:
        options.json.write_text(json.dumps([asdict(run) for run in runs], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
