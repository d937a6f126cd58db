"""Reliability round 2 (issue 19): inputs, configuration and discovery.

Each test names the attack it replays; every one failed (a traceback, a hang, a wrong
exit code, gigabytes read or seconds wasted) before the fix it guards.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from session_lint import Settings, lint_source
from session_lint.cli import main
from session_lint.rules import BUILTIN_RULES

BAD = (
    "from sqlalchemy.orm import Session\n\n"
    "def create(engine):\n"
    "    with Session(engine) as session:\n"
    "        session.add(User())\n"
)


def cli(args: List[str], capsys) -> Tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-cache", "--output-format", "concise", *args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def python_m(args: List[str], cwd: Path, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "concise", *args],
                          cwd=str(cwd), capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    """A project (it has a pyproject.toml) with one file that has an ORM101, as the cwd."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    (root / "good.py").write_text(BAD)
    monkeypatch.chdir(root)
    return root


# -- 2. a directory that can be listed but not entered ------------------------------------------------
def _deny_inside(monkeypatch, locked: Path) -> None:
    """What `chmod 644 locked` does for a user other than root: the names in it can be
    listed, but nothing in it can be looked up (os.stat, os.lstat)."""
    prefix = str(locked) + os.sep
    real_stat, real_lstat = os.stat, os.lstat

    def inside(path: object) -> bool:
        if not isinstance(path, (str, os.PathLike)):
            return False  # a file descriptor
        name = os.fspath(path)
        full = os.path.abspath(name)
        # `locked/.` is looked up inside `locked`, although its normal form is `locked`.
        return full.startswith(prefix) or (os.path.basename(name) == os.curdir and full + os.sep == prefix)

    def deny(real):
        def checked(path, *args, **kwargs):
            if inside(path):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real(path, *args, **kwargs)
        return checked

    monkeypatch.setattr(os, "stat", deny(real_stat))
    monkeypatch.setattr(os, "lstat", deny(real_lstat))


def test_directory_that_cannot_be_entered_is_one_line(tree, capsys, monkeypatch) -> None:
    locked = tree / "locked"
    locked.mkdir()
    (locked / "inner.py").write_text(BAD)
    _deny_inside(monkeypatch, locked.resolve())
    code, out, err = cli(["."], capsys)
    assert code == 2 and "Traceback" not in err
    assert out.splitlines() == [line for line in out.splitlines() if line.startswith("good.py:5:9: ORM101")]
    assert err.splitlines() == ["session-lint: error: locked: cannot enter directory: Permission denied"]
    # One file: the project scan walks the tree too, and its problems are not the run's.
    code, out, err = cli(["good.py"], capsys)
    assert (code, err) == (1, "") and out.startswith("good.py:5:9: ORM101")


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A project that an unprivileged user can read (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="session-lint-"))
    root.chmod(0o755)
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    (root / "good.py").write_text(BAD)
    yield root
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o755)
    shutil.rmtree(root)


def _run_unprivileged(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "concise", *args]
    if os.geteuid() == 0:
        # root reads a `chmod 644` directory anyway: drop to `nobody` for the real thing.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, where chmod 644 does not stop reading, and setpriv is missing")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        probe = subprocess.run([*command[:4], sys.executable, "-c", "import session_lint"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip("the unprivileged user cannot run this Python with session_lint installed")
    return subprocess.run(command, cwd=str(cwd), capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_directory_that_cannot_be_entered_for_real(shared_tree: Path) -> None:
    locked = shared_tree / "locked"
    locked.mkdir()
    (locked / "inner.py").write_text(BAD)
    locked.chmod(0o644)
    completed = _run_unprivileged(["."], shared_tree)
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout.startswith("good.py:5:9: ORM101")
    assert completed.stderr.splitlines() == ["session-lint: error: locked: cannot enter directory: Permission denied"]
    completed = _run_unprivileged(["good.py"], shared_tree)
    assert (completed.returncode, completed.stderr) == (1, "")


# -- 3. `python -m session_lint` must not run code from the working directory -------------------------
SHADOW = "import pathlib, sys\npathlib.Path({marker!r}).write_text('{name}')\nsys.exit(0)\n"


def test_python_dash_m_never_imports_from_the_working_directory(tree: Path) -> None:
    marker = tree.parent / "marker"
    for name in ("pathspec", "libcst", "click", "evil_rules"):
        (tree / f"{name}.py").write_text(SHADOW.format(marker=str(marker), name=name))
    dist_info = tree / "evil-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[session_lint.rules]\nevil = evil_rules:RULES\n")
    completed = python_m(["good.py"], tree)
    assert completed.returncode == 1, (completed.stdout, completed.stderr)
    assert completed.stdout.startswith("good.py:5:9: ORM101") and completed.stderr == ""
    assert not marker.exists(), marker.read_text()


