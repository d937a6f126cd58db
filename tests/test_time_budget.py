"""The per-file time budget (issue 19): a file whose analysis runs too long stops with one
clear warning, and the rest of the run goes on."""
from __future__ import annotations

from pathlib import Path

import pytest

from session_lint import Settings, lint_source
from session_lint.config import ConfigError, load_settings
from session_lint.rules import BUILTIN_RULES

SOURCE = b"""
from sqlalchemy.orm import Session

def save(engine, user):
    with Session(engine) as session:
        session.add(user)
"""


def test_a_spent_budget_is_one_warning_not_a_finding_or_a_crash() -> None:
    result = lint_source(SOURCE, "slow.py", BUILTIN_RULES, Settings(file_time_budget=1e-9))
    assert result.diagnostics == []
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.startswith("slow.py: not fully checked: ")
    assert "time budget of 1e-09 s" in warning and "ORM101" in warning and "file-time-budget" in warning


def test_within_the_budget_nothing_changes() -> None:
    result = lint_source(SOURCE, "fast.py", BUILTIN_RULES, Settings(file_time_budget=60))
    assert [d.code for d in result.diagnostics] == ["ORM101"]
    assert result.warnings == []


def test_zero_means_no_limit() -> None:
    result = lint_source(SOURCE, "fast.py", BUILTIN_RULES, Settings(file_time_budget=0))
    assert [d.code for d in result.diagnostics] == ["ORM101"]


def test_the_budget_is_read_from_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.session-lint]\nfile-time-budget = 2.5\n")
    assert load_settings(config, Settings(root=tmp_path)).file_time_budget == 2.5


@pytest.mark.parametrize("value", ['"20"', "-1", "true", "inf", "nan"])
def test_a_bad_budget_is_one_line_naming_the_key(tmp_path: Path, value: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.session-lint]\nfile-time-budget = {value}\n")
    with pytest.raises(ConfigError, match="`file-time-budget` in \\[tool.session-lint\\] must be a number of seconds"):
        load_settings(config, Settings(root=tmp_path))


def test_the_cli_warns_on_stderr_and_goes_on(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\nfile-time-budget = 0.000001\n")
    (tmp_path / "slow.py").write_bytes(SOURCE)
    completed = subprocess.run([sys.executable, "-m", "session_lint", "--no-cache", "."], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "slow.py: not fully checked: the analysis took longer than the time budget" in completed.stderr


def test_flake8_reports_a_spent_budget_as_one_orm001_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\nfile-time-budget = 0.000001\n")
    (tmp_path / "slow.py").write_bytes(SOURCE)
    completed = subprocess.run([sys.executable, "-m", "flake8", "--select", "ORM", "slow.py"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    lines = completed.stdout.splitlines()
    assert len(lines) == 1, completed.stdout + completed.stderr
    assert lines[0].startswith("slow.py:1:1: ORM001 not fully checked: the analysis took longer than the time budget")
