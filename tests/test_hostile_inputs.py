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

# The hostile sources end with `import sqlalchemy`: a file with no sign of SQLAlchemy is not
# parsed at all (no rule could find anything in it), and these tests are about files that are.

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
        (b"def f(:\n    session.add(x)\nimport sqlalchemy\n", "syntax error: invalid syntax"),
        (b'print "hello"\nsession.add(1)\nimport sqlalchemy\n', "syntax error: Missing parentheses in call to 'print'"),
        (b"s = '\xe9\xff'\nsession.add(s)\nimport sqlalchemy\n", "cannot read source"),
        (b"x = 1\x00\nsession.add(1)\nimport sqlalchemy\n", "the file contains NUL bytes"),
        (bytes(range(256)) * 4 + b".add(", "the file contains NUL bytes"),
        (b"x = " + b"(" * 10000 + b"1" + b")" * 10000 + b"\nsession.add(x)\nimport sqlalchemy\n", "too many nested parentheses"),
        (b"# -*- coding: not-a-codec -*-\nsession.add(1)\nimport sqlalchemy\n", "cannot read source"),
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
        b"# -*- coding: latin-1 -*-\ns = '\xe9'\nsession.add(s)\nimport sqlalchemy\n",
        b"\xef\xbb\xbf" + BAD.encode(),
        BAD.replace("\n", "\r\n").encode(),
        BAD.replace("\n", "\r").encode(),
        b"x = " + b"+".join([b"a"] * 2000) + b"\nsession.add(x)\nimport sqlalchemy\n",
        b"x = '" + b"(" * 500 + b"'\nsession.add(x)\nimport sqlalchemy\n",
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


DEEP = 10000


@pytest.mark.parametrize(
    "data",
    [
        b"x = " + b"-" * DEEP + b"1\nsession.add(x)\nimport sqlalchemy\n",
        b"x = " + b"not " * DEEP + b"y\nsession.add(x)\nimport sqlalchemy\n",
        b"x = session" + b".a" * DEEP + b"\nsession.add(x)\nimport sqlalchemy\n",
        b"x = session.query" + b"()" * DEEP + b"\n",
        b"x = session.query(User)" + b".filter(a)" * DEEP + b".first()\n",
        b"x = a" + b"[0]" * DEEP + b"\nsession.add(x)\nimport sqlalchemy\n",
        b"x = " + b"+".join([b"a"] * DEEP) + b"\nsession.add(x)\nimport sqlalchemy\n",
        b"x = " + b"lambda: " * DEEP + b"1\nsession.add(x)\nimport sqlalchemy\n",
        b"x = " + b"a if b else " * DEEP + b"c\nsession.add(x)\nimport sqlalchemy\n",
        b"x = " + b"**".join([b"2"] * DEEP) + b"\nsession.add(x)\nimport sqlalchemy\n",
        b"if a:\n    pass\n" + b"elif a:\n    session.add(x)\n" * DEEP + b"import sqlalchemy\n",
    ],
    ids=["unary-minus", "not", "attribute-chain", "call-chain", "method-chain", "subscript-chain",
         "operator-chain", "lambda", "conditional", "power", "elif-chain"],
)
def test_10000_deep_expressions_without_brackets_are_one_orm001(data: bytes) -> None:
    # Without the guard, libcst's parser spends minutes on each (its cost grows faster than
    # the depth) and the attribute chain takes more than 5 GB.
    found = codes(data)
    assert len(found) == 1, found
    row, code, message = found[0]
    assert code == "ORM001" and ("nested too deeply" in message or "levels deep" in message), message


def test_huge_file_is_reported_not_parsed() -> None:
    # Only the first 8 MB of an oversized file are read: what rules look for must show there.
    data = b"import sqlalchemy\nsession.add(1)\n" + b"".join(b"x_%d = %d\n" % (i, i) for i in range(1_000_000))
    assert len(data) > 8 * 1024 * 1024
    found = codes(data)
    assert len(found) == 1 and found[0][1] == "ORM001" and "larger than the 8 MB limit" in found[0][2]


def test_huge_file_without_anything_to_find_is_fine() -> None:
    data = b"".join(b"x_%d = %d\n" % (i, i) for i in range(1_000_000))
    assert codes(data) == []


