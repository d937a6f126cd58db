"""The flake8 plugin (`flake8 --select ORM`) run as a user runs it, in a separate process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
Finding = Tuple[str, int, str]  # (path relative to the working directory, row, code)

BAD = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name)){comment}
"""


def flake8(args: List[str], cwd: Path, format: str = "%(path)s:%(row)d:%(code)s") -> subprocess.CompletedProcess:
    # --isolated: a flake8 configuration next to the code must not change what is compared.
    # It concerns flake8's own files only: the plugin still reads [tool.session-lint].
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--format", format, *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def parse_flake8(output: str) -> Set[Finding]:
    found = set()
    for line in output.splitlines():
        path, row, code = line.rsplit(":", 2)
        found.add((Path(os.path.normpath(path)).as_posix(), int(row), code))
    return found


def test_flake8_and_the_cli_report_the_same_findings_on_the_examples() -> None:
    from_flake8 = flake8(["--select", "ORM", "examples/"], ROOT)
    assert from_flake8.returncode == 1, from_flake8.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "session_lint", "--isolated", "--no-cache", "--output-format", "json", "examples/"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert cli.returncode == 1, cli.stderr
    from_cli = {(Path(item["filename"]).as_posix(), item["location"]["row"], item["code"])
                for item in json.loads(cli.stdout)}
    assert from_cli, "the examples must have findings"
    assert parse_flake8(from_flake8.stdout) == from_cli


