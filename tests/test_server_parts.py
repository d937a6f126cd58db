"""Parts of the language server tested in process: the incremental parse of an edited
document, the long-lived lint thread, abandoning the lint of a text edited again, and the
lines a message names. (The server end to end, as an editor drives it: test_server.py.)"""
from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst
import pytest

pytest.importorskip("pygls")

from session_lint.semantic.positions import StatementPositions, whole_module_positions  # noqa: E402
from session_lint.server.document_lint import Abandon, DocumentLinter, Snapshot  # noqa: E402
from session_lint.server.project_indexes import ProjectIndexes  # noqa: E402
from session_lint.settings import Settings  # noqa: E402
from session_lint.server.incremental_parse import IncrementalParser, chunk_texts  # noqa: E402
from session_lint.server.related import NamedLine, named_lines, place_on_line  # noqa: E402
from session_lint.server.scheduler import LintScheduler  # noqa: E402
from session_lint.server.worker import BigStackWorker, on_big_stack  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent


# -- the incremental parse ---------------------------------------------------------------------


def _same_as_libcst(parser: IncrementalParser, text: str, positions: Optional[StatementPositions] = None) -> None:
    """`parser(text)` is what `libcst.parse_module(text)` gives, node for node, or raises
    the same kind of error; and the positions `positions` keeps for its statements are
    libcst's positions of every node of it."""
    try:
        expected: Optional[cst.Module] = cst.parse_module(text)
        expected_error = None
    except Exception as error:
        expected, expected_error = None, type(error)
    try:
        got: Optional[cst.Module] = parser(text)
        got_error = None
    except Exception as error:
        got, got_error = None, type(error)
    assert got_error == expected_error, text
    if expected is not None:
        assert got is not None and got.deep_equals(expected), text
        assert got.code == expected.code
        if positions is not None:
            kept = positions.ranges(got)
            if kept is not None:
                assert kept == whole_module_positions(got), text


def _edits(text: str, rng: random.Random, count: int) -> List[str]:
    """Lines deleted, inserted (blocks, comments, decorators, unbalanced brackets) and
    characters typed, each edit on top of the one before."""
    snippets = ["", "    # c", "  ", "x = 1", "def g():\n    pass", "(", ")", "# top", "@dec", "if x:\n  y",
                "\t", "else:\n    pass", '"""', "\\"]
    lines = text.split("\n")
    texts = []
    for _ in range(count):
        edited = list(lines)
        at = rng.randrange(len(edited))
        kind = rng.random()
        if kind < 0.3:
            del edited[at]
        elif kind < 0.7:
            edited.insert(at, rng.choice(snippets))
        else:
            column = rng.randrange(len(edited[at]) + 1)
            edited[at] = edited[at][:column] + rng.choice("x :#('") + edited[at][column:]
        texts.append("\n".join(edited))
    return texts


