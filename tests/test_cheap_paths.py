"""Work skipped where it cannot change an answer (docs/performance.md, round 8): the gate runs
before the lint thread and before the worker pool; `imported_names` without a regular
expression over the whole text; `lookup_names` and the fingerprint's row classes without
resolving calls when no function of the project can name a row class or no class can have
a query attribute."""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import List, Set

import pytest

from session_lint import Settings, engine, runner
from session_lint.engine import imported_names, lint_source
from session_lint.project import mapped_classes
from session_lint.project_index import _IMPORT_TAIL, ProjectIndex
from session_lint.rules import BUILTIN_RULES

ROOT = Path(__file__).resolve().parents[1]


def _projects() -> List[List[Path]]:
    """Every fixture project of rules/ (a subdirectory of a rule's directory) and every
    example application."""
    found = [sorted(directory.rglob("*.py")) for directory in sorted((ROOT / "rules").glob("*/*"))
             if directory.is_dir()]
    found += [sorted(directory.rglob("*.py")) for directory in sorted((ROOT / "examples").iterdir())
              if directory.is_dir()]
    return [files for files in found if files]


class _CountedThread(threading.Thread):
    started: List[str] = []

    def start(self) -> None:
        _CountedThread.started.append(self.name)
        super().start()


def test_a_file_the_gate_stops_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.threading, "Thread", _CountedThread)
    _CountedThread.started = []
    quiet = lint_source("import os\n\n\ndef f(session):\n    session.add(1)\n", "plain.py", BUILTIN_RULES, Settings())
    assert quiet.diagnostics == [] and not quiet.parsed
    assert _CountedThread.started == []
    text = ("from sqlalchemy.orm import Session\n\n\ndef f(engine, users):\n    with Session(engine) as session:\n"
            "        for user in users:\n            session.add(user)\n            session.commit()\n")
    linted = lint_source(text, "app.py", BUILTIN_RULES, Settings())
    assert linted.parsed and [d.code for d in linted.diagnostics] == ["ORM103"]
    assert _CountedThread.started == ["session-lint-parse"]


def test_the_gate_failing_is_reported_as_the_lint_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ValueError("broken gate")

    monkeypatch.setattr(engine, "_admit", broken)
    result = lint_source("import sqlalchemy\n", "app.py", BUILTIN_RULES, Settings())
    assert [d.code for d in result.diagnostics] == ["ORM002"]
    assert "broken gate" in result.diagnostics[0].message and result.tracebacks


def test_a_pool_is_not_started_for_files_the_gate_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six files, two with SQLAlchemy: the gate runs in this process, the two are linted
    here (fewer than a pool pays for), and the results keep the files' order."""
    names = []
    for number in range(6):
        path = tmp_path / f"m{number}.py"
        body = "import os\n" if number not in (1, 4) else (
            "from sqlalchemy.orm import Session\n\n\ndef f(engine, users):\n    with Session(engine) as session:\n"
            "        for user in users:\n            session.add(user)\n            session.commit()\n")
        path.write_text(body, encoding="utf-8")
        names.append(str(path))

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started")

    monkeypatch.setattr(runner, "_pool", no_pool)
    job = runner.Job(tuple(BUILTIN_RULES), Settings(), ProjectIndex())
    items = [(name, Path(name).read_bytes()) for name in names]
    outputs = runner._lint_in_pool(items, job, 2)
    assert [name for name, _ in outputs] == names
    codes = {Path(name).name: [d.code for d in result.diagnostics] for name, result in outputs}
    assert codes == {"m0.py": [], "m1.py": ["ORM103"], "m2.py": [], "m3.py": [], "m4.py": ["ORM103"], "m5.py": []}


# The regular expression `imported_names` replaced: its answer is the reference.
_IMPORTED_NAMES = re.compile(r"\bimport\b" + _IMPORT_TAIL.pattern)


