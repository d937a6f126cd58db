"""Worker processes of `--jobs` (issue 22): how work is handed out, and how workers are
started from a process that has threads.

A fork copies only the calling thread, so a lock another thread held at that moment stays
held in the child for good; Python 3.12+ warns about it ("This process is multi-threaded,
use of fork() may lead to deadlocks"). runner._context forks only a single-threaded process
and otherwise starts workers through the fork server (or lints in the process itself, when
starting them would run the program's script again).

The warning is looked for with `-W always::DeprecationWarning`: with
`-W error::DeprecationWarning` os.fork() neither raises it nor prints it (CPython 3.12 and
3.13 drop it), so a test relying on the exit code alone would pass with the bug in place.
On Python 3.9-3.11 the same code paths run and the outputs are compared; there is no
warning to look for.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

from session_lint import runner
from session_lint.project_index import ProjectIndex
from session_lint.rule import Finding, Rule, RuleContext
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork and the fork server are POSIX start methods")

# A -j2 run of the examples, optionally with threads running beside it.
_RUN_WITH_THREADS = """
import sys, threading
from session_lint.cli import main

stop = threading.Event()
for _ in range(int(sys.argv[1])):
    threading.Thread(target=stop.wait, daemon=True).start()
try:
    main(["--no-cache", "--isolated", "--output-format", "concise", "-j", "2", sys.argv[2]])
finally:
    stop.set()