def test_a_syntax_error_is_flake8s_e999_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("from sqlalchemy.orm import Session\n\ndef create(:\n    pass\n")
    (tmp_path / "bad.py").write_text(BAD.format(comment=""))
    completed = flake8(["--select", "ORM,E999", "."], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert parse_flake8(completed.stdout) == {("broken.py", 3, "E999"), ("bad.py", 6, "ORM101")}


def test_noqa_is_honoured_by_flake8(tmp_path: Path) -> None:
    (tmp_path / "suppressed.py").write_text(BAD.format(comment="  # noqa: ORM101"))
    (tmp_path / "blanket.py").write_text(BAD.format(comment="  # noqa"))
    # A noqa for another code leaves the finding in place.
    (tmp_path / "other_code.py").write_text(BAD.format(comment="  # noqa: E501"))
    completed = flake8(["--select", "ORM", "."], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert parse_flake8(completed.stdout) == {("other_code.py", 6, "ORM101")}


QUERY_IN_LOOP = """\
from sqlalchemy.orm import Session


def emails(session: Session, ids):
    return [session.get(User, user_id) for user_id in ids]
"""


@pytest.mark.parametrize("args, reported", [
    (["--select", "ORM"], False),  # the whole plugin: the opt-in rule stays off
    (["--select", "ORM304"], True),
    (["--select", "ORM", "--extend-select", "ORM3"], True),
    (["--extend-select", "ORM304"], True),
])
def test_an_opt_in_rule_reports_only_when_selected_by_code(tmp_path: Path, args, reported) -> None:
    (tmp_path / "loop.py").write_text(QUERY_IN_LOOP)
    completed = flake8([*args, "."], tmp_path)
    assert "Traceback" not in completed.stderr
    codes = {code for _, _, code in parse_flake8(completed.stdout)}
    assert ("ORM304" in codes) is reported, completed.stdout


# -- [tool.session-lint]: the analysis options are the same in both faces --------------------------
Located = Tuple[str, int, int, str]  # (path, row, column, code)

NORETURN_PROJECT: Dict[str, str] = {
    "myapp/__init__.py": "",
    # Imported, so not recognised by its body: only the configuration says it never returns.
    "myapp/errors.py": "def not_found(what):\n    raise LookupError(f\"{what} not found\")\n",
    "myapp/views.py": """\
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from myapp.errors import not_found
from myapp.models import User


def user_name(session: Session, user_id: int) -> str:
    user = session.scalars(select(User).where(User.id == user_id)).first()
    if user is None:
        not_found("user")
    return user.name


def command_user_name(session: Session, name: str) -> str:
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        sys.exit(1)
    return user.name
""",
}
# `noreturn-functions` replaces the defaults: `not_found()` now ends a path, `sys.exit()` no longer does.
NORETURN_CONFIG = '[tool.session-lint]\nnoreturn-functions = ["myapp.errors.not_found"]\n'


def located_by_flake8(project: Path) -> Set[Located]:
    completed = flake8(["--select", "ORM", "."], project, format="%(path)s:%(row)d:%(col)d:%(code)s")
    assert "Traceback" not in completed.stderr, completed.stderr
    found = set()
    for line in completed.stdout.splitlines():
        path, row, column, code = line.rsplit(":", 3)
        found.add((Path(os.path.normpath(path)).as_posix(), int(row), int(column), code))
    return found


def located_by_cli(project: Path) -> Set[Located]:
    completed = subprocess.run(
        [sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "json", "."],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return {(Path(os.path.normpath(item["filename"])).as_posix(), item["location"]["row"],
             item["location"]["column"], item["code"]) for item in json.loads(completed.stdout)}


def write_project(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_flake8_reads_the_noreturn_functions_the_cli_reads(tmp_path: Path) -> None:
    write_project(tmp_path, NORETURN_PROJECT)
    (tmp_path / "pyproject.toml").write_text(NORETURN_CONFIG)
    configured = located_by_flake8(tmp_path)
    assert configured == located_by_cli(tmp_path)

    (tmp_path / "pyproject.toml").unlink()
    defaults = located_by_flake8(tmp_path)
    assert defaults == located_by_cli(tmp_path)
    # Proof that the option was read: each answer depends on it.
    assert configured == {("myapp/views.py", 18, 67, "ORM201")}
    assert defaults == {("myapp/views.py", 11, 68, "ORM201")}


def test_flake8_reads_the_configuration_from_a_subdirectory(tmp_path: Path) -> None:
    write_project(tmp_path, NORETURN_PROJECT)
    (tmp_path / "pyproject.toml").write_text(NORETURN_CONFIG)
    # The nearest [tool.session-lint] is searched upward, as the CLI searches it.
    assert located_by_flake8(tmp_path / "myapp") == located_by_cli(tmp_path / "myapp") == {
        ("views.py", 18, 67, "ORM201")}


def test_a_bad_configuration_is_one_orm002_line_and_the_run_goes_on(tmp_path: Path) -> None:
    write_project(tmp_path, NORETURN_PROJECT)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint]\nnoreturn-functions = "myapp.errors.not_found"\n')
    # One process: the problem is reported once per flake8 process (see docs/flake8.md).
    completed = flake8(["--select", "ORM", "--jobs", "1", "."], tmp_path,
                       format="%(path)s:%(row)d:%(col)d:%(code)s %(text)s")
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    lines = completed.stdout.splitlines()
    problems = [line for line in lines if ":ORM002 " in line]
    assert len(problems) == 1, completed.stdout
    assert problems[0].split(":ORM002 ")[0].endswith(":1:1"), problems[0]
    assert "pyproject.toml: `noreturn-functions` in [tool.session-lint] must be a list of strings" in problems[0]
    # The files are still checked, with the default options.
    assert [line.split(" ")[0] for line in lines if ":ORM201 " in line] == ["./myapp/views.py:11:68:ORM201"]


def test_flake8_lints_a_module_that_only_imports_the_projects_models(tmp_path: Path) -> None:
    """The evidence gate lets a file in on an import of the project's mapped classes
    (`rules/ORM304/imported_model_project/`): flake8 must pass it the file's name as the CLI
    does, or it skips the file the CLI reports on."""
    import shutil

    shutil.copytree(ROOT / "rules" / "ORM304" / "imported_model_project", tmp_path / "project")
    project = tmp_path / "project"
    (project / "pyproject.toml").write_text("")  # a project root: the plugin indexes it
    completed = flake8(["--select", "ORM", "--extend-select", "ORM304", "."], project,
                       format="%(path)s:%(row)d:%(col)d:%(code)s")
    assert "Traceback" not in completed.stderr, completed.stderr
    from_flake8 = {(Path(os.path.normpath(path)).as_posix(), int(row), int(column), code)
                   for path, row, column, code in (line.rsplit(":", 3) for line in completed.stdout.splitlines())}
    cli = subprocess.run(
        [sys.executable, "-m", "session_lint", "--no-cache", "--extend-select", "ORM304", "--output-format", "json", "."],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    from_cli = {(Path(os.path.normpath(item["filename"])).as_posix(), item["location"]["row"],
                 item["location"]["column"], item["code"]) for item in json.loads(cli.stdout)}
    assert {path for path, _, _, _ in from_cli} >= {"app/crawler.py", "app/report.py"}
    assert from_flake8 == from_cli