def _reference_imported_names(text: str) -> Set[str]:
    found: Set[str] = set()
    for match in _IMPORTED_NAMES.finditer(text):
        found.update(re.findall(r"\w+", match.group(1)))
    return found


_ODD_IMPORTS = [
    "import", "importx", "x import y", "_import a", "import\\\nb", "reimport c\nimport d",
    "from a import (b,  # import c)\n d)\nimport e", "from a import (b\n", "é import f", "import(",
    "a.import b", "importimport c", "\u00e9import g", "import\u00e9 h", "import \\\r\nk", "x = 'important'",
    '"""files may import (`from app.db import SessionLocal`). Scanned for the index"""',
]


def test_imported_names_is_the_regular_expressions_answer() -> None:
    texts = list(_ODD_IMPORTS)
    for directory in ("src", "tests", "rules", "examples"):
        texts += [path.read_text(encoding="utf-8", errors="replace")
                  for path in sorted((ROOT / directory).rglob("*.py"))]
    assert len(texts) > 300
    for text in texts:
        assert imported_names(text) == _reference_imported_names(text), text[:200]


@pytest.mark.parametrize("files", _projects(), ids=lambda files: str(files[0].parent.relative_to(ROOT)))
def test_the_row_class_shortcuts_change_no_answer(files: List[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    summaries = ProjectIndex.scan(files).summaries
    fast = (mapped_classes.lookup_names(summaries), list(mapped_classes._row_classes(summaries)))
    monkeypatch.setattr(mapped_classes, "_names_row_classes", lambda facts: True)
    monkeypatch.setattr(mapped_classes, "_declares_query_attributes", lambda facts: True)
    summaries = ProjectIndex.scan(files).summaries
    assert (mapped_classes.lookup_names(summaries), list(mapped_classes._row_classes(summaries))) == fast


def test_the_row_class_shortcuts_are_not_always_taken() -> None:
    """Some fixture project has row classes and some class a query attribute other than
    `query`: the comparison above is not between two empty answers everywhere."""
    rows = queries = False
    for files in _projects():
        facts = ProjectIndex.scan(files).summaries.facts
        rows = rows or mapped_classes._names_row_classes(facts)
        queries = queries or mapped_classes._declares_query_attributes(facts)
    assert rows and queries


def test_real_paths_are_what_resolve_gives(tmp_path: Path) -> None:
    """discovery._real_paths resolves each directory once; a link, a `..` after a link and
    a missing file resolve as `Path.resolve` has them."""
    import os

    from session_lint.discovery import _inside, _real_paths

    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.py").write_text("", encoding="utf-8")
    os.symlink(tmp_path / "a" / "x.py", tmp_path / "b" / "link.py")
    os.symlink(tmp_path / "a", tmp_path / "dir-link")
    paths = [tmp_path / "a" / "x.py", tmp_path / "b" / "link.py", tmp_path / "dir-link" / "x.py",
             Path(f"{tmp_path / 'dir-link'}/../b/link.py"), tmp_path / "a" / "sub" / ".." / "x.py",
             tmp_path / "missing" / "f.py", Path("relative.py")]
    assert list(_real_paths(paths)) == [str(path.resolve()) for path in paths]
    assert [_inside(str(path.resolve()), str(tmp_path / "a")) for path in paths] == \
        [path.resolve().is_relative_to(tmp_path / "a") for path in paths]
    assert _inside("/x/y", "/") and not _inside("/ab", "/a")


def _answer_chunk(items: List[tuple]) -> List[tuple]:
    if any(name == "bad" for name, _ in items):
        raise ValueError("a scan that fails")
    return [(name, len(data)) for name, data in items]


def test_every_chunk_is_answered_once_by_this_process_or_a_worker() -> None:
    """`_by_chunks_in_pool` at -j2: one worker takes chunks from the front, this process
    from the back; every answer arrives, and a chunk that fails is left out wherever it ran."""
    items = [(f"f{number}", b"x" * (40_000 + number)) for number in range(40)]
    found = runner._by_chunks_in_pool(_answer_chunk, items, 2)
    assert found == {name: len(data) for name, data in items}
    failing = runner._by_chunks_in_pool(_answer_chunk, [*items[:20], ("bad", b"x" * 100), *items[20:]], 2)
    assert "bad" not in failing and set(failing) <= {name for name, _ in items}
    assert all(failing[name] == len(data) for name, data in items if name in failing)


def _pathspec_loaded_by_walk(root: Path, extend_exclude: tuple) -> bool:
    import subprocess
    import sys

    probe = ("import sys\nfrom pathlib import Path\nfrom session_lint.discovery import collect_files\n"
             "from session_lint.settings import Settings\n"
             f"found = collect_files([{str(root)!r}], Settings(root=Path({str(root)!r}), "
             f"extend_exclude={extend_exclude!r})).files\n"
             "print(len(found), 'pathspec' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    count, loaded = completed.stdout.split()
    assert count == "2"
    return loaded == "True"


def test_plain_excludes_do_not_load_pathspec(tmp_path: Path) -> None:
    """The default excludes are plain names, matched without a gitignore spec: a walk of a
    tree with no .gitignore imports no pathspec; a glob among the excludes does."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a.py").write_text("", encoding="utf-8")
    (tmp_path / "b.py").write_text("", encoding="utf-8")
    assert not _pathspec_loaded_by_walk(tmp_path, ())
    assert _pathspec_loaded_by_walk(tmp_path, ("docs/*.py",))


# -- paths made without the parse (`path_text`) ------------------------------------------------
@pytest.mark.parametrize("text", ["/", "/a", "/srv/app/models/__init__.py", "/x y/é.py", "relative/x.py", "x.py",
                                  "/tmp/.hidden/a.b.py"])
def test_a_path_from_its_text_is_the_parsed_path(text: str) -> None:
    from session_lint.path_text import path_of

    made, parsed = path_of(text), Path(text)
    assert type(made) is type(parsed) and made == parsed and hash(made) == hash(parsed)
    assert (str(made), made.parts, made.parent, made.name, made.suffix, made / "x") == \
        (str(parsed), parsed.parts, parsed.parent, parsed.name, parsed.suffix, parsed / "x")


def test_the_walk_finds_the_paths_the_parse_makes(tmp_path: Path) -> None:
    from session_lint.discovery import collect_files

    for name in ("app/models.py", "app/views/users.py", "top.py", "a b/é.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n", encoding="utf-8")
    found = collect_files([str(tmp_path)], Settings(root=tmp_path)).files
    assert sorted(map(str, found)) == sorted(str(path) for path in tmp_path.rglob("*.py"))
    for path in found:
        assert path == Path(str(path)) and path.parts == Path(str(path)).parts and path.parent == Path(str(path)).parent


# -- the gate asks each `requires` once (`_TokenCheck.passes_any`) --------------------------------
def test_passes_any_answers_as_every_rule_asked_in_turn() -> None:
    from session_lint.engine import _TokenCheck
    from session_lint.rule import Rule

    class Plugin(Rule):
        code = "XYZ101"
        name = "plugin"
        summary = "a plugin rule with other evidence"
        tokens = ("cursor",)
        requires = ("psycopg",)

    rules = [*BUILTIN_RULES, Plugin]
    texts = ["import os\n", "from sqlalchemy import select\n", "import psycopg\ncursor = None\n",
             "import psycopg\n", "session.query(User).first()\n", "from idlelib.query import Query\n"]
    for text in texts:
        for chosen in (rules, [Plugin], list(BUILTIN_RULES[:3])):
            check = _TokenCheck.of_file(text, ProjectIndex(), None)
            assert check.passes_any(chosen) == any(_TokenCheck.of_file(text, ProjectIndex(), None).passes(rule)
                                                   for rule in chosen), (text, chosen)
