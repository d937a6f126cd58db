from __future__ import annotations

import textwrap
from typing import List, Optional, Sequence, Tuple

import pytest

from session_lint import Settings, lint_source
from session_lint.project_index import EMPTY_INDEX, ProjectIndex
from session_lint.rules import BUILTIN_RULES


def rule_class(code: str):
    for rule in BUILTIN_RULES:
        if rule.code == code:
            return rule
    raise KeyError(code)


def findings(source: str, *codes: str, filename: str = "snippet.py",
             index: ProjectIndex = EMPTY_INDEX, settings: Optional[Settings] = None) -> List[Tuple[int, str]]:
    """(row, code) of every finding of `codes` (all built-in rules when empty) in `source`."""
    rules = [rule_class(code) for code in codes] if codes else list(BUILTIN_RULES)
    result = lint_source(textwrap.dedent(source), filename, rules, settings or Settings(), index)
    return [(d.location.row, d.code) for d in result.diagnostics]


def messages(source: str, *codes: str) -> List[str]:
    rules = [rule_class(code) for code in codes] if codes else list(BUILTIN_RULES)
    result = lint_source(textwrap.dedent(source), "snippet.py", rules, Settings())
    return [d.message for d in result.diagnostics]


@pytest.fixture(autouse=True, scope="session")
def user_cache_directory(tmp_path_factory):
    """Runs outside a project keep their cache (and the per-user cache key) in the user cache
    directory: point it into the test's temporary tree, never the real home directory."""
    import os

    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.getbasetemp() / "user-cache")
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


def run_cli(args: Sequence[str], capsys) -> Tuple[int, str, str]:
    """(exit code, stdout, stderr) of `session-lint ARGS` run in this process."""
    from session_lint.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err  # type: ignore[return-value]


def cli_project(tmp_path, monkeypatch, files: "dict") -> "object":
    """A git project in `tmp_path` with `files` ({relative path: text}), made the cwd."""
    (tmp_path / ".git").mkdir()
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def lint():
    return findings
