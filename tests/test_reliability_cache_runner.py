"""Reliability round 2 (issue 19): the results cache, worker processes and the output.

Each test is a regression test for one attack of the issue; docs/reliability.md lists them
with the numbers measured before and after the fix.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from session_lint.cache import ResultCache
from session_lint.cli import main
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings

# /proc, /dev/full, process groups and XDG_CACHE_HOME (the user cache directory that
# platformdirs picks on Linux) are what these tests observe.
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="observes Linux processes and devices")

BAD = (
    "from sqlalchemy.orm import Session\n\n"
    "def create(engine):\n"
    "    with Session(engine) as session:\n"
    "        session.add(User())\n"
)
# Enough work for a two-worker run to last tens of seconds: signals arrive mid-run.
SLOW_BLOCK = """
def create_{i}(engine, name):
    with Session(engine) as session:
        user = session.query(User).filter(User.name == name).first()
        for item in session.query(Item).all():
            if item.owner == user.id:
                session.add(Log(item=item, n={i}))
        session.add(User(name=name))
"""


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    """The per-user cache directory (where the cache key lives), away from the real home."""
    directory = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    (root / "app.py").write_text(BAD)
    monkeypatch.chdir(root)
    return root


def cli(args: List[str], capsys) -> Tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--output-format", "concise", *args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def run(args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "session_lint", *args], cwd=cwd, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    *args], cwd=cwd, check=True, capture_output=True)


def cache_file(directory: Path) -> Path:
    return directory / "results-v1.json"


def lint(files: List[Path], cache: ResultCache):
    report = lint_files(files, BUILTIN_RULES, Settings(), jobs=1, cache=cache)
    return report, [(Path(d.filename).name, d.code) for d in report.diagnostics]


# -- item 4: a cache is trusted only if this user on this machine wrote it -----------------------------
def empty_every_entry(path: Path) -> None:
    data = json.loads(path.read_text())
    for entry in data["files"].values():
        entry["diagnostics"] = []
    path.write_text(json.dumps(data))


def test_a_committed_cache_with_emptied_findings_does_not_make_a_fresh_clone_pass(tmp_path: Path, project) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "home-of-the-attacker")}
    assert run(["app.py"], project, env).returncode == 1
    empty_every_entry(cache_file(project / ".session_lint_cache"))
    assert run(["app.py"], project, env).returncode == 1  # an edited entry is not trusted, even here
    empty_every_entry(cache_file(project / ".session_lint_cache"))
    git(project, "init", "-q")
    git(project, "add", "app.py", "pyproject.toml")
    git(project, "add", "-f", ".session_lint_cache")
    git(project, "commit", "-q", "-m", "poison")
    git(tmp_path, "clone", "-q", str(project), "clone")

    victim = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "home-of-the-victim")}
    result = run(["--output-format", "concise", "app.py"], tmp_path / "clone", victim)
    assert result.returncode == 1, result
    assert result.stdout.startswith("app.py:5:9: ORM101 ")
    assert result.stderr == ("session-lint: warning: the cache directory .session_lint_cache is tracked by git; "
                             "it is not used (untrack it: git rm -r --cached .session_lint_cache)\n")
    assert (tmp_path / "clone" / ".session_lint_cache" / "results-v1.json").read_text() == \
        cache_file(project / ".session_lint_cache").read_text()  # a tracked cache is not written either


def test_an_edited_cache_entry_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "b.py").write_text(BAD)
    files = [tmp_path / "a.py", tmp_path / "b.py"]
    lint(files, ResultCache(tmp_path / "cache"))
    empty_every_entry(cache_file(tmp_path / "cache"))
    report, found = lint(files, ResultCache(tmp_path / "cache"))
    assert found == [("a.py", "ORM101"), ("b.py", "ORM101")] and report.files_from_cache == 0
    report, found = lint(files, ResultCache(tmp_path / "cache"))
    assert len(found) == 2 and report.files_from_cache == 2  # rewritten, then trusted again


def test_a_cache_from_another_machine_is_not_trusted(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.py").write_text(BAD)
    lint([tmp_path / "a.py"], ResultCache(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-home"))
    report, found = lint([tmp_path / "a.py"], ResultCache(tmp_path / "cache"))
    assert found == [("a.py", "ORM101")] and report.files_from_cache == 0


def test_a_damaged_cache_key_is_replaced(tmp_path: Path, user_cache) -> None:
    (tmp_path / "a.py").write_text(BAD)
    (user_cache / "session-lint").mkdir(parents=True)
    (user_cache / "session-lint" / "cache-key").write_bytes(b"short")
    lint([tmp_path / "a.py"], ResultCache(tmp_path / "cache"))
    assert len((user_cache / "session-lint" / "cache-key").read_bytes()) == 32
    report, _ = lint([tmp_path / "a.py"], ResultCache(tmp_path / "cache"))
    assert report.files_from_cache == 1


def test_no_place_for_the_cache_key_is_one_warning(project, user_cache, capsys) -> None:
    user_cache.write_text("a file where the user cache directory should be")
    code, out, err = cli(["app.py"], capsys)
    assert code == 1 and out.startswith("app.py:5:9: ORM101 ")
    assert err == (f"session-lint: warning: cannot keep the cache key in {user_cache}/session-lint: "
                   "Not a directory; the cache is not used\n")


def test_a_symlinked_cache_directory_is_refused(tmp_path: Path, project, capsys) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".session_lint_cache").symlink_to(outside)
    code, out, err = cli(["app.py"], capsys)
    assert code == 1 and out.startswith("app.py:5:9: ORM101 ")
    assert err == ("session-lint: warning: the cache directory .session_lint_cache is a symbolic link; "
                   "it is not used\n")
    assert list(outside.iterdir()) == []


def test_a_dangling_gitignore_symlink_in_the_cache_does_not_write_outside(tmp_path: Path, project, capsys) -> None:
    (tmp_path / "outside").mkdir()
    (project / ".session_lint_cache").mkdir()
    (project / ".session_lint_cache" / ".gitignore").symlink_to(tmp_path / "outside" / "planted")
    code, out, err = cli(["app.py"], capsys)
    assert code == 1 and out.startswith("app.py:5:9: ORM101 ")
    assert err == ("session-lint: warning: the cache directory .session_lint_cache holds a symbolic link "
                   "(.gitignore); it is not used\n")
    assert list((tmp_path / "outside").iterdir()) == []


def test_without_a_project_root_the_cache_is_kept_in_the_user_cache_directory(
        tmp_path: Path, user_cache, monkeypatch, capsys) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "x.py").write_text(BAD)
    monkeypatch.chdir(scratch)
    assert cli(["x.py"], capsys)[0] == 1
    assert list(scratch.iterdir()) == [scratch / "x.py"]
    assert len(list(user_cache.rglob("results-v1.json"))) == 1


def test_caches_of_directories_outside_projects_unused_for_30_days_are_removed(
        tmp_path: Path, user_cache, monkeypatch, capsys) -> None:
    outside = user_cache / "session-lint" / "outside-projects"
    for name, age_days in (("old", 31), ("recent", 29)):
        (outside / name).mkdir(parents=True)
        (outside / name / "results-v1.json").write_text('{"format": 1, "files": {}}')
        stamp = time.time() - age_days * 24 * 3600
        os.utime(outside / name / "results-v1.json", (stamp, stamp))
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch" / "x.py").write_text(BAD)
    monkeypatch.chdir(tmp_path / "scratch")
    assert cli(["x.py"], capsys)[0] == 1
    assert sorted(path.name for path in outside.iterdir() if path.name in ("old", "recent")) == ["recent"]
    assert len(list(outside.iterdir())) == 2


def test_with_a_project_root_the_cache_stays_in_the_project(project, capsys) -> None:
    assert cli(["app.py"], capsys)[0] == 1
    assert cache_file(project / ".session_lint_cache").is_file()


# -- item 11: no cache content can crash a run ------------------------------------------------------
def test_a_deeply_nested_cache_is_discarded_with_a_warning(project, capsys) -> None:
    cache = project / ".session_lint_cache"
    cache.mkdir()
    cache_file(cache).write_text("[" * 200_000)
    for _ in range(2):  # before the fix, every later run crashed too
        code, out, err = cli(["app.py"], capsys)
        assert code == 1 and out.startswith("app.py:5:9: ORM101 ")
        assert err == ("session-lint: warning: the cache .session_lint_cache/results-v1.json is unreadable "
                       "(nested too deeply); it is discarded\n")
        cache_file(cache).write_text("[" * 200_000)
    cache_file(cache).unlink()
    cli(["app.py"], capsys)
    assert cli(["app.py"], capsys)[2] == ""
    assert len(json.loads(cache_file(cache).read_text())["files"]) == 1


@pytest.mark.parametrize("poison", ["1e400", "-1e400", "true", "null", '"1"', "[]", "1.5"])
def test_an_odd_number_in_a_cache_entry_does_not_crash(project, capsys, poison: str) -> None:
    cache = project / ".session_lint_cache"
    cli(["app.py"], capsys)
    data = json.loads(cache_file(cache).read_text())
    for entry in data["files"].values():
        entry["diagnostics"][0][2] = "POISON"
    cache_file(cache).write_text(json.dumps(data).replace('"POISON"', poison))
    for _ in range(2):
        code, out, err = cli(["app.py"], capsys)
        assert (code, err) == (1, "") and out.startswith("app.py:5:9: ORM101 ")


@pytest.mark.parametrize("content", ["{not json", '{"format": 1e400, "files": {}}', '{"format": 1, "files": []}',
                                     '{"format": ' + "1" * 5000 + ', "files": {}}',
                                     "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "[]"])
def test_a_damaged_cache_is_one_warning(project, capsys, content: str) -> None:
    cache = project / ".session_lint_cache"
    cache.mkdir()
    cache_file(cache).write_text(content, encoding="latin-1")
    code, out, err = cli(["app.py"], capsys)
    assert code == 1 and out.startswith("app.py:5:9: ORM101 ")
    assert len(err.splitlines()) == 1
    assert err.startswith("session-lint: warning: the cache .session_lint_cache/results-v1.json is unreadable (")
    assert cli(["app.py"], capsys)[2] == ""  # rewritten


# -- item 16: housekeeping, and parallel batches sharing one cache -----------------------------------
def test_entries_of_deleted_files_are_pruned(tmp_path: Path) -> None:
    files = []
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(BAD)
        files.append(tmp_path / name)
    lint(files, ResultCache(tmp_path / "cache"))
    files[1].unlink()
    files[0].write_text(BAD + "# edited\n")
    lint([files[0]], ResultCache(tmp_path / "cache"))
    kept = json.loads(cache_file(tmp_path / "cache").read_text())["files"]
    assert sorted(Path(name).name for name in kept) == ["a.py", "c.py"]


def test_batches_that_overlap_keep_every_entry(tmp_path: Path) -> None:
    batches = []
    for batch in range(4):
        files = []
        for index in range(50):
            path = tmp_path / f"b{batch}_{index}.py"
            path.write_text(BAD)
            files.append(path)
        batches.append(files)
    caches = [ResultCache(tmp_path / "cache") for _ in batches]  # each loads before any writes
    for cache, files in zip(caches, batches):
        lint_files(files, BUILTIN_RULES, Settings(), jobs=1, cache=cache)
    report, _ = lint([path for files in batches for path in files], ResultCache(tmp_path / "cache"))
    assert report.files_from_cache == 200


def test_parallel_pre_commit_batches_keep_every_entry(project) -> None:
    names = [f"m{index}.py" for index in range(200)]
    for name in names:
        (project / name).write_text(BAD)
    batches = [names[i::4] for i in range(4)]
    runs = [subprocess.Popen([sys.executable, "-m", "session_lint", "-j", "1", *batch], cwd=project,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for batch in batches]
    assert [process.wait(timeout=120) for process in runs] == [1, 1, 1, 1]
    assert [process.stderr.read() for process in runs] == [b"", b"", b"", b""]
    kept = json.loads(cache_file(project / ".session_lint_cache").read_text())["files"]
    assert sorted(Path(name).name for name in kept) == sorted(names)


# -- item 15: -j is capped ---------------------------------------------------------------------------
def test_jobs_are_capped_at_the_cores_and_the_chunks(tmp_path: Path, monkeypatch) -> None:
    import session_lint.runner as runner

    real = runner.ProcessPoolExecutor
    asked: List[int] = []

    def recording(*args, max_workers: int, **kwargs):
        asked.append(max_workers)
        return real(*args, max_workers=min(max_workers, 2), **kwargs)  # never fork 3,000 here

    monkeypatch.setattr(runner, "ProcessPoolExecutor", recording)
    files = []
    for index in range(8):
        (tmp_path / f"m{index}.py").write_text(BAD)
        files.append(tmp_path / f"m{index}.py")
    report = lint_files(files, BUILTIN_RULES, Settings(), jobs=3000)
    assert len(report.diagnostics) == 8
    assert asked and max(asked) <= max(2, min(8, runner.default_jobs())), asked


# -- item 5: signals stop the workers at once ----------------------------------------------------------
def children(pid: int) -> List[int]:
    found: List[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: List[int], timeout: float) -> List[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.02)
    return [pid for pid in pids if alive(pid)]


@pytest.fixture
def busy_run(tmp_path: Path):
    """A two-worker run over 200 slow files, started in its own process group, with its
    workers busy: yields (process, worker pids); kills whatever is left at the end."""
    source = "from sqlalchemy.orm import Session\n" + "".join(SLOW_BLOCK.format(i=i) for i in range(60))
    (tmp_path / "work").mkdir()
    for index in range(200):
        (tmp_path / "work" / f"m{index}.py").write_text(source)
    process = subprocess.Popen([sys.executable, "-m", "session_lint", "--no-cache", "-j", "2", "work"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True, preexec_fn=_default_signal_handling)
    workers: List[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
            time.sleep(0.05)
            workers = children(process.pid)
        assert len(workers) == 2, "the workers never started"
        time.sleep(0.5)  # mid-chunk
        yield process, workers
    finally:
        for pid in [process.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        process.wait()
        process.stderr.close()


def _default_signal_handling() -> None:
    """The run starts as from a shell: a disposition the test process inherited or set
    (an ignored SIGINT or SIGHUP) would otherwise be inherited by session-lint too."""
    for name in ("SIGINT", "SIGHUP", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


@pytest.mark.parametrize("signum, code, message", [(signal.SIGINT, 130, "\nsession-lint: interrupted\n"),
                                                   (signal.SIGTERM, 143, "session-lint: terminated\n")])
def test_a_signal_to_the_process_group_stops_the_run_within_2_seconds(busy_run, signum, code, message) -> None:
    process, workers = busy_run
    start = time.monotonic()
    os.killpg(process.pid, signum)
    try:
        returncode = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 10 s after the signal")
    elapsed = time.monotonic() - start
    assert returncode == code
    assert elapsed < 2.0, elapsed
    assert wait_gone(workers, 1.0) == []
    assert process.stderr.read().decode() == message  # (click starts a new line after the ^C)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_signal_to_the_parent_alone_leaves_no_worker_behind(busy_run, signum, code) -> None:
    process, workers = busy_run
    start = time.monotonic()
    os.kill(process.pid, signum)
    try:
        returncode = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 10 s after the signal")
    assert returncode == code
    assert time.monotonic() - start < 2.0
    assert wait_gone(workers, 1.0) == []


def test_workers_of_a_killed_parent_exit_by_themselves(busy_run) -> None:
    process, workers = busy_run
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert wait_gone(workers, 3.0) == []


# -- item 14: output and working directory problems are one line ---------------------------------------
def test_stdout_on_a_full_device_is_one_line(project) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "session_lint", "app.py"], cwd=project, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "session-lint: error: cannot write the report: No space left on device\n"


@pytest.mark.parametrize("source, code", [(BAD, 1), ("x = 1\n", 0)], ids=["findings", "clean"])
def test_a_closed_pipe_is_quiet_and_the_exit_code_still_tells_the_result(project, source: str, code: int) -> None:
    for index in range(300):
        (project / f"m{index}.py").write_text(source)
    (project / "app.py").write_text(source)
    process = subprocess.Popen([sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "json", "."],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `session-lint | head -0`
    assert process.wait(timeout=120) == code
    assert process.stderr.read() == b""
    process.stderr.close()


def test_a_deleted_working_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(BAD)
    (tmp_path / "gone").mkdir()
    script = f'cd "{tmp_path}/gone" && rmdir "{tmp_path}/gone" && exec "$0" -m session_lint "{tmp_path}/x.py"'
    result = subprocess.run(["sh", "-c", script, sys.executable], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "session-lint: error: the current directory no longer exists\n"


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_control_characters_in_file_names_are_escaped(tmp_path: Path, monkeypatch, capsys, output_format) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a\nb.py").write_text(BAD)
    (tmp_path / "c\x1b[31md.py").write_text(BAD)
    (tmp_path / "e\rf.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "g.py").write_text(BAD.replace("User()", 'User(name="\x1b[2J")'))  # shown by `full`
    code, out, err = cli(["--no-cache", "--output-format", output_format, "."], capsys)
    assert code == 1
    lines = [line for line in out.splitlines() if ": ORM101 " in line]
    assert lines[0].startswith("a\\nb.py:5:9: ORM101 ") and lines[1].startswith("c\\x1b[31md.py:5:9: ORM101 ")
    assert "\x1b" not in out and "a\nb" not in out
    assert err == ("session-lint: warning: e\\rf.py: broken symbolic link (its target does not exist); "
                   "skipped\n")


def test_a_non_utf8_file_name_is_escaped_in_text_output(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    (tmp_path / name).write_text(BAD)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = run(["--no-cache", "--output-format", "concise", "."], tmp_path, env)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.startswith("caf\\xe9.py:5:9: ORM101 ")
