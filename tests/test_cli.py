"""The command line: options, configuration, exit codes, output formats."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from session_lint import __version__
from session_lint.cli import main

BAD = """\
from sqlalchemy.orm import Session


def create(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""
CLEAN = "x = {1}\nx.add(2)\n"


def run(args: List[str], capsys) -> Tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_findings_exit_1_with_path_line_col_code(project, capsys) -> None:
    code, out, err = run(["app"], capsys)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("app/bad.py:6:9: ORM101 `session.add()` is never committed")
    assert "= help:" in out
    assert err == ""


def test_default_path_is_current_directory(project, capsys) -> None:
    code, out, _ = run(["--output-format", "concise"], capsys)
    assert code == 1
    assert out.splitlines() == [line for line in out.splitlines() if line.startswith("app/bad.py:6:9: ORM101")]


def test_clean_file_exits_0(project, capsys) -> None:
    code, out, err = run(["app/clean.py"], capsys)
    assert (code, out, err) == (0, "All checks passed.\n", "")


def test_exit_zero(project, capsys) -> None:
    code, out, _ = run(["--exit-zero", "app"], capsys)
    assert code == 0 and "ORM101" in out


def test_json_uses_ruff_keys(project, capsys) -> None:
    code, out, _ = run(["--output-format", "json", "app"], capsys)
    assert code == 1
    items = json.loads(out)
    assert len(items) == 1
    item = items[0]
    assert set(item) == {"code", "name", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"}
    assert item["code"] == "ORM101"
    assert item["location"] == {"row": 6, "column": 9}
    assert item["end_location"] == {"row": 6, "column": 20}
    assert item["fix"] is None and item["noqa_row"] == 6
    assert item["filename"] == "app/bad.py"
    assert item["name"] == "add-without-commit"
    assert item["url"].endswith("/rules/ORM101/README.md")


def test_json_is_valid_when_clean(project, capsys) -> None:
    code, out, _ = run(["--output-format", "json", "app/clean.py"], capsys)
    assert code == 0 and json.loads(out) == []


def test_github_annotations(project, capsys) -> None:
    _, out, _ = run(["--output-format", "github", "app"], capsys)
    line = out.strip()
    assert line.startswith("::warning file=app/bad.py,line=6,col=9,endLine=6,endColumn=20,title=ORM101::ORM101 ")


def test_github_escapes_workflow_command_injection() -> None:
    from session_lint.diagnostics import Diagnostic, Location
    from session_lint.formatters import format_github

    diagnostic = Diagnostic("ORM101", "bad%\n::error::owned", "a,b:c.py", Location(1, 1), Location(1, 2), 1)
    line = format_github(diagnostic)
    assert "\n" not in line
    assert "file=a%2Cb%3Ac.py," in line
    assert line.endswith("::ORM101 bad%25%0A::error::owned")


def test_statistics(project, capsys) -> None:
    code, out, _ = run(["--statistics", "app"], capsys)
    assert code == 1
    assert out.split() == ["1", "ORM101", "add-without-commit"]


def test_select_and_ignore(project, capsys) -> None:
    assert run(["--ignore", "ORM1", "app"], capsys)[0] == 0
    assert run(["--select", "ORM101", "--ignore", "ORM1", "app"], capsys)[0] == 1
    assert run(["--select", "ORM1", "app"], capsys)[0] == 1
    assert run(["--select", "ORM0", "app"], capsys)[0] == 0  # only the engine's own codes
    assert run(["--ignore", "ORM101", "--extend-select", "ORM101", "app"], capsys)[0] == 0


def test_unknown_selector_is_a_usage_error(project, capsys) -> None:
    code, out, err = run(["--select", "XYZ9", "app"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown rule selector `XYZ9`" in err


def test_bad_option_is_one_line(project, capsys) -> None:
    code, _, err = run(["--output-format", "xml", "app"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("session-lint: error:")


def test_missing_path_is_reported_and_run_goes_on(project, capsys) -> None:
    code, out, err = run(["nope.py", "app"], capsys)
    assert code == 2
    assert "ORM101" in out
    assert "nope.py: no such file or directory" in err


def test_version(capsys) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and __version__ in out


def test_list_rules(capsys) -> None:
    code, out, _ = run(["--list-rules"], capsys)
    assert code == 0
    assert any(line.startswith("ORM101  add-without-commit") for line in out.splitlines())


def test_explain_prints_the_catalogue_page(capsys) -> None:
    code, out, _ = run(["--explain", "orm101"], capsys)
    assert code == 0
    assert out.startswith("# ORM101 add-without-commit")
    assert "## Use instead" in out


def test_explain_unknown_code(capsys) -> None:
    code, _, err = run(["--explain", "ORM999"], capsys)
    assert code == 2 and "unknown rule code" in err


def test_config_from_pyproject(project, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["ORM101"]\n')
    assert run(["app"], capsys)[0] == 0
    # The command line overrides the file.
    assert run(["--select", "ORM101", "app"], capsys)[0] == 1
    assert run(["--isolated", "app"], capsys)[0] == 1


def test_config_found_upward_from_cwd(project, capsys, monkeypatch) -> None:
    (project / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["ORM1"]\n')
    monkeypatch.chdir(project / "app")
    assert run(["bad.py"], capsys)[0] == 0


def test_per_file_ignores(project, capsys) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.session-lint]\nper-file-ignores = { "app/bad.py" = ["ORM101"] }\n')
    assert run(["app"], capsys)[0] == 0


def test_exclude_and_extend_exclude(project, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.session-lint]\nextend-exclude = ["app/bad.py"]\n')
    assert run(["app"], capsys)[0] == 0
    # A file named on the command line is always linted.
    assert run(["app/bad.py"], capsys)[0] == 1


@pytest.mark.parametrize(
    "table, expected",
    [
        ('select = "ORM101"', "`select` in [tool.session-lint] must be a list of strings, not a string"),
        ("select = [1]", "`select` in [tool.session-lint] must be a list of strings"),
        ('colour = ["red"]', "unknown key `colour` in [tool.session-lint]"),
        ('select = ["ORM8"]', "unknown rule selector `ORM8`"),
        ("respect-gitignore = 1", "`respect-gitignore` in [tool.session-lint] must be true or false"),
        ('per-file-ignores = ["x"]', "`per-file-ignores` in [tool.session-lint] must be a table"),
    ],
)
def test_bad_config_values_are_one_line(project, capsys, table: str, expected: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.session-lint]\n{table}\n")
    code, out, err = run(["app"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert "pyproject.toml" in err and expected in err


def test_invalid_toml(project, capsys) -> None:
    (project / "pyproject.toml").write_text("[tool.session-lint\nselect = [\n")
    code, _, err = run(["--config", "pyproject.toml", "app"], capsys)
    assert code == 2 and "invalid TOML" in err and err.count("\n") == 1


def test_missing_config_file(project, capsys) -> None:
    code, _, err = run(["--config", "nowhere.toml", "app"], capsys)
    assert code == 2 and "nowhere.toml: configuration file not found" in err


def test_gitignore_and_default_excludes(project, capsys) -> None:
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("generated/\n")
    for directory in ("generated", ".venv", "build", "node_modules"):
        (project / directory).mkdir()
        (project / directory / "bad.py").write_text(BAD)
    code, out, _ = run(["--output-format", "concise", "."], capsys)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == ["app/bad.py"]


def test_syntax_error_is_orm001_and_run_goes_on(project, capsys) -> None:
    # A file that mentions SQLAlchemy is parsed; its syntax error is reported, not skipped.
    (project / "app" / "broken.py").write_text("def f(:\n    session.add(x)\nimport sqlalchemy\n")
    code, out, _ = run(["--output-format", "concise", "app"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("app/broken.py:1:") and " ORM001 syntax error" in line for line in lines)
    assert any(line.startswith("app/bad.py:6:9: ORM101") for line in lines)


def test_parallel_and_serial_agree(project, capsys) -> None:
    for index in range(12):
        (project / "app" / f"bad{index}.py").write_text(BAD)
    serial = run(["--no-cache", "--jobs", "1", "--output-format", "json", "app"], capsys)
    parallel = run(["--no-cache", "--jobs", "2", "--output-format", "json", "app"], capsys)
    assert serial == parallel
    assert len(json.loads(serial[1])) == 13


def test_python_dash_m(project) -> None:
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "session_lint", "--output-format", "concise", "app"],
                               capture_output=True, text=True, cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.startswith("app/bad.py:6:9: ORM101")


FACTORY = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

SessionLocal = sessionmaker(bind=create_engine("sqlite://"))
"""
USES_FACTORY = """\
from app.db import SessionLocal


def create(name):
    with SessionLocal() as session:
        session.add(User(name=name))
"""


def test_one_file_sees_the_factories_of_the_rest_of_the_project(project, capsys) -> None:
    # pre-commit and editors pass single files; `SessionLocal` is defined in another module.
    (project / "pyproject.toml").write_text("[tool.session-lint]\n")
    (project / "app" / "db.py").write_text(FACTORY)
    (project / "app" / "views.py").write_text(USES_FACTORY)
    code, out, _ = run(["--no-cache", "--output-format", "concise", "app/views.py"], capsys)
    assert code == 1
    assert out.startswith("app/views.py:6:9: ORM101")


def test_factories_are_not_searched_outside_a_project_root(project, capsys) -> None:
    # No pyproject.toml/setup.py/.git at the working directory: no walk beyond what is linted.
    (project / "app" / "db.py").write_text(FACTORY)
    (project / "app" / "views.py").write_text(USES_FACTORY)
    code, out, _ = run(["--no-cache", "app/views.py"], capsys)
    assert (code, out) == (0, "All checks passed.\n")


def test_a_named_git_ignored_directory_is_linted(project, capsys) -> None:
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("app/\n")
    (project / "app" / ".gitignore").write_text("clean.py\n")
    code, out, err = run(["--no-cache", "-v", "app"], capsys)
    assert code == 1 and "app/bad.py:6:9: ORM101" in out
    assert "checked 1 file" in err  # the .gitignore inside the named directory still applies
    code, out, err = run(["--no-cache", "."], capsys)
    assert (code, out) == (0, "All checks passed.\n")
    assert "no Python files found" in err


def test_no_python_files_is_a_warning_not_an_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hi")
    code, out, err = run(["."], capsys)
    assert (code, out) == (0, "All checks passed.\n")
    assert err.strip() == ("session-lint: warning: no Python files found under the given paths "
                           "(excluded, git-ignored, or none there)")


def test_a_file_that_cannot_hold_sqlalchemy_code_is_not_parsed(project, capsys) -> None:
    # No `sqlalchemy`/`sqlmodel`/`.query`/project factory name: no rule can find anything,
    # so the file is not parsed and its syntax is left to the Python linter (E999, ruff).
    (project / "app" / "other.py").write_text("def f(:\n    seen.add(x)\n")
    code, out, _ = run(["--output-format", "concise", "app/other.py"], capsys)
    assert (code, out) == (0, "")


def test_no_second_walk_when_the_paths_cover_the_project(project) -> None:
    from session_lint.discovery import project_files
    from session_lint.settings import Settings

    (project / "pyproject.toml").write_text("[tool.session-lint]\n")
    settings = Settings(root=project.resolve())
    assert project_files(settings, [Path("app/bad.py")], ["."]) == []
    assert project_files(settings, [Path("app/bad.py")], [str(project)]) == []
    others = project_files(settings, [Path("app/bad.py")], ["app/bad.py"])
    assert sorted(p.name for p in others) == ["bad.py", "clean.py"]


def test_files_of_two_projects_named_in_turn_keep_their_order_and_settings(tmp_path) -> None:
    """`_projects` finds the settings once per directory (970 files named by pre-commit or a
    benchmark resolved each); the paths of each project stay in the order they were named."""
    from session_lint.cli import _Overrides, _projects
    from session_lint.registry import load_rules

    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    for directory, config in ((outer, ""), (inner, '[tool.session-lint]\nignore = ["ORM201"]\n')):
        (directory / "pkg").mkdir(parents=True)
        (directory / "pyproject.toml").write_text(config, encoding="utf-8")
    named = [str(outer / "pkg" / "a.py"), str(inner / "pkg" / "b.py"), str(outer / "c.py"),
             str(inner / "pkg" / "d.py"), str(outer / "pkg" / "e.py")]
    for path in named:
        Path(path).write_text("x = 1\n", encoding="utf-8")
    projects = _projects(named, None, False, _Overrides(), load_rules())
    assert [project.paths for project in projects] == [[named[0], named[2], named[4]], [named[1], named[3]]]
    assert ["ORM201" in project.enabled for project in projects] == [True, False]
