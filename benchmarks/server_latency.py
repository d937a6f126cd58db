"""How long after the last keystroke the language server publishes diagnostics (issue 21),
and how long its workspace scan takes, the first time and again.

    python benchmarks/server_latency.py [--lines 1000] [--rounds 20] [--debounce-ms 100]
        [--type-into code|comment] [--keystroke-ms 30] [--server-only] [--no-phases]
    python benchmarks/server_latency.py --scan-files 300 | --scan-tree PATH

Latency: generates a 1,000-line module of SQLAlchemy code with findings of several
rules, starts `python -m session_lint.server` as an editor does (a subprocess spoken to
over stdin/stdout by pygls' own client), opens the module, and then, `--rounds` times,
types a burst of five keystrokes 30 ms apart and measures the time from the last
keystroke to the diagnostics of that version. The keystrokes go into a function in the
middle of the file (`code`, the default: five digits of a number, different in every
round, so that its statement is parsed again each time) or into the trailing blank lines
(`comment`: `#xxxx`, as the first measurements did); the findings stay the same. With
`--keystroke-ms 150` a lint starts between two keystrokes, and the last keystroke's lint
waits for it unless the server gives it up. For comparison it times a full CLI run of
the same file (`session-lint --no-cache FILE`, a new process each time, as pre-commit or
an editor's "run on save" plugin starts it) and one `lint_source` call in this process
(the whole file parsed and analysed, as the CLI does). Prints medians, the 90th
percentile, the ratios, and where the server's time went (at `--log-level DEBUG` it logs
each published lint's phases: the wait for the debounce, the configuration and index
lookups, the engine, its parse and its positions (statements printed and reused), the
publication).

Workspace scan: lints a generated tree of `--scan-files` modules (or a copy of
`--scan-tree`) with `session-lint.lintWorkspace` twice in one server, and then runs
`session-lint .` there: the second scan and the CLI run take their results from the
cache the first scan filled.

Not part of the test suite: timings on a shared machine vary; read the load average
printed first and last. Needs the `server` extra (pygls).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HEADER = '''\
from datetime import datetime
from typing import List, Optional

from flask import Flask, abort, request
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

app = Flask(__name__)
engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[Optional[str]]
    deleted_at: Mapped[Optional[datetime]]
    score: Mapped[int] = mapped_column(default=0)

'''

# One block of about 25 lines: a view, a service function and a report, with a few of the
# mistakes the rules look for (unchecked .first(), a filter in Python, `is None` in a
# where clause, an add that is committed, a loop of queries).
BLOCK = '''

@app.route("/users/{n}/<int:user_id>")
def show_user_{n}(user_id: int):
    with SessionLocal() as session:
        user = session.get(User, user_id)
        return {{"name": user.name, "email": user.email}}


def create_user_{n}(name: str) -> int:
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        return user.id


def active_users_{n}(session: Session) -> List[User]:
    users = session.scalars(select(User).where(User.deleted_at is None)).all()
    return [user for user in users if user.score > {n}]


def count_users_{n}(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
'''


def module(lines: int) -> str:
    text = HEADER
    n = 0
    while text.count("\n") + BLOCK.count("\n") <= lines:
        text += BLOCK.format(n=n)
        n += 1
    return text + "\n" * (lines - text.count("\n"))


_TIMINGS = re.compile(r"timings uri=\S+ version=(\d+) (.*)")


class Editor:
    def __init__(self) -> None:
        self.client = LanguageClient("latency-benchmark", "1")
        self.published: Dict[int, float] = {}  # version -> when its diagnostics arrived
        self.counts: Dict[int, int] = {}
        # version -> the server's own account of that lint (ms per phase)
        self.phases: Dict[int, Dict[str, float]] = {}
        self.arrived = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            if params.version is not None:
                self.published[params.version] = time.perf_counter()
                self.counts[params.version] = len(params.diagnostics)
                self.arrived.set()

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

    async def read_log(self, stream: asyncio.StreamReader) -> None:
        """The server's stderr: read to the end (a full pipe would block the server)."""
        pending = b""
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                found = _TIMINGS.search(line.decode(errors="replace"))
                if found:
                    self.phases[int(found.group(1))] = {
                        name: float(value) for name, value in (part.split("=") for part in found.group(2).split())}

    async def wait_for(self, version: int, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while version not in self.published:
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for version {version}")
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.published[version]


def typing_place(text: str, into: str) -> Tuple[int, int]:
    """(0-based line, column) where the keystrokes go."""
    lines = text.splitlines()
    if into == "comment":
        return len(lines) - 1, 0  # the trailing blank lines
    blocks = [number for number, line in enumerate(lines) if "user.score > " in line]
    row = blocks[len(blocks) // 2]
    return row, lines[row].index("]")  # after the number the comprehension compares with


async def server_latencies(path: Path, rounds: int, debounce_ms: Optional[int], into: str = "code",
                           phases: bool = True, keystroke_ms: float = 30
                           ) -> Tuple[List[float], float, int, List[Dict[str, float]]]:
    editor = Editor()
    client = editor.client
    # At DEBUG the server logs each published lint's phases (and a server that predates
    # that log, run for comparison, would log every message whole: hence --no-phases).
    log_level = ["--log-level", "DEBUG"] if phases else []
    await client.start_io(sys.executable, "-m", "session_lint.server", *log_level, cwd=str(path.parent))
    assert client._server is not None and client._server.stderr is not None
    reader = asyncio.get_running_loop().create_task(editor.read_log(client._server.stderr))
    options = {} if debounce_ms is None else {"debounceMs": debounce_ms}
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri(), initialization_options=options))
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    text = path.read_text()
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    first = await editor.wait_for(1) - opened
    row, column = typing_place(text, into)
    version = 1
    latencies: List[float] = []
    measured: List[int] = []
    for number in range(rounds):
        typed = "#xxxx" if into == "comment" else f"{number % 90000 + 10000}"  # a new number each round
        for keystroke in range(5):
            version += 1
            at = types.Position(line=row, character=column + keystroke)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=typed[keystroke])]))
            last = time.perf_counter()
            if keystroke < 4:
                await asyncio.sleep(keystroke_ms / 1000)
        latencies.append(await editor.wait_for(version) - last)
        measured.append(version)
        # Undo the round's typing so that every round lints the same text.
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=row, character=column),
                                  end=types.Position(line=row, character=column + 5)), text="")]))
        await editor.wait_for(version)
        await asyncio.sleep(0.2)
    findings = editor.counts[1]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    await asyncio.wait_for(reader, 10)
    return latencies, first, findings, [editor.phases[v] for v in measured if v in editor.phases]