# -- the same inputs through flake8 ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["def f(:\n    session.add(x)\nimport sqlalchemy\n", "x = 1\x00\nsession.add(1)\nimport sqlalchemy\n", "", "\ufeff" + BAD,
     "x = " + "(" * 10000 + "1" + ")" * 10000 + "\nsession.add(x)\nimport sqlalchemy\n", BAD.replace("\n", "\r\n")],
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

        def load(self):
            raise ModuleNotFoundError("No module named 'no_such_module'")

    real = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: [*real(), (BrokenEntryPoint(), "broken-plugin 1.0")])
    code, out, err = cli(["good.py"], capsys)
    # The run goes on with the other rules, and exits 2: rules are missing.
    assert code == 2 and "good.py:5:9: ORM101" in out
    assert err.strip() == ("session-lint: error: rule plugin `broken = no_such_module:Rule` failed to load: "
                           "ModuleNotFoundError: No module named 'no_such_module'")


# -- each hostile source file through the command line, next to a good file ---------------------------
# (name, bytes, the one line expected for it in concise output (a prefix, or None: no line), exit code)
HOSTILE_FILES = [
    ("syntax", b"def f(:\n    session.add(x)\nimport sqlalchemy\n", "hostile.py:1:7: ORM001 syntax error: invalid syntax", 1),
    ("python2", b'print "hello"\nsession.add(1)\nimport sqlalchemy\n', "ORM001 syntax error: Missing parentheses in call to 'print'", 1),
    ("not-utf8", b"s = '\xe9\xff'\nsession.add(s)\nimport sqlalchemy\n", "hostile.py:1:1: ORM001 cannot read source: ", 1),
    ("latin1-cookie", b"# -*- coding: latin-1 -*-\ns = '\xe9'\n" + BAD.encode(), "hostile.py:7:9: ORM101 ", 1),
    ("bad-cookie", b"# -*- coding: not-a-codec -*-\nsession.add(1)\nimport sqlalchemy\n",
     "hostile.py:1:1: ORM001 cannot read source: cannot determine the encoding", 1),
    ("bom", b"\xef\xbb\xbf" + BAD.encode(), "hostile.py:5:9: ORM101 ", 1),
    ("nul", b"x = 1\x00\nsession.add(1)\nimport sqlalchemy\n", "hostile.py:1:1: ORM001 cannot read source: the file contains NUL bytes", 1),
    ("cr", BAD.replace("\n", "\r").encode(), "hostile.py:5:9: ORM101 ", 1),
    ("crlf", BAD.replace("\n", "\r\n").encode(), "hostile.py:5:9: ORM101 ", 1),
    ("deep", b"x = " + b"(" * 10000 + b"1" + b")" * 10000 + b"\nsession.add(x)\nimport sqlalchemy\n",
     "ORM001 syntax error: too many nested parentheses", 1),
    ("deep-chain", b"x = session" + b".a" * 10000 + b"\nsession.add(x)\nimport sqlalchemy\n", "hostile.py:1:1: ORM001 ", 1),
    ("empty", b"", None, 1),
    ("binary", bytes(range(256)) * 64, "hostile.py:1:1: ORM001 cannot read source: the file contains NUL bytes", 1),
]


@pytest.mark.parametrize("data, expected, exit_code", [case[1:] for case in HOSTILE_FILES],
                         ids=[case[0] for case in HOSTILE_FILES])
def test_cli_hostile_file_is_one_line_and_the_run_goes_on(tree, capsys, data: bytes, expected, exit_code) -> None:
    (tree / "hostile.py").write_bytes(data)
    for jobs in ("1", "2"):
        code, out, err = cli(["--jobs", jobs, "."], capsys)
        assert code == exit_code
        assert err == ""  # nothing on stderr, above all no traceback
        mine = [line for line in out.splitlines() if line.startswith("hostile.py:")]
        if expected is None:
            assert mine == []
        else:
            assert len(mine) == 1 and expected in mine[0], mine
        assert "good.py:5:9: ORM101" in out