EDGE_CASES = [
    "x = 1\n  \n\t\n# c\n  # d\ny = 2\n",  # whitespace-only lines before comments
    "x = 1\n  \n# c\ny = 2",  # and no newline at the end
    "x = 1\r\ny = 2\r\n",  # CRLF throughout
    "x = 1\r\ny = 2\n",  # mixed line ends: parsed whole
    "x = 1\ry = 2\n",  # a lone CR
    "@a\n# c\n@b\ndef f():\n\tpass\n\n\nclass C:\n  def m(self):\n      pass\n  # trailing\n# top\nz = 3\n",
    "x = 1\n\x0c\ny = 2\n",  # a form feed
    "x = 1; y = 2\nz = 3\n",
    "if x:\n    pass\nelse:\n    pass\ny = 1\n",
    "@(\nfoo\n)\ndef f(): pass\nx = 1\n",
    "(\na\n).b = 1\nx = 2\n",
    "def f():\n    return 1\n    # in\n  # mid\n\n# out\nx = 1\n",
    "x = '''\nmulti\n'''\ny = 2\n",
    "def f():\n  pass\n\ndef g():\n    pass\n",  # the module's indentation is the first block's
    "def f(): pass\ndef g():\n\tpass\ndef h():\n  pass\n",
    "x = 1\n\\\n\ny = 2\n",
    "match x:\n    case 1:\n        pass\ny = 2\n",
    "# only comments\n",
    "",
    "x = 1\ndef broken(:\n    pass\n",
    "\ufeffx = 1\ny = 2\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_the_incremental_parse_is_libcsts_parse(text: str) -> None:
    parser = IncrementalParser()
    positions = StatementPositions()
    for version in (text, text + "\nq = 1\n", "\n# new\n" + text, text.replace("x", "xx"), text):
        _same_as_libcst(parser, version, positions)


def _fixture_files() -> List[Path]:
    return sorted({*REPOSITORY.glob("rules/*/*.py"), *REPOSITORY.glob("examples/**/*.py")})


def test_the_incremental_parse_is_libcsts_parse_over_random_edits_of_the_fixtures() -> None:
    """Edits of every rule fixture and example (`_edits`), each parsed after the one before
    by the same parser, and its positions found from the statements the edits kept."""
    rng = random.Random(21)
    files = _fixture_files()
    assert len(files) > 50
    for path in rng.sample(files, 40):  # a fixed sample: the whole set takes a minute
        text = path.read_text(encoding="utf-8")
        parser = IncrementalParser()
        positions = StatementPositions()
        _same_as_libcst(parser, text, positions)
        for edited in _edits(text, rng, 4):
            _same_as_libcst(parser, edited, positions)


def test_an_edit_parses_only_the_statement_it_touches() -> None:
    text = "".join(f"def f{n}(session):\n    return session.get(User, {n})\n\n\n" for n in range(30))
    parser = IncrementalParser()
    parser(text)
    assert (parser.parsed, parser.reused) == (30, 0)
    edited = text.replace("session.get(User, 12)", "session.get(User, 123)")
    assert parser(edited).deep_equals(cst.parse_module(edited))
    assert (parser.parsed, parser.reused) == (1, 29)
    # The text before the edit comes back (an undo): nothing is parsed.
    parser(text)
    assert (parser.parsed, parser.reused) == (0, 30)


def test_an_edit_prints_only_the_statement_it_touches_for_positions() -> None:
    text = "".join(f"# f{n}\ndef f{n}(session):\n    return session.get(User, {n})\n\n\n" for n in range(30))
    parser = IncrementalParser()
    positions = StatementPositions()
    _same_as_libcst(parser, text, positions)
    assert (positions.printed, positions.reused) == (30, 0)
    # A character typed: one statement printed again, the others' positions reused as they are.
    _same_as_libcst(parser, text.replace("User, 12)", "User, 123)"), positions)
    assert (positions.printed, positions.reused) == (1, 29)
    # A line added in a function: the statements below it are moved down a line, not printed again.
    longer = text.replace("    return session.get(User, 3)", "    x = 1\n    return session.get(User, 3)")
    _same_as_libcst(parser, longer, positions)
    assert (positions.printed, positions.reused) == (1, 29)
    # A statement written twice has nodes of its own each time, and its own positions.
    twice = "x = 1\ny = 2\nx = 1\n"
    module = parser(twice)
    assert module.body[0] is not module.body[2]
    _same_as_libcst(parser, twice, positions)


def test_text_the_chunks_cannot_take_is_parsed_whole() -> None:
    parser = IncrementalParser()
    parser("x = 1\ry = 2\n")
    assert (parser.parsed, parser.reused) == (-1, -1)
    assert chunk_texts("x = 1\ry = 2\n") is None
    assert chunk_texts("def broken(:\n") is None
    assert chunk_texts("x = 1\n\n# c\ny = 2\n") == ["x = 1\n\n# c\n", "y = 2\n"]


# -- the project's index as files change ---------------------------------------------------------


def test_a_saved_module_updates_the_index_and_says_when_other_files_see_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = \"app\"\n")
    helper = tmp_path / "crud.py"
    helper.write_text("from sqlalchemy.orm import Session\n\n\ndef save(db: Session, row):\n    db.add(row)\n")
    (tmp_path / "api.py").write_text("from crud import save\n")
    indexes = ProjectIndexes()
    settings = Settings(root=tmp_path)
    index = indexes.for_settings(settings)
    assert not index.summaries.function(str(helper.resolve()), "save").commits
    # Saved as it was: the same index.
    assert indexes.file_changed(helper) is False
    assert indexes.for_settings(settings) is index
    # The helper commits now: other modules see it.
    helper.write_text(helper.read_text() + "    db.commit()\n")
    assert indexes.file_changed(helper) is True
    updated = indexes.for_settings(settings)
    assert updated is not index and updated.summaries.function(str(helper.resolve()), "save").commits
    # A comment: the facts move a line, nothing other files see changes.
    helper.write_text("# the helpers\n" + helper.read_text())
    assert indexes.file_changed(helper) is False
    assert indexes.for_settings(settings).summaries.function(str(helper.resolve()), "save").commits
    # A new module: the index is built again, with it.
    (tmp_path / "jobs.py").write_text("from crud import save\n")
    assert indexes.file_changed(tmp_path / "jobs.py") is True
    rebuilt = indexes.for_settings(settings)
    assert rebuilt.module_key(str(tmp_path / "jobs.py")) is not None
    # The helper is deleted: its summary goes.
    helper.unlink()
    assert indexes.file_changed(helper) is True
    assert indexes.for_settings(settings).summaries.function(str(helper.resolve()), "save") is None