def cli_times(path: Path, rounds: int) -> List[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "concise", str(path)],
                       cwd=path.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def in_process_times(path: Path, rounds: int) -> List[float]:
    from session_lint import Settings, lint_source
    from session_lint.registry import load_rules

    ruleset = load_rules()
    rules = [ruleset.rules[code] for code in sorted(Settings().enabled_codes(ruleset.rules, ruleset.opt_in_codes()))]
    text = path.read_text()
    lint_source(text, str(path), rules, Settings(root=path.parent))  # warm-up: imports, caches
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        lint_source(text, str(path), rules, Settings(root=path.parent))
        times.append(time.perf_counter() - started)
    return times


def scan_tree(root: Path, files: int) -> None:
    """`files` modules of about 100 lines (four blocks each) in a package under `root`."""
    package = root / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for number in range(files):
        (package / f"module_{number}.py").write_text(
            HEADER + "".join(BLOCK.format(n=f"{number}_{block}") for block in range(4)))


async def scan_times(root: Path) -> List[Tuple[float, Dict[str, object]]]:
    """Two workspace scans of `root` in one server: (seconds, the command's summary) each."""
    editor = Editor()
    client = editor.client
    await client.start_io(sys.executable, "-m", "session_lint.server", cwd=str(root))
    assert client._server is not None and client._server.stderr is not None
    reader = asyncio.get_running_loop().create_task(editor.read_log(client._server.stderr))
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
    client.initialized(types.InitializedParams())
    times = []
    for _ in range(2):
        started = time.perf_counter()
        summary = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="session-lint.lintWorkspace", arguments=[]))
        times.append((time.perf_counter() - started, summary))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    await asyncio.wait_for(reader, 10)
    return times


