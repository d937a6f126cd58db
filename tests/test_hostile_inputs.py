"""Odd, broken and hostile inputs: one clear line each, the right exit code, the run goes on."""
from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from session_lint import Finding, Rule, RuleContext, Settings, lint_source
from session_lint.cli import main
from session_lint.flake8_plugin import SessionLintPlugin
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files

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


def codes(data: bytes) -> List[Tuple[int, str, str]]:
    result = lint_source(data, "hostile.py", BUILTIN_RULES, Settings())
    return [(d.location.row, d.code, d.message) for d in result.diagnostics]


def flake8(lines: List[str]) -> List[Tuple[int, int, str]]:
    plugin = SessionLintPlugin(ast.parse(""), lines, "hostile.py")
    return [(row, col, text) for row, col, text, _ in plugin.run()]


# -- source text ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, expected",
    [
        (b"def f(:\n    session.add(x)\n", "syntax error: invalid syntax"),
        (b'print "hello"\nsession.add(1)\n', "syntax error: Missing parentheses in call to 'print'"),
        (b"s = '\xe9\xff'\nsession.add(s)\n", "cannot read source"),
        (b"x = 1\x00\nsession.add(1)\n", "the file contains NUL bytes"),
        (bytes(range(256)) * 4 + b".add(", "the file contains NUL bytes"),
        (b"x = " + b"(" * 10000 + b"1" + b")" * 10000 + b"\nsession.add(x)\n", "too many nested parentheses"),
        (b"# -*- coding: not-a-codec -*-\nsession.add(1)\n", "cannot read source"),
    ],
    ids=["syntax", "python2", "not-utf8", "nul", "binary", "deep-parens", "bad-cookie"],
)
def test_unparseable_source_is_one_orm001(data: bytes, expected: str) -> None:
    found = codes(data)
    assert len(found) == 1, found
    assert found[0][1] == "ORM001" and expected in found[0][2]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"# -*- coding: latin-1 -*-\ns = '\xe9'\nsession.add(s)\n",
        b"\xef\xbb\xbf" + BAD.encode(),
        BAD.replace("\n", "\r\n").encode(),
        BAD.replace("\n", "\r").encode(),
        b"x = " + b"+".join([b"a"] * 2000) + b"\nsession.add(x)\n",
        b"x = '" + b"(" * 500 + b"'\nsession.add(x)\n",
    ],
    ids=["empty", "latin1-cookie", "bom", "crlf", "cr", "long-operator-chain", "brackets-in-string"],
)
def test_odd_but_valid_source_is_checked(data: bytes) -> None:
    found = codes(data)
    assert all(code != "ORM002" for _, code, _ in found)
    if b"Session(engine)" in data:
        assert [(row, code) for row, code, _ in found] == [(5, "ORM101")]
    else:
        assert found == []


def test_huge_file_is_reported_not_parsed() -> None:
    data = b"".join(b"x_%d = %d\n" % (i, i) for i in range(1_000_000)) + b"session.add(1)\n"
    assert len(data) > 8 * 1024 * 1024
    found = codes(data)
    assert len(found) == 1 and found[0][1] == "ORM001" and "larger than the 8 MB limit" in found[0][2]


def test_huge_file_without_anything_to_find_is_fine() -> None:
    data = b"".join(b"x_%d = %d\n" % (i, i) for i in range(1_000_000))
    assert codes(data) == []


# -- the same inputs through flake8 ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["def f(:\n    session.add(x)\n", "x = 1\x00\nsession.add(1)\n", "", "\ufeff" + BAD,
     "x = " + "(" * 10000 + "1" + ")" * 10000 + "\nsession.add(x)\n", BAD.replace("\n", "\r\n")],
    ids=["syntax", "nul", "empty", "bom", "deep", "crlf"],
)
def test_flake8_plugin_never_raises(text: str) -> None:
    lines = text.splitlines(keepends=True)
    results = flake8(lines)
    assert all("ORM002" not in message for _, _, message in results)
    if "Session(engine)" in text:
        assert [(row, col, message[:6]) for row, col, message in results] == [(5, 8, "ORM101")]


def test_flake8_plugin_reports_internal_errors_instead_of_raising(monkeypatch) -> None:
    import session_lint.engine as engine

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "lint_source", explode)
    results = flake8(BAD.splitlines(keepends=True))
    assert len(results) == 1 and results[0][2].startswith("ORM002 session-lint failed on this file: RuntimeError: boom")