def test_rule_plugins_come_only_from_installed_distributions(tree: Path, monkeypatch) -> None:
    from session_lint.registry import load_rules

    (tree / "evil_rules.py").write_text("raise SystemExit('imported')\n")
    dist_info = tree / "evil-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[session_lint.rules]\nevil = evil_rules:RULES\n")
    for entry in ("", "."):  # `python -m`, PYTHONPATH=.
        monkeypatch.setattr(sys, "path", [entry, *sys.path])
        ruleset = load_rules()
        assert ruleset.errors == [] and "evil_rules" not in sys.modules
        assert not any("evil" in origin for origin in ruleset.origins.values())


# -- 6. directory links that leave the project ----------------------------------------------------
def test_directory_links_out_of_the_project_are_not_followed(tree: Path, capsys) -> None:
    elsewhere = tree.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "foreign.py").write_text(BAD)
    (tree / "rootfs").symlink_to(elsewhere, target_is_directory=True)
    (tree / "pkg").mkdir()
    (tree / "pkg" / "inner.py").write_text(BAD)
    (tree / "zz-inside").symlink_to(tree / "pkg", target_is_directory=True)  # walked after pkg/
    code, out, err = cli(["."], capsys)
    assert code == 1
    assert sorted(line.split(":")[0] for line in out.splitlines()) == ["good.py", "pkg/inner.py"]
    assert sorted(err.splitlines()) == [
        f"session-lint: warning: rootfs: symbolic link to a directory outside the project ({elsewhere.resolve()}); "
        "not followed",
        "session-lint: warning: zz-inside: symbolic link loop: already searched, not followed again",
    ]
    # Named on the command line, the link is followed: the user asked for it.
    code, out, _ = cli(["rootfs"], capsys)
    assert code == 1 and out.startswith("rootfs/foreign.py:5:9: ORM101")


def test_the_project_scan_does_not_follow_links_out_of_the_project(tree: Path, monkeypatch) -> None:
    from session_lint import discovery

    (tree / "usr").symlink_to(tree.parent, target_is_directory=True)
    (tree.parent / "foreign.py").write_text(BAD)
    found = discovery.project_files(Settings(root=tree.resolve()), [Path("good.py")], ["good.py"])
    assert [path.name for path in found] == ["good.py"]


