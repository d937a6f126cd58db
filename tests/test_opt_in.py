"""Opt-in rules (`Rule.opt_in`, ORM304): off unless a selector names them specifically."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from session_lint.cli import main
from session_lint.registry import load_rules
from session_lint.settings import Settings, is_enabled

QUERY_IN_LOOP = """\
from sqlalchemy.orm import Session


def emails(session: Session, ids):
    return [session.get(User, user_id) for user_id in ids]
"""


def test_orm304_is_the_opt_in_built_in_rule() -> None:
    assert "ORM304" in load_rules().opt_in_codes()


@pytest.mark.parametrize("select, extend_select, ignore, enabled", [
    (None, (), (), False),  # the default selection
    (("ALL",), (), (), False),
    (("ORM",), (), (), False),
    (("ORM3",), (), (), True),
    (("ORM30",), (), (), True),
    (("ORM304",), (), (), True),
    (None, ("ORM304",), (), True),
    (None, ("ORM",), (), False),
    (("ORM304",), (), ("ORM304",), False),  # at equal specificity the ignore wins
    (("ORM304",), (), ("ORM3",), True),  # the more specific selector wins
])
def test_selection(select: Optional[Tuple[str, ...]], extend_select, ignore, enabled: bool) -> None:
    assert is_enabled("ORM304", select, extend_select, ignore, opt_in=True) is enabled


def test_other_rules_keep_the_usual_selection() -> None:
    assert is_enabled("ORM301", None, (), ())
    assert is_enabled("ORM301", ("ORM",), (), ())
    assert Settings(select=("ORM",)).enabled_codes(["ORM301", "ORM304"], opt_in=["ORM304"]) == {"ORM301"}


def run(args: List[str], capsys) -> Tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr().out


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "loop.py").write_text(QUERY_IN_LOOP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_default_run_leaves_it_off(project, capsys) -> None:
    assert run(["--no-cache", "--isolated", "loop.py"], capsys) == (0, "All checks passed.\n")


@pytest.mark.parametrize("args", [["--extend-select", "ORM304"], ["--select", "ORM3"]])
def test_cli_selecting_it_reports(project, capsys, args) -> None:
    code, out = run(["--no-cache", "--isolated", "--output-format", "concise", *args, "loop.py"], capsys)
    assert code == 1 and "loop.py:5:13: ORM304" in out, out


def test_configuration_can_enable_it(project, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.session-lint]\nextend-select = ["ORM304"]\n')
    code, out = run(["--no-cache", "--output-format", "concise", "loop.py"], capsys)
    assert code == 1 and "ORM304" in out, out


def test_list_rules_says_so(capsys) -> None:
    code, out = run(["--list-rules"], capsys)
    line = next(line for line in out.splitlines() if line.startswith("ORM304"))
    assert code == 0 and "opt-in" in line