# -- files and paths -------------------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "good.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_binary_file_named_py(tree, capsys) -> None:
    (tree / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, out, _ = cli(["."], capsys)
    assert code == 1
    assert "image.py:1:1: ORM001 cannot read source: the file contains NUL bytes" in out
    assert "good.py:5:9: ORM101" in out


def test_unreadable_file(tree, capsys, monkeypatch) -> None:
    (tree / "secret.py").write_text(BAD)
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, out, err = cli(["--jobs", "1", "."], capsys)
    assert code == 2
    assert "good.py:5:9: ORM101" in out
    assert err.strip() == "session-lint: error: secret.py: cannot read: Permission denied"


def test_file_deleted_during_the_run(tree, capsys, monkeypatch) -> None:
    import session_lint.cli as cli_module

    real_collect = cli_module.collect_files

    def collect_then_delete(arguments, settings):
        found = real_collect(arguments, settings)
        (tree / "good.py").unlink()
        return found

    (tree / "other.py").write_text(BAD)
    monkeypatch.setattr(cli_module, "collect_files", collect_then_delete)
    code, out, err = cli(["."], capsys)
    assert code == 2
    assert "other.py:5:9: ORM101" in out
    assert "good.py: the file disappeared before it could be read" in err


def test_directory_named_like_a_python_file(tree, capsys) -> None:
    (tree / "pkg.py").mkdir()
    (tree / "pkg.py" / "inner.py").write_text(BAD)
    code, out, _ = cli(["pkg.py"], capsys)
    assert code == 1 and "pkg.py/inner.py:5:9: ORM101" in out


def test_broken_symlink_and_loops(tree, capsys) -> None:
    (tree / "dangling.py").symlink_to(tree / "missing.py")
    (tree / "sub").mkdir()
    (tree / "sub" / "loop").symlink_to(tree)
    (tree / "l1.py").symlink_to(tree / "l2.py")
    (tree / "l2.py").symlink_to(tree / "l1.py")
    code, out, err = cli(["."], capsys)
    assert code == 1 and out.count("ORM101") == 1
    assert "dangling.py: broken symbolic link" in err
    assert "symbolic link loop" in err
    code, _, err = cli(["l1.py", "dangling.py", "good.py"], capsys)
    assert code == 2
    assert "l1.py: symbolic link loop" in err and "dangling.py: broken symbolic link" in err


def test_path_that_does_not_exist(tree, capsys) -> None:
    code, out, err = cli(["missing/", "good.py"], capsys)
    assert code == 2 and "ORM101" in out and "missing/: no such file or directory" in err


def test_json_output_stays_valid_with_odd_file_names(tree, capsys) -> None:
    odd = tree / 'we"ird\\name\u00e9.py'
    odd.write_text(BAD)
    with pytest.raises(SystemExit):
        main(["--no-cache", "--output-format", "json", "."])
    items = json.loads(capsys.readouterr().out)
    assert {item["filename"] for item in items} == {"good.py", odd.name}


# -- plugins and workers ---------------------------------------------------------------------------
class CrashingRule(Rule):
    code = "TST901"
    name = "crashing-rule"
    summary = "kills its worker process on files that say CRASH"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if "CRASH" in context.module.code:
            os._exit(3)
        return iter(())


class RaisingRule(Rule):
    code = "TST902"
    name = "raising-rule"
    summary = "raises on every file"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        raise ValueError("broken plugin")


def test_rule_that_raises_is_orm002_and_other_rules_still_run() -> None:
    result = lint_source(BAD, "x.py", [RaisingRule, *BUILTIN_RULES], Settings())
    found = sorted((d.code, d.message) for d in result.diagnostics)
    assert found[0][0] == "ORM002" and "rule TST902 (raising-rule) failed: ValueError: broken plugin" in found[0][1]
    assert any(code == "ORM101" for code, _ in found)
    assert "ValueError: broken plugin" in result.tracebacks[0]


def test_worker_that_dies_is_reported_for_its_file_and_the_run_completes(tmp_path: Path) -> None:
    files = []
    for index in range(8):
        path = tmp_path / f"m{index}.py"
        path.write_text(BAD + ("# CRASH\n" if index == 3 else ""))
        files.append(path)
    report = lint_files(files, [CrashingRule, *BUILTIN_RULES], Settings(), jobs=2)
    by_file = {}
    for diagnostic in report.diagnostics:
        by_file.setdefault(Path(diagnostic.filename).name, []).append(diagnostic.code)
    assert by_file.pop("m3.py") == ["ORM002"]
    assert by_file == {f"m{i}.py": ["ORM101"] for i in range(8) if i != 3}


def test_plugin_that_fails_to_import(monkeypatch, capsys, tree) -> None:
    import session_lint.registry as registry

    class BrokenEntryPoint:
        name = "broken"
        value = "no_such_module:Rule"
        dist = None

        def load(self):
            raise ModuleNotFoundError("No module named 'no_such_module'")

    real = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: [*real(), BrokenEntryPoint()])
    code, out, err = cli(["good.py"], capsys)
    assert code == 1 and "ORM101" in out
    assert err.strip() == ("session-lint: warning: rule plugin `broken = no_such_module:Rule` failed to load: "
                           "ModuleNotFoundError: No module named 'no_such_module'")