# -- the lint thread ------------------------------------------------------------------------------


def test_the_lint_thread_is_one_long_lived_thread_with_the_parsers_stack() -> None:
    worker = BigStackWorker()
    try:
        seen = [worker.submit(lambda: (threading.get_ident(), on_big_stack())).result(10) for _ in range(3)]
        assert len({ident for ident, _ in seen}) == 1 and all(big for _, big in seen)
        assert not on_big_stack()  # this thread is not the worker

        def fails() -> None:
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            worker.submit(fails).result(10)
        assert worker.submit(lambda: 42).result(10) == 42  # it serves on after a failure
    finally:
        worker.shutdown()
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)


# -- abandoning a lint ------------------------------------------------------------------------------


def test_a_lint_whose_document_changes_again_is_abandoned_and_not_published() -> None:
    """The first lint blocks until it is abandoned (as the engine stops at its next check);
    its result is never delivered, the lint of the newer text is."""
    texts: Dict[str, Snapshot] = {"u": Snapshot("u", None, "v1", 1)}
    started = threading.Event()
    linted: List[Tuple[int, bool]] = []
    delivered: List[int] = []

    def lint(snapshot: Snapshot, abandon: Abandon) -> int:
        stopped = threading.Event()
        abandon.listen(stopped.set)
        if snapshot.version == 1:
            started.set()
            assert stopped.wait(10), "the first lint was never abandoned"
        linted.append((snapshot.version or 0, abandon.requested))
        return snapshot.version or 0

    async def main() -> None:
        executor = ThreadPoolExecutor(max_workers=1)
        scheduler: LintScheduler[int] = LintScheduler(executor, texts.get, lint, delivered.append, debounce=0.01)
        scheduler.request("u", 0)
        while not started.is_set():
            await asyncio.sleep(0.01)
        texts["u"] = Snapshot("u", None, "v2", 2)
        scheduler.request("u")  # a keystroke: the running lint is abandoned at once
        while scheduler.busy():
            await asyncio.sleep(0.01)
        executor.shutdown()

    asyncio.run(main())
    assert linted == [(1, True), (2, False)]
    assert delivered == [2]


