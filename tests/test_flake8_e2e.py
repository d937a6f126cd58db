"""The flake8 plugin (`flake8 --select ORM`) run as a user runs it, in a separate process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

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


def flake8(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    # --isolated: a flake8 configuration next to the code must not change what is compared.
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--format", "%(path)s:%(row)d:%(code)s", *args],
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