def test_cli_50_mb_generated_file_is_one_line(tree, capsys) -> None:
    (tree / "generated.py").write_bytes(b"import sqlalchemy\nsession.add(x)\n" + b"x = 1\n" * (50 * 1024 * 1024 // 6))
    code, out, err = cli(["--jobs", "2", "."], capsys)
    assert code == 1 and err == ""
    assert out.splitlines() == [
        "generated.py:1:1: ORM001 not checked: the file is 50.0 MB, larger than the 8 MB limit for source files",
        "good.py:5:9: ORM101 " + out.splitlines()[1].split(" ORM101 ", 1)[1],
    ]


def test_walk_reports_python_file_link_loops_and_directories_named_like_files(tree, capsys) -> None:
    (tree / "l1.py").symlink_to(tree / "l2.py")
    (tree / "l2.py").symlink_to(tree / "l1.py")
    (tree / "pkg.py").mkdir()
    (tree / "pkg.py" / "inner.py").write_text(BAD)
    code, out, err = cli(["."], capsys)
    assert code == 1
    assert "good.py:5:9: ORM101" in out and "pkg.py/inner.py:5:9: ORM101" in out
    assert sorted(err.splitlines()) == [
        "session-lint: warning: l1.py: symbolic link loop; skipped",
        "session-lint: warning: l2.py: symbolic link loop; skipped",
    ]


def test_hostile_files_together_with_json_output(tree, capsys) -> None:
    """Every hostile file at once: stdout stays one valid JSON document, problems go to stderr."""
    for name, data, _, _ in HOSTILE_FILES:
        (tree / f"{name}.py").write_bytes(data)
    (tree / "dangling.py").symlink_to(tree / "missing.py")
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-cache", "--output-format", "json", ".", "missing.py"])
    captured = capsys.readouterr()
    items = json.loads(captured.out)
    assert exit_info.value.code == 2  # missing.py
    assert {item["filename"] for item in items if item["code"] == "ORM001"} == {
        "syntax.py", "python2.py", "not-utf8.py", "bad-cookie.py", "nul.py", "deep.py", "deep-chain.py", "binary.py"}
    assert not any(item["code"] == "ORM002" for item in items)
    assert "Traceback" not in captured.err
    assert captured.err.splitlines() == [
        "session-lint: warning: dangling.py: broken symbolic link (its target does not exist); skipped",
        "session-lint: error: missing.py: no such file or directory",
    ]


def test_json_output_is_valid_with_a_non_utf8_file_name(tree, capsys) -> None:
    name = os.fsdecode(b"caf\\xe9.py")
    (tree / name).write_text(BAD)
    for output_format in ("json", "concise", "full", "github"):
        with pytest.raises(SystemExit) as exit_info:
            main(["--no-cache", "--output-format", output_format, "."])
        out = capsys.readouterr().out
        assert exit_info.value.code == 1
        if output_format == "json":
            assert sorted(item["filename"] for item in json.loads(out)) == sorted([name, "good.py"])


def test_invalid_toml_found_upward_is_one_line(tree, capsys) -> None:
    (tree / "pyproject.toml").write_text("[tool.session-lint]\nselect = [\"ORM1\"\n")
    code, out, err = cli(["."], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("session-lint: error: ") and "pyproject.toml: invalid TOML" in err


@pytest.mark.parametrize(
    "table, expected",
    [
        ("select = 7", "`select` in [tool.session-lint] must be a list of strings, not int 7"),
        ('extend-exclude = "migrations/"', "`extend-exclude` in [tool.session-lint] must be a list of strings"),
        ('per-file-ignores = { "tests/**" = "ORM101" }', "`per-file-ignores` in [tool.session-lint] ['tests/**'] must"),
        ("noreturn-functions = [1, 2]", "`noreturn-functions` in [tool.session-lint] must be a list of strings"),
        ("plugins = ['evil.py']", "unknown key `plugins` in [tool.session-lint]"),
        ('select = ["ORM999"]', "unknown rule selector `ORM999` in `select`"),
        ('ignore = ["XYZ"]', "unknown rule selector `XYZ` in `ignore`"),
        ('per-file-ignores = { "a.py" = ["NOPE1"] }', "unknown rule selector `NOPE1` in `per-file-ignores['a.py']`"),
    ],
)
def test_bad_configuration_is_one_line_exit_2(tree, capsys, table: str, expected: str) -> None:
    (tree / "pyproject.toml").write_text(f"[tool.session-lint]\n{table}\n")
    code, out, err = cli(["."], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("session-lint: error: ") and "pyproject.toml" in err and expected in err


def test_worker_that_dies_through_the_cli(tree, capsys, monkeypatch) -> None:
    import session_lint.cli as cli_module
    from session_lint.registry import RuleSet

    def rules() -> RuleSet:
        ruleset = RuleSet()
        for rule in (CrashingRule, *BUILTIN_RULES):
            ruleset.add(rule, "test")
        return ruleset

    monkeypatch.setattr(cli_module, "load_rules", rules)
    for index in range(6):
        (tree / f"m{index}.py").write_text(BAD + ("# CRASH\n" if index == 2 else ""))
    code, out, err = cli(["--jobs", "2", "."], capsys)
    assert code == 2
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("m2.py")] == [
        "m2.py:1:1: ORM002 the worker process linting this file died (a rule crashed the interpreter); "
        "run with --jobs 1 -v to investigate"]
    assert sorted(line.split(":")[0] for line in lines if " ORM101 " in line) == [
        "good.py", "m0.py", "m1.py", "m3.py", "m4.py", "m5.py"]
    assert "Traceback" not in err


def test_rule_traceback_only_with_verbose(tree, capsys, monkeypatch) -> None:
    import session_lint.cli as cli_module
    from session_lint.registry import RuleSet

    def rules() -> RuleSet:
        ruleset = RuleSet()
        for rule in (RaisingRule, *BUILTIN_RULES):
            ruleset.add(rule, "test")
        return ruleset

    monkeypatch.setattr(cli_module, "load_rules", rules)
    code, out, err = cli(["good.py"], capsys)
    assert code == 2 and "Traceback" not in err and "ORM101" in out
    assert "good.py:1:1: ORM002 rule TST902 (raising-rule) failed: ValueError: broken plugin" in out
    assert err.strip() == "session-lint: a rule failed on some files (ORM002); run with -v for the tracebacks"
    code, out, err = cli(["-v", "good.py"], capsys)
    assert code == 2 and "Traceback (most recent call last)" in err and "ValueError: broken plugin" in err


# -- safety ------------------------------------------------------------------------------------------
POISON = """\
import pathlib
pathlib.Path({marker!r}).write_text("imported")
from sqlalchemy.orm import sessionmaker
SessionLocal = sessionmaker()
"""


def poisoned_project(tree: Path) -> Path:
    """A project whose every module, imported or run, leaves a marker file."""
    marker = tree.parent / f"{tree.name}-marker"
    (tree / "pyproject.toml").write_text("[tool.session-lint]\n")
    (tree / "app").mkdir()
    for name in ("__init__.py", "db.py", "conftest.py", "__main__.py", "session_lint_plugin.py"):
        (tree / "app" / name).write_text(POISON.format(marker=str(marker)))
    for name in ("setup.py", "conftest.py", "sitecustomize.py", "session_lint_rules.py"):
        (tree / name).write_text(POISON.format(marker=str(marker)))
    (tree / "service.py").write_text(
        "from app.db import SessionLocal\n\ndef f():\n    with SessionLocal() as s:\n        s.add(1)\n")
    return marker


def test_linted_code_is_never_imported_or_run(tree, capsys) -> None:
    marker = poisoned_project(tree)
    code, out, _ = cli(["--jobs", "2", "."], capsys)
    assert code == 1 and "service.py:5:9: ORM101" in out  # the factory was found by reading app/db.py
    assert not marker.exists()


def test_plugins_load_only_from_installed_entry_points(tree, monkeypatch) -> None:
    import sys

    from session_lint.registry import load_rules

    poisoned_project(tree)
    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(tree))  # even with the project importable
    ruleset = load_rules()
    assert set(ruleset.origins.values()) == {"session-lint " + __import__("session_lint").__version__}
    assert not {"session_lint_rules", "app", "conftest", "setup", "sitecustomize"} & (set(sys.modules) - before)


def test_github_output_escapes_every_special_character() -> None:
    from session_lint.diagnostics import Diagnostic, Location
    from session_lint.formatters import format_github

    diagnostic = Diagnostic("ORM101", "a%b\rc\nd::warning::x", "dir,x/we%ird:\r\nname.py", Location(3, 4),
                            Location(3, 9), 3)
    line = format_github(diagnostic)
    assert "\n" not in line and "\r" not in line
    assert line == ("::warning file=dir%2Cx/we%25ird%3A%0D%0Aname.py,line=3,col=4,endLine=3,endColumn=9,"
                    "title=ORM101::ORM101 a%25b%0Dc%0Ad::warning::x")


def test_json_output_is_valid_whatever_the_message_holds() -> None:
    from session_lint.diagnostics import Diagnostic, Location
    from session_lint.formatters import format_json

    odd = "\x00\x1b[31m\"\\\u2028" + os.fsdecode(b"\xff")
    diagnostic = Diagnostic("ORM101", odd, odd + ".py", Location(1, 1), Location(1, 2), 1, hint=odd)
    text = format_json([diagnostic])
    text.encode("ascii")  # pure ASCII: safe in any terminal encoding and any reader
    assert json.loads(text)[0]["message"] == odd


def test_pool_that_breaks_while_tasks_are_submitted() -> None:
    """`submit` raises once a worker has died: the tasks not submitted are retried, not lost."""
    from concurrent.futures.process import BrokenProcessPool

    from session_lint.runner import _submit

    class Pool:
        calls = 0

        def submit(self, function, task):
            self.calls += 1
            if self.calls == 3:
                raise BrokenProcessPool("a child process terminated abruptly")
            return f"future of {task}"

    futures, unsubmitted = _submit(Pool(), print, ["a", "b", "c", "d"])
    assert futures == [("a", "future of a"), ("b", "future of b")] and unsubmitted == ["c", "d"]