"""


def _run(arguments: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "always::DeprecationWarning", *arguments],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def _run_examples(threads: int, cwd: Path) -> subprocess.CompletedProcess:
    return _run(["-c", _RUN_WITH_THREADS, str(threads), str(EXAMPLES)], cwd)


def test_a_two_worker_run_shows_no_fork_warning_with_or_without_threads(tmp_path: Path) -> None:
    alone = _run_examples(0, tmp_path)
    with_threads = _run_examples(2, tmp_path)
    for completed in (alone, with_threads):
        assert completed.returncode == 1, completed.stderr  # the examples have findings, nothing failed
        assert completed.stderr == "", completed.stderr
    assert with_threads.stdout == alone.stdout
    assert "ORM101" in alone.stdout


def test_the_command_line_shows_no_fork_warning(tmp_path: Path) -> None:
    completed = _run(["-m", "session_lint", "--no-cache", "--isolated", "-j", "2", str(EXAMPLES)], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert "Warning" not in completed.stderr and "fork" not in completed.stderr, completed.stderr


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path: Path) -> None:
    # The fork server would run this script once more in each worker, linting again and
    # again: with a thread running, such a script has its files linted in its own process.
    script = tmp_path / "lint_it.py"
    script.write_text("import sys, threading\nfrom session_lint.cli import main\n"
                      "print('started')\n"
                      "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                      f"main(['--no-cache', '--isolated', '--output-format', 'concise', '-j', '2', {str(EXAMPLES)!r}])\n")
    completed = _run([str(script)], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.count("started") == 1 and "ORM101" in completed.stdout


def test_a_process_with_threads_does_not_fork_its_workers() -> None:
    probe = ("import threading\nfrom session_lint.runner import forks_workers\n"
             "print(forks_workers())\nstop = threading.Event()\n"
             "threading.Thread(target=stop.wait, daemon=True).start()\n"
             "print(forks_workers())\nstop.set()\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "False"]


def test_a_rule_workers_cannot_import_still_runs_when_the_process_has_threads(tmp_path: Path) -> None:
    class EveryModule(Rule):  # defined in a function: a worker started afresh cannot import it
        code = "XYZ901"
        name = "every-module"
        summary = "reports every module"

        def check(self, context: RuleContext) -> Iterator[Finding]:
            yield Finding(context.module, "seen")

    files = []
    for index in range(6):
        (tmp_path / f"m{index}.py").write_text(f"x = {index}\n")
        files.append(tmp_path / f"m{index}.py")
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        assert not runner.forks_workers()
        report = lint_files(files, [EveryModule], Settings(root=tmp_path), jobs=2)
    finally:
        stop.set()
        helper.join()
    assert sorted(Path(d.filename).name for d in report.diagnostics) == [f"m{i}.py" for i in range(6)]


# -- chunks by parse cost -----------------------------------------------------------------------------
def _items(sizes: List[int]) -> List[runner.Item]:
    return [(f"f{position}.py", b"import sqlalchemy\n" + b"x" * size) for position, size in enumerate(sizes)]


def test_chunks_hold_every_file_once_the_costliest_first() -> None:
    sizes = [1_000] * 300 + [400_000, 250_000, 90_000] + [20_000] * 40
    items = _items(sizes)
    costs = [len(data) for _, data in items]
    chunks = runner._chunks(items, costs, workers=2)
    handed_out = [name for chunk in chunks for name, _ in chunk]
    assert sorted(handed_out) == sorted(name for name, _ in items)
    assert chunks[0] == [items[300]]  # the largest file alone, first
    cost_of = {name: len(data) for name, data in items}
    chunk_costs = [sum(cost_of[name] for name, _ in chunk) for chunk in chunks]
    # What is left for the end is small: the last chunks cost no more than the floor
    # (plus the one file that crossed it), far less than the large files.
    assert max(chunk_costs[-3:]) < runner._MIN_CHUNK_COST + 1_100
    assert len(chunks) < len(items) / 5  # the small files travel together


def test_a_file_without_the_evidence_rules_require_costs_little() -> None:
    index = ProjectIndex()
    job = runner.Job(tuple(BUILTIN_RULES), Settings(), index)
    plain = ("plain.py", b"import os\n" * 10_000)
    orm = ("orm.py", b"from sqlalchemy.orm import Session\n" + b"import os\n" * 10_000)
    plain_cost, orm_cost = runner._costs([plain, orm], runner._parsed([plain, orm], job))
    assert orm_cost == len(orm[1])
    assert plain_cost < len(plain[1]) / 10


def test_progress_counts_every_file_once(tmp_path: Path) -> None:
    source = ("from sqlalchemy.orm import Session\n\n"
              "def create(engine, user):\n    with Session(engine) as session:\n        session.add(user)\n")
    files = []
    for index in range(9):
        (tmp_path / f"m{index}.py").write_text(source)
        files.append(tmp_path / f"m{index}.py")
    files.append(tmp_path / "missing.py")
    from session_lint.cache import ResultCache

    for jobs in (1, 2, 2):  # the second two-worker run takes every result from the cache
        told: List[int] = []
        lint_files(files, BUILTIN_RULES, Settings(root=tmp_path), jobs=jobs,
                   cache=ResultCache(tmp_path / "cache"), progress=told.append)
        assert sum(told) == len(files), (jobs, told)
        assert all(count >= 0 for count in told)


def test_a_two_worker_run_reports_what_one_process_does(tmp_path: Path) -> None:
    source = ("from sqlalchemy.orm import Session\n\n"
              "def create(engine, user):\n    with Session(engine) as session:\n        session.add(user)\n")
    files = []
    for index in range(12):
        path = tmp_path / f"m{index:02}.py"
        # Sizes out of the order of the names: the work is handed out by size.
        path.write_text(source + "\n# padding\n" * ((index * 7) % 12) * 50)
        files.append(path)
    settings = Settings(root=tmp_path)
    alone = lint_files(files, BUILTIN_RULES, settings, jobs=1)
    parallel = lint_files(files, BUILTIN_RULES, settings, jobs=2)
    assert len(alone.diagnostics) == 12
    assert parallel.diagnostics == alone.diagnostics
    assert parallel.files_checked == alone.files_checked == 12


# -- tasks a forked worker finds in its copy of the parent's memory -----------------------------
def _sizes(items):  # a chunk's work: (name, size of its bytes)
    return [(name, len(data)) for name, data in items]


def test_forked_workers_are_sent_positions_not_bytes() -> None:
    """The bytes of a chunk (the standard library's first: 1.7 MB) went through the pool's
    pipe; a forked worker now reads its task from the list it inherited."""
    class Context:
        def get_start_method(self) -> str:
            return "fork"

    class Pool:
        _mp_context = Context()
        sent: List[tuple] = []

        def submit(self, function, *arguments):
            self.sent.append((function, *arguments))
            return None

    tasks = [[("a.py", b"x" * 1000)], [("b.py", b"y" * 2000)]]
    futures, unsubmitted = runner._submit(Pool(), _sizes, tasks)
    assert [task for task, _ in futures] == tasks and unsubmitted == []
    assert Pool.sent == [(runner._forked_task, _sizes, 0), (runner._forked_task, _sizes, 1)]
    # What the worker runs, in its copy of this memory:
    assert runner._forked_task(_sizes, 1) == [("b.py", 2000)]
    runner._FORKED_TASKS.clear()


@pytest.mark.skipif(not runner.forks_workers(), reason="workers are forked only where fork is available")
def test_a_forked_pool_answers_for_every_chunk() -> None:
    items = [(f"m{number}.py", b"#" * (number * 5000 + 1)) for number in range(40)]
    interval = sys.getswitchinterval()
    found = runner._by_chunks_in_pool(_sizes, items, 2)
    assert found == {name: len(data) for name, data in items}
    assert runner._FORKED_TASKS == [] and sys.getswitchinterval() == interval


def test_the_switch_interval_comes_back_when_the_pool_fails() -> None:
    interval = sys.getswitchinterval()
    with pytest.raises(RuntimeError):
        with runner._pool(1, None):
            assert sys.getswitchinterval() <= runner._POOL_SWITCH_INTERVAL
            raise RuntimeError("interrupted")
    assert sys.getswitchinterval() == interval and runner._FORKED_TASKS == []


def test_two_pools_at_once_give_the_interval_back_once_both_end() -> None:
    interval = sys.getswitchinterval()
    first, second = runner._pool(1, None), runner._pool(1, None)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert sys.getswitchinterval() <= runner._POOL_SWITCH_INTERVAL  # the second still runs
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == interval