def test_an_abandoned_lint_stops_its_analysis(tmp_path: Path) -> None:
    """Through the engine's `on_model`: the model's deadline ends the analysis, as a spent
    time budget does."""
    from session_lint.registry import load_rules
    from session_lint.server.project_indexes import ProjectIndexes
    from session_lint.server.workspace_settings import SettingsStore

    from tests.test_server import ORM503_SOURCE as source

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    linter = DocumentLinter(SettingsStore(load_rules()), ProjectIndexes(), tmp_path)
    snapshot = Snapshot((tmp_path / "app.py").as_uri(), tmp_path / "app.py", source, 1)
    assert [d.code for d in linter.lint(snapshot, Abandon()).diagnostics] == ["ORM503"]
    abandoned = Abandon()
    abandoned.request()
    result = linter.lint(snapshot, abandoned)
    assert result.diagnostics == []
    assert any("not fully checked" in warning for warning in result.warnings)


def test_an_edited_document_gets_the_findings_of_a_lint_from_scratch(tmp_path: Path) -> None:
    """The server's lint of each version of an edited document (its statements' parses and
    positions reused from the version before, on the lint thread) reports what the
    engine reports for that text with nothing reused, as the CLI lints it."""
    from session_lint.engine import lint_source
    from session_lint.registry import load_rules
    from session_lint.server.workspace_settings import SettingsStore

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    store = SettingsStore(load_rules())
    indexes = ProjectIndexes()
    linter = DocumentLinter(store, indexes, tmp_path)
    worker = BigStackWorker()
    rng = random.Random(7)
    files = [path for path in _fixture_files() if path.stat().st_size > 1500]
    compared = 0
    try:
        for number, fixture in enumerate(rng.sample(files, 12)):
            path = tmp_path / f"module_{number}.py"
            uri = path.as_uri()
            text = fixture.read_text(encoding="utf-8")
            for version, edited in enumerate([text, *_edits(text, rng, 5), text], start=1):
                result = worker.submit(linter.lint, Snapshot(uri, path, edited, version)).result()
                chosen = store.for_directory(tmp_path)
                expected = lint_source(edited, str(path), chosen.rules, chosen.settings,
                                       indexes.for_settings(chosen.settings))
                assert result.diagnostics == [d for d in expected.diagnostics if chosen.reports(d.code, path)], \
                    (fixture.name, version)
                compared += bool(result.diagnostics)
            linter.forget(uri)
    finally:
        worker.shutdown()
    assert compared > 20


# -- the lines a message names ----------------------------------------------------------------------


def test_the_lines_a_message_names_are_read_from_its_clauses() -> None:
    assert named_lines("`session.add()` is never committed: `session.close()` on line 15 closes the session "
                       "without `session.commit()`, so the new User is discarded") == [
        NamedLine(15, "`session.close()` on line 15", "session.close()")]
    assert named_lines("`user.name` reads `user` after its session ended: `session.commit()` on line 22 expired "
                       "`user` and the `with Session(engine) as session` block closed the session when it ended "
                       "on line 22, so this raises DetachedInstanceError\nhelp: pass `expire_on_commit=False` to "
                       "`SessionLocal` (line 11)") == [
        NamedLine(22, "`session.commit()` on line 22", "session.commit()"),
        NamedLine(11, "`SessionLocal` (line 11)", "SessionLocal")]
    assert named_lines("`session = SessionLocal()` is not closed when `f()` returns on line 14: its connection "
                       "stays checked out") == [NamedLine(14, "`f()` returns on line 14", "f()")]
    assert named_lines("the function returns on line 47 inside the `with` block") == [
        NamedLine(47, "the function returns on line 47", None)]
    assert named_lines("`x = 'see line 3'` is odd") == []  # quoted code is not the message's words


def test_a_named_line_is_underlined_at_the_code_it_quotes() -> None:
    assert place_on_line("    session.close()  # done", "session.close()") == (4, 19)
    assert place_on_line("    return user   ", "session.close()") == (4, 15)  # not there: the line
    assert place_on_line("    return user", None) == (4, 15)
