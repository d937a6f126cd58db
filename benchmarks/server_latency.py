"""How long after the last keystroke the language server publishes diagnostics (issue 21).

    python benchmarks/server_latency.py [--lines 1000] [--rounds 20] [--debounce-ms 100]

Generates a 1,000-line module of SQLAlchemy code with findings of several rules, starts
`python -m session_lint.server` as an editor does (a subprocess spoken to over stdin/stdout
by pygls' own client), opens the module, and then, `--rounds` times, types a burst of five
keystrokes 30 ms apart and measures the time from the last keystroke to the diagnostics
of that version. For comparison it times a full CLI run on the same file (`session-lint
--no-cache FILE`, a new process each time, as pre-commit or an editor's "run on save"
plugin would start it) and one `lint_source` call in this process (the floor: parsing and
analysis alone). Prints medians, the 90th percentile and the ratios.

Not part of the test suite: timings on a shared machine vary; read the load average
printed first. Needs the `server` extra (pygls).
"""
from __future__ import annotations

import argparse
import asyncio
import os
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


class Editor:
    def __init__(self) -> None:
        self.client = LanguageClient("latency-benchmark", "1")
        self.published: Dict[int, float] = {}  # version -> when its diagnostics arrived
        self.counts: Dict[int, int] = {}
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


async def server_latencies(path: Path, rounds: int, debounce_ms: Optional[int]) -> Tuple[List[float], float, int]:
    editor = Editor()
    client = editor.client
    await client.start_io(sys.executable, "-m", "session_lint.server", cwd=str(path.parent))
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
    lines = text.splitlines()
    row = len(lines) - 1  # type into the trailing blank lines: the findings stay the same
    version = 1
    latencies: List[float] = []
    for _ in range(rounds):
        for keystroke in range(5):
            version += 1
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=row, character=keystroke),
                                      end=types.Position(line=row, character=keystroke)),
                    text="#" if keystroke == 0 else "x")]))
            last = time.perf_counter()
            if keystroke < 4:
                await asyncio.sleep(0.03)
        latencies.append(await editor.wait_for(version) - last)
        # Undo the round's typing so that every round lints the same text.
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=row, character=0),
                                  end=types.Position(line=row, character=5)), text="")]))
        await editor.wait_for(version)
        await asyncio.sleep(0.2)
    findings = editor.counts[1]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, first, findings


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


def p90(values: List[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=None, help="the server's debounce (default: its own)")
    options = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
        path = root / "views.py"
        path.write_text(module(options.lines))
        print(f"file: {path.read_text().count(chr(10))} lines")
        floor = in_process_times(path, options.rounds)
        latencies, first, findings = asyncio.run(server_latencies(path, options.rounds, options.debounce_ms))
        cli = cli_times(path, max(5, options.rounds // 2))
    rows = [
        ("server: last keystroke -> diagnostics", latencies),
        ("CLI: `session-lint --no-cache FILE`, new process", cli),
        ("lint_source in process (parse + analysis)", floor),
    ]
    print(f"findings in the file: {findings}; server: open -> first diagnostics {first * 1000:.0f} ms "
          "(includes the project index)")
    print()
    print("| what | median ms | p90 ms | runs |")
    print("|---|---:|---:|---:|")
    for label, values in rows:
        print(f"| {label} | {statistics.median(values) * 1000:.0f} | {p90(values) * 1000:.0f} | {len(values)} |")
    print()
    print(f"server latency / CLI run: {statistics.median(latencies) / statistics.median(cli):.2f}x; "
          f"server latency / lint_source: {statistics.median(latencies) / statistics.median(floor):.2f}x")


if __name__ == "__main__":
    main()