def scan_benchmark(files: int, tree: Optional[Path]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "project"
        if tree is not None:
            shutil.copytree(tree, root, ignore=shutil.ignore_patterns(".session_lint_cache", ".git", "__pycache__"))
        else:
            root.mkdir()
            (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
            scan_tree(root, files)
        (first, summary), (second, again) = asyncio.run(scan_times(root))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "session_lint", "--output-format", "concise", "."], cwd=root,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        cli = time.perf_counter() - started
    print(f"tree: {summary['files']} files, {summary['findings']} findings")
    print()
    print("| what | seconds | files from the cache |")
    print("|---|---:|---:|")
    print(f"| first workspace scan (cache empty) | {first:.2f} | {summary['filesFromCache']} |")
    print(f"| second workspace scan | {second:.2f} | {again['filesFromCache']} |")
    print(f"| `session-lint .` after the scans (same cache) | {cli:.2f} | |")
    print()
    print(f"second scan / first: {second / first:.2f}x")


def p90(values: List[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=None, help="the server's debounce (default: its own)")
    parser.add_argument("--type-into", choices=["code", "comment"], default="code",
                        help="where the keystrokes go (default: a function in the middle of the file)")
    parser.add_argument("--keystroke-ms", type=float, default=30, help="time between two keystrokes (default: 30)")
    parser.add_argument("--server-only", action="store_true", help="skip the CLI and in-process timings")
    parser.add_argument("--no-phases", action="store_true",
                        help="do not ask the server for its log of phases (for a server without one)")
    parser.add_argument("--scan-files", type=int, default=0,
                        help="time two workspace scans of a generated tree of this many modules instead")
    parser.add_argument("--scan-tree", type=Path, default=None,
                        help="time two workspace scans of a copy of this tree instead")
    options = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if options.scan_files or options.scan_tree:
        scan_benchmark(options.scan_files, options.scan_tree)
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        return
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
        path = root / "views.py"
        path.write_text(module(options.lines))
        print(f"file: {path.read_text().count(chr(10))} lines; typing into: {options.type_into}, "
              f"a keystroke every {options.keystroke_ms:g} ms")
        floor = [] if options.server_only else in_process_times(path, options.rounds)
        latencies, first, findings, phases = asyncio.run(
            server_latencies(path, options.rounds, options.debounce_ms, options.type_into, not options.no_phases,
                             options.keystroke_ms))
        cli = [] if options.server_only else cli_times(path, max(5, options.rounds // 2))
    rows = [
        ("server: last keystroke -> diagnostics", latencies),
        ("CLI: `session-lint --no-cache FILE`, new process", cli),
        ("lint_source in process (the whole file parsed and analysed)", floor),
    ]
    rows = [(label, values) for label, values in rows if values]
    print(f"findings in the file: {findings}; server: open -> first diagnostics {first * 1000:.0f} ms "
          "(includes the project index)")
    print()
    print("| what | median ms | p90 ms | runs |")
    print("|---|---:|---:|---:|")
    for label, values in rows:
        print(f"| {label} | {statistics.median(values) * 1000:.0f} | {p90(values) * 1000:.0f} | {len(values)} |")
    print()
    if cli and floor:
        print(f"server latency / CLI run: {statistics.median(latencies) / statistics.median(cli):.2f}x; "
              f"server latency / lint_source: {statistics.median(latencies) / statistics.median(floor):.2f}x")
    if phases:
        print()
        print("where the server's time went, from its log (median ms over the measured lints; wait = debounce):")
        names = [name for name in phases[0] if all(name in row for row in phases)]
        print(" ".join(f"{name} {statistics.median(row[name] for row in phases):.1f}" for name in names))
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
