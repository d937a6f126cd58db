"""pre-commit names every staged file: `--force-exclude` (which the hook's entry sets) makes
`exclude`/`extend-exclude` apply to named files too; `--exclude`/`--extend-exclude` set them
on the command line; and the README's pre-commit snippet works as written."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from session_lint import __version__
from tests.conftest import cli_project, run_cli

ROOT = Path(__file__).resolve().parents[1]

BAD = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""
FINDING = "ORM101 `session.add()` is never committed"


def lint(args: List[str], capsys) -> tuple:
    return run_cli(["--no-cache", "--output-format", "concise", *args], capsys)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    return cli_project(tmp_path, monkeypatch, {
        "pyproject.toml": '[tool.session-lint]\nextend-exclude = ["legacy/", "generated_*.py"]\n',
        "legacy/old.py": BAD,
        "app/generated_models.py": BAD,
        "app/views.py": BAD,
    })


def test_force_exclude_skips_named_files_that_the_configuration_excludes(project: Path, capsys) -> None:
    # As pre-commit calls it: every staged Python file, by name.
    named = ["legacy/old.py", "app/generated_models.py", "app/views.py"]
    code, out, err = lint(["--force-exclude", *named], capsys)
    assert code == 1, err
    assert out.splitlines() == [f"app/views.py:6:9: {FINDING}" + out.splitlines()[0].split(FINDING, 1)[1]]

    code, out, _ = lint(named, capsys)  # without it, a named file is always linted
    assert code == 1
    assert sorted(line.split(":")[0] for line in out.splitlines()) == sorted(named)


def test_force_exclude_with_only_excluded_files_passes(project: Path, capsys) -> None:
    code, out, err = lint(["--force-exclude", "legacy/old.py"], capsys)
    assert (code, out) == (0, "")
    assert "no Python files found" in err


def test_force_exclude_applies_to_a_named_directory_and_the_default_excludes(project: Path, capsys) -> None:
    (project / "build").mkdir()
    (project / "build" / "lib.py").write_text(BAD)
    code, out, _ = lint(["--force-exclude", "legacy", "build/lib.py", "app/views.py"], capsys)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == ["app/views.py"]


def test_force_exclude_matches_from_the_project_root_whatever_the_cwd(project: Path, monkeypatch,
                                                                      capsys) -> None:
    monkeypatch.chdir(project / "legacy")
    code, out, _ = lint(["--force-exclude", "old.py"], capsys)
    assert (code, out) == (0, "")
    monkeypatch.chdir(project.parent)
    code, out, _ = lint(["--force-exclude", f"{project.name}/legacy/old.py"], capsys)
    assert (code, out) == (0, "")


def test_force_exclude_can_be_set_in_the_configuration_and_unset_on_the_command_line(
        tmp_path: Path, monkeypatch, capsys) -> None:
    cli_project(tmp_path, monkeypatch, {
        "pyproject.toml": '[tool.session-lint]\nextend-exclude = ["legacy/"]\nforce-exclude = true\n',
        "legacy/old.py": BAD,
    })
    assert lint(["legacy/old.py"], capsys)[0] == 0
    assert lint(["--no-force-exclude", "legacy/old.py"], capsys)[0] == 1


def test_exclude_and_extend_exclude_on_the_command_line(project: Path, capsys) -> None:
    (project / "app" / "admin.py").write_text(BAD)
    # --extend-exclude adds to the configured patterns (legacy/ stays excluded) ...
    code, out, _ = lint(["--extend-exclude", "admin.py", "."], capsys)
    assert [line.split(":")[0] for line in out.splitlines()] == ["app/views.py"]
    # ... --exclude replaces `exclude` (the defaults, such as build/), not `extend-exclude`;
    # comma-separated lists work as in ruff.
    (project / "build").mkdir()
    (project / "build" / "lib.py").write_text(BAD)
    code, out, _ = lint(["--exclude", "admin.py,.git", "."], capsys)
    assert sorted(line.split(":")[0] for line in out.splitlines()) == ["app/views.py", "build/lib.py"]
    # Named files are excluded by command-line patterns under --force-exclude too.
    code, out, _ = lint(["--force-exclude", "--extend-exclude", "app/views.py", "app/views.py"], capsys)
    assert (code, out) == (0, "")


def test_an_invalid_command_line_pattern_is_a_usage_error(project: Path, capsys) -> None:
    code, _, err = lint(["--extend-exclude", "a,,b", "."], capsys)
    assert code == 2 and "--extend-exclude 'a,,b': empty pattern" in err


def test_the_hook_sets_force_exclude_in_its_entry() -> None:
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(hook for hook in hooks if hook["id"] == "session-lint")
    # In `entry`, not `args`: a user's `args:` replaces the hook's own.
    assert hook["entry"].split() == ["session-lint", "--force-exclude"]
    assert "args" not in hook


def readme_hook_config() -> Dict[str, object]:
    """The README's pre-commit snippet, parsed."""
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "README.md").read_text()
    section = text.split("## pre-commit", 1)[1]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert snippet, "README.md has no ```yaml block under ## pre-commit"
    return yaml.safe_load(snippet.group(1))


def test_the_readme_pins_the_tag_of_this_version() -> None:
    # The release of version X is tagged vX; the snippet must name a rev that exists once
    # this version is released, not a branch (pre-commit refuses to pin a moving one).
    config = readme_hook_config()
    repository = config["repos"][0]  # type: ignore[index]
    assert repository["repo"] == "https://github.com/session-lint/session-lint"
    assert repository["rev"] == f"v{__version__}"
    assert [hook["id"] for hook in repository["hooks"]] == ["session-lint"]


@pytest.mark.slow
def test_the_readme_snippet_runs_and_honours_the_projects_excludes(tmp_path: Path) -> None:
    """The README's snippet as written, with the GitHub URL pointed at a snapshot of this
    working tree tagged with the snippet's `rev`: pre-commit clones that tag, installs the
    hook and runs it on a project whose pyproject.toml excludes one of the staged files."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    from tests.test_precommit_e2e import git, git_environment, snapshot

    config = readme_hook_config()
    repository = config["repos"][0]  # type: ignore[index]
    hook_repository = tmp_path / "hook-repository"
    hook_repository.mkdir()
    snapshot(ROOT, hook_repository)
    git(hook_repository, "tag", repository["rev"])
    repository["repo"] = str(hook_repository)

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "--quiet")
    (project / "pyproject.toml").write_text('[tool.session-lint]\nextend-exclude = ["legacy/"]\n')
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(BAD)
    (project / "app.py").write_text(BAD)
    import yaml

    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "add", "--all")
    env = git_environment()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("PRE_COMMIT", None)
    env.pop("SKIP", None)
    completed = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                               cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert f"app.py:6:9: {FINDING}" in output
    assert "legacy/old.py" not in output  # staged, named by pre-commit, and excluded
