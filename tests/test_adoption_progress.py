"""The progress bar: drawn on a terminal's stderr only, after a delay, and erased; never in
a pipe, in CI or with --quiet."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from session_lint import progress
from session_lint.progress import ProgressBar, render, wanted

BAD = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")  # as a real stream does
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the renderer ---------------------------------------------------------------------------------
def test_render_fills_the_bar_in_proportion_and_fits_the_width() -> None:
    # 40 columns: 16 for " 0/4 files 0.0 s", 2 brackets, 22 for the bar.
    assert render(0, 4, 0.0, 40) == "[" + "." * 22 + "] 0/4 files 0.0 s"
    assert render(2, 4, 1.25, 40) == "[" + "#" * 11 + "." * 11 + "] 2/4 files 1.2 s"
    assert render(4, 4, 3.0, 40) == "[" + "#" * 22 + "] 4/4 files 3.0 s"
    for done in range(5):
        assert len(render(done, 4, 12.5, 40)) == 40


def test_render_on_a_narrow_terminal_shows_the_counts_only() -> None:
    assert render(1, 1, 2.0, 20) == "1/1 file 2.0 s"
    assert render(3, 1000, 2.0, 8) == "3/1000 f"
    assert render(3, 1000, 2.0, 0) == ""


def test_render_clamps_counts_beyond_the_total() -> None:
    assert render(7, 5, 1.0, 30).endswith("] 5/5 files 1.0 s")


# -- when it is drawn -------------------------------------------------------------------------------
def test_nothing_is_drawn_before_the_delay_then_the_bar_is_redrawn_in_place_and_erased() -> None:
    clock, terminal = Clock(), FakeTerminal()
    bar = ProgressBar(3, terminal, clock=clock, width=30)
    bar.advance()
    clock.now += progress.DELAY / 2
    assert terminal.getvalue() == ""  # a quick run never flashes a bar
    clock.now += progress.DELAY
    bar.advance()
    first = "\r" + render(2, 3, 1.5, 30)
    assert terminal.getvalue() == first
    bar.advance()  # the last file is drawn even within the redraw interval
    assert terminal.getvalue() == first + "\r" + render(3, 3, 1.5, 30)
    bar.close()
    assert terminal.getvalue().endswith("\r" + " " * 30 + "\r")  # erased, the cursor at column 0


def test_redraws_are_throttled() -> None:
    clock, terminal = Clock(), FakeTerminal()
    bar = ProgressBar(1000, terminal, clock=clock, width=40)
    clock.now += progress.DELAY
    for _ in range(50):
        bar.advance()
    assert terminal.getvalue().count("\r") == 1
    clock.now += progress.REDRAW * 1.5
    bar.advance()
    assert terminal.getvalue().count("\r") == 2


def test_a_terminal_that_goes_away_stops_the_bar_quietly() -> None:
    class Gone(FakeTerminal):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

    clock = Clock()
    bar = ProgressBar(2, Gone(), clock=clock, width=40)
    clock.now += progress.DELAY
    bar.advance()
    bar.advance()
    bar.close()  # nothing raised


@pytest.mark.parametrize("environ, quiet, expected", [
    ({}, False, True),
    ({"CI": "true"}, False, False),
    ({"CI": ""}, False, False),  # set at all: a CI log
    ({"TERM": "dumb"}, False, False),
    ({}, True, False),
])
def test_wanted_on_a_terminal(environ: Dict[str, str], quiet: bool, expected: bool) -> None:
    assert wanted(FakeTerminal(), environ, quiet) is expected


def test_never_wanted_on_a_stream_that_is_not_a_terminal() -> None:
    assert not wanted(io.StringIO(), {})
    assert not wanted(None, {})
    closed = FakeTerminal()
    closed.close()
    assert not wanted(closed, {})


# -- end to end ---------------------------------------------------------------------------------------
# Runs are far under a second here, so the driver draws at once (DELAY = 0), and feeds the bar
# through a lint_files that reports each file (as the runner does once it takes `progress=`).
DRIVER = textwrap.dedent("""\
    import sys

    import session_lint.cli as cli
    import session_lint.progress as progress

    progress.DELAY = 0.0
    real = cli.lint_files

    def lint_files(files, *args, progress=None, **kwargs):
        report = real(files, *args, **kwargs)
        for _ in files:
            progress(1)
        return report

    cli.lint_files = lint_files
    cli.main(sys.argv[1:])
    """)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(BAD)
    (tmp_path / "driver.py").write_text(DRIVER)
    return tmp_path


def environment() -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "TERM")}
    env["TERM"] = "xterm"
    return env


def run_driver(project: Path, args: List[str], stderr_tty: bool, env: Dict[str, str]) -> str:
    """The driver's stderr, from a pipe or from a pseudo-terminal."""
    command = [sys.executable, "driver.py", "--no-cache", "--output-format", "concise", *args]
    if not stderr_tty:
        completed = subprocess.run(command, cwd=project, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=120)
        assert completed.returncode == 1, completed.stderr
        return completed.stderr.decode()
    pty = pytest.importorskip("pty")
    controller, terminal = pty.openpty()
    try:
        completed = subprocess.run(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=terminal,
                                   timeout=120)
        os.close(terminal)
        terminal = -1
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the writing side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert completed.returncode == 1
    return b"".join(chunks).decode()


def test_a_piped_stderr_gets_no_progress(project: Path) -> None:
    err = run_driver(project, ["."], stderr_tty=False, env=environment())
    assert "\r" not in err and "files" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_gets_the_bar_and_sees_it_erased(project: Path) -> None:
    err = run_driver(project, ["."], stderr_tty=True, env=environment())
    # a.py, b.py, c.py and the driver itself
    assert "\r[" in err and "] 4/4 files " in err
    # After the last bar, only its erasure: blanks between carriage returns.
    erasure = err[err.index(" s", err.rindex("4/4 files")) + 2:]
    assert erasure.startswith("\r") and erasure.endswith("\r") and set(erasure) == {"\r", " "}


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("setting", ["CI", "--quiet"])
def test_no_progress_on_a_terminal_in_ci_or_with_quiet(project: Path, setting: str) -> None:
    env = environment()
    args = ["."]
    if setting == "CI":
        env["CI"] = "true"
    else:
        args.insert(0, "--quiet")
    err = run_driver(project, args, stderr_tty=True, env=env)
    assert "files" not in err and "\r" not in err.replace("\r\n", "\n")
