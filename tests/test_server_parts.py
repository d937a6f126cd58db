"""Parts of the language server tested in process: the incremental parse of an edited
document, the long-lived lint thread, abandoning the lint of a text edited again, and the
lines a message names. (The server end to end, as an editor drives it: test_server.py.)"""
from __future__ import annotations

import asyncio
import random
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst
import pytest

pytest.importorskip("pygls")

from session_lint.server.document_lint import Abandon, DocumentLinter, Snapshot  # noqa: E402
from session_lint.server.incremental_parse import IncrementalParser, chunk_texts  # noqa: E402
from session_lint.server.related import NamedLine, named_lines, place_on_line  # noqa: E402
from session_lint.server.scheduler import LintScheduler  # noqa: E402
from session_lint.server.worker import BigStackWorker, on_big_stack  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent


# -- the incremental parse ---------------------------------------------------------------------


def _same_as_libcst(parser: IncrementalParser, text: str) -> None:
    """`parser(text)` is what `libcst.parse_module(text)` gives, node for node, or raises
    the same kind of error."""
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
    for version in (text, text + "\nq = 1\n", text.replace("x", "xx"), text):
        _same_as_libcst(parser, version)


def _fixture_files() -> List[Path]:
    return sorted({*REPOSITORY.glob("rules/*/*.py"), *REPOSITORY.glob("examples/**/*.py")})


def test_the_incremental_parse_is_libcsts_parse_over_random_edits_of_the_fixtures() -> None:
    """Lines deleted, inserted (blocks, comments, decorators, unbalanced brackets) and
    characters typed into every rule fixture and example, each edit parsed after the one
    before by the same parser."""
    snippets = ["", "    # c", "  ", "x = 1", "def g():\n    pass", "(", ")", "# top", "@dec", "if x:\n  y",
                "\t", "else:\n    pass", '"""', "\\"]
    rng = random.Random(21)
    files = _fixture_files()
    assert len(files) > 50
    for path in rng.sample(files, 40):  # a fixed sample: the whole set takes a minute
        text = path.read_text(encoding="utf-8")
        parser = IncrementalParser()
        _same_as_libcst(parser, text)
        lines = text.split("\n")
        for _ in range(4):
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
            _same_as_libcst(parser, "\n".join(edited))


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


def test_text_the_chunks_cannot_take_is_parsed_whole() -> None:
    parser = IncrementalParser()
    parser("x = 1\ry = 2\n")
    assert (parser.parsed, parser.reused) == (-1, -1)
    assert chunk_texts("x = 1\ry = 2\n") is None
    assert chunk_texts("def broken(:\n") is None
    assert chunk_texts("x = 1\n\n# c\ny = 2\n") == ["x = 1\n\n# c\n", "y = 2\n"]


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

    source = textwrap.dedent("""\
        from typing import Optional

        from sqlalchemy import select
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"

            id: Mapped[int] = mapped_column(primary_key=True)
            deleted_at: Mapped[Optional[int]]


        def alive():
            return select(User).where(User.deleted_at is None)
        """)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    linter = DocumentLinter(SettingsStore(load_rules()), ProjectIndexes(), tmp_path)
    snapshot = Snapshot((tmp_path / "app.py").as_uri(), tmp_path / "app.py", source, 1)
    assert [d.code for d in linter.lint(snapshot, Abandon()).diagnostics] == ["ORM503"]
    abandoned = Abandon()
    abandoned.request()
    result = linter.lint(snapshot, abandoned)
    assert result.diagnostics == []
    assert any("not fully checked" in warning for warning in result.warnings)


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