# -- 7. invalid glob patterns in the configuration ------------------------------------------------------
@pytest.mark.parametrize("table, key", [
    ('exclude = ["!"]', "exclude"),
    ("extend-exclude = ['\\']", "extend-exclude"),
    ('per-file-ignores = { "!" = ["ORM101"] }', "per-file-ignores"),
    ('exclude = ["[z-a]"]', "exclude"),  # pathspec raises re.error, not its own error
])
def test_invalid_glob_in_the_configuration_is_one_line(tree: Path, capsys, table: str, key: str) -> None:
    (tree / "pyproject.toml").write_text(f"[tool.session-lint]\n{table}\n")
    code, out, err = cli(["."], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("session-lint: error: ") and "pyproject.toml" in err and f"`{key}`" in err
    assert "invalid pattern" in err


def test_invalid_lines_of_a_gitignore_are_skipped_as_git_does(tree: Path, capsys) -> None:
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("!\n[z-a]\nskipped.py\n")
    (tree / "skipped.py").write_text(BAD)
    code, out, err = cli(["."], capsys)
    assert (code, err) == (1, "") and out.splitlines()[0].startswith("good.py:5:9: ORM101")
    assert "skipped.py" not in out


# -- 8. an empty selector must not switch every rule off ------------------------------------------------
@pytest.mark.parametrize("args", [["--select", ""], ["--select", ","], ["--select", "ORM1,"],
                                  ["--ignore", ""], ["--extend-select", " "]])
def test_empty_selector_on_the_command_line_is_an_error(tree: Path, capsys, args: List[str]) -> None:
    code, out, err = cli([*args, "."], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "empty rule selector" in err and args[0] in err, err


@pytest.mark.parametrize("table", ['select = [""]', 'ignore = [""]', 'extend-select = [" "]',
                                   'per-file-ignores = { "*" = [""] }'])
def test_empty_selector_in_the_configuration_is_an_error(tree: Path, capsys, table: str) -> None:
    (tree / "pyproject.toml").write_text(f"[tool.session-lint]\n{table}\n")
    code, out, err = cli(["."], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "pyproject.toml" in err and "empty rule selector" in err, err


# -- 9. configuration skipped silently, or taken from outside the project --------------------------------
def test_non_utf8_configuration_found_upward_is_reported(tree: Path, capsys, monkeypatch) -> None:
    (tree / "pyproject.toml").write_bytes(b'[tool.session-lint]\nignore = ["ORM101"]  # caf\xe9\n')
    (tree / "sub").mkdir()
    monkeypatch.chdir(tree / "sub")
    code, out, err = cli(["../good.py"], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "pyproject.toml: not UTF-8 text" in err, err


def test_unreadable_configuration_found_upward_is_reported(tree: Path, capsys, monkeypatch) -> None:
    (tree / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["ORM101"]\n')
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file).endswith("pyproject.toml"):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    import builtins
    import io

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    code, out, err = cli(["good.py"], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "pyproject.toml: cannot read: Permission denied" in err, err


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_configuration_above_the_project_root_does_not_apply(tmp_path: Path, capsys, monkeypatch,
                                                               marker: str) -> None:
    # A [tool.session-lint] in $HOME or /tmp must not reach into a repository below it.
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["ORM101"]\n')
    nested = tmp_path / "nested"
    nested.mkdir()
    if marker == ".git":
        (nested / ".git").mkdir()
    else:
        (nested / "pyproject.toml").write_text("[project]\nname = 'nested'\n")
    (nested / "good.py").write_text(BAD)
    monkeypatch.chdir(nested)
    code, out, _ = cli(["good.py"], capsys)
    assert code == 1 and out.startswith("good.py:5:9: ORM101")


# -- 10. what is read, and how much ------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_named_pipe_on_the_command_line_does_not_hang(tree: Path) -> None:
    os.mkfifo(tree / "fifo.py")
    completed = python_m(["fifo.py", "good.py"], tree, timeout=30)
    assert completed.returncode == 2
    assert completed.stdout.startswith("good.py:5:9: ORM101")
    assert completed.stderr.splitlines() == ["session-lint: error: fifo.py: not a regular file (a named pipe)"]


def _limit_memory() -> None:  # runs in the child: a runaway read fails fast instead of eating the host
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_character_device_on_the_command_line_is_not_read(tree: Path) -> None:
    completed = python_m(["/dev/zero"], tree, timeout=120, preexec_fn=_limit_memory)
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.splitlines() == ["session-lint: error: /dev/zero: not a regular file (a character device)"]


def test_linked_sparse_file_is_read_only_up_to_the_limit(tree: Path, capsys) -> None:
    huge = tree.parent / "huge.bin"
    with open(huge, "wb") as handle:  # sparse: 256 MB on paper, nothing on disk
        handle.write(b"import sqlalchemy\nsession.add(x)\n")
        handle.truncate(256 * 1024 * 1024)
    (tree / "big.py").symlink_to(huge)
    tracemalloc.start()
    try:
        code, out, err = cli(["--jobs", "1", "--output-format", "full", "."], capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1 and err == ""
    assert "big.py:1:1: ORM001 cannot read source: the file contains NUL bytes" in out and "ORM101" in out
    assert peak < 64 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"


def test_oversized_file_is_cut_before_the_token_scan_and_the_index(tree: Path, capsys, monkeypatch) -> None:
    from session_lint import engine, project_index

    monkeypatch.setattr(engine, "MAX_FILE_BYTES", 64 * 1024)
    (tree / "generated.py").write_text("import sqlalchemy\n" + "Session = sessionmaker()\n" * 40000
                                       + "session.add(x)\n")
    size = (tree / "generated.py").stat().st_size
    seen: List[int] = []
    real_scan = project_index.scan_text

    def scan_text(text: str, path: str):
        seen.append(len(text))
        return real_scan(text, path)

    monkeypatch.setattr(project_index, "scan_text", scan_text)
    real_check = engine._TokenCheck.__init__

    def token_check(self, text, index) -> None:
        seen.append(len(text))
        real_check(self, text, index)

    monkeypatch.setattr(engine._TokenCheck, "__init__", token_check)
    code, out, _ = cli(["--jobs", "1", "."], capsys)
    assert code == 1
    assert f"generated.py:1:1: ORM001 not checked: the file is {size / 1024 / 1024:.1f} MB, larger than the 0 MB" \
        in out
    assert seen and max(seen) <= 64 * 1024 + 1, max(seen)


# -- 12. valid code that session-lint's parser cannot read --------------------------------------------
FORM_FEED = (
    "from sqlalchemy.orm import Session\n\n"
    "def create(engine):\n"
    "\f    with Session(engine) as session:\n"
    "        session.add(User())\n"
)


def _concatenation(parts: int, in_function: bool) -> str:
    strings = " ".join(f"'p{i}'" for i in range(parts))
    return BAD + (f"\ndef g():\n    return {strings}\n" if in_function else f"\nx = {strings}\n")


@pytest.mark.parametrize("source", [FORM_FEED, _concatenation(1000, True), _concatenation(3000, False),
                                    _concatenation(5000, False)],
                         ids=["form-feed", "concatenation-1000-in-function", "concatenation-3000",
                              "concatenation-5000"])
def test_code_python_compiles_is_never_orm001(tree: Path, capsys, source: str) -> None:
    compile(source, "valid.py", "exec")  # the premise: CPython accepts it
    (tree / "valid.py").write_text(source)
    code, out, err = cli(["valid.py"], capsys)
    assert "ORM001" not in out
    assert code in (0, 1)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("session-lint: warning: valid.py: not "), err
    assert "Python compiles" in lines[0]


def test_python_syntax_errors_are_still_orm001() -> None:
    source = "import sqlalchemy\ndef f():\n    session.add(x)\n  \f  return 1\n"
    result = lint_source(source, "bad.py", BUILTIN_RULES, Settings())
    assert [d.code for d in result.diagnostics] == ["ORM001"] and result.warnings == []


# -- 13. the same file is the same kind of code from every working directory ---------------------------
@pytest.mark.parametrize("config", ["[tool.session-lint]\n", "[project]\nname = 'x'\n"])
def test_test_code_is_decided_from_the_project_root(tree: Path, capsys, monkeypatch, config: str) -> None:
    (tree / "pyproject.toml").write_text(config)
    (tree / "tests").mkdir()
    (tree / "tests" / "helpers.py").write_text(BAD)
    assert cli(["tests/helpers.py"], capsys)[:2] == (0, "")
    monkeypatch.chdir(tree / "tests")
    assert cli(["helpers.py"], capsys)[:2] == (0, "")


# -- 16. bounded work --------------------------------------------------------------------------------
def test_pathological_gitignore_pattern_is_matched_quickly(tree: Path, capsys) -> None:
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("*a*a*a*a*a*a*b\n")
    for index in range(3):
        (tree / ("a" * 60 + f"{index}.py")).write_text(BAD)
    (tree / "aaaaaaab").mkdir()
    (tree / "aaaaaaab" / "ignored.py").write_text(BAD)
    started = time.perf_counter()
    code, out, _ = cli(["--jobs", "1", "."], capsys)
    elapsed = time.perf_counter() - started
    assert code == 1 and out.count("ORM101") == 4 and "ignored.py" not in out
    assert elapsed < 3, f"{elapsed:.1f} s"


def test_gitignore_matching_keeps_git_semantics() -> None:
    """The bounded matcher agrees with pathspec's own regular expressions, pattern by pattern."""
    import pathspec
    from hypothesis import given, settings as hypothesis_settings, strategies as st

    from session_lint.discovery import gitignore_spec

    patterns = st.text(alphabet="ab*?/!.[]", min_size=1, max_size=12)
    paths = st.text(alphabet="ab/.", min_size=1, max_size=14).filter(lambda p: not p.startswith("/"))

    @hypothesis_settings(max_examples=400, deadline=None, database=None)
    @given(patterns, st.lists(paths, min_size=1, max_size=5))
    def agree(pattern: str, candidates: List[str]) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # `[[`: "possible nested set"
                reference = pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError:
            return
        ours = gitignore_spec([pattern])
        for candidate in candidates:
            assert ours.match_file(candidate) == reference.match_file(candidate), (pattern, candidate)

    agree()


def test_project_scan_stops_at_the_cap(tree: Path, monkeypatch) -> None:
    from session_lint import discovery

    for index in range(50):
        package = tree / f"pkg{index:02d}"
        package.mkdir()
        for name in range(5):
            (package / f"m{name}.py").write_text("x = 1\n")
    monkeypatch.setattr(discovery, "MAX_INDEX_FILES", 20)
    listed: List[str] = []
    real_scandir = os.scandir

    def scandir(path="."):
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discovery.project_files(Settings(root=tree.resolve()), [Path("good.py")], ["good.py"])
    assert len(found) == 20
    assert len(listed) <= 6, listed
