"""The GitHub Action (`action.yml`): its inputs, and its scripts run as the runner runs them
(bash, inputs in environment variables) against a project with a finding."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from session_lint.cli import command
from session_lint.formatters import FORMATS

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
INPUTS = {"args", "output-format", "sarif-file", "version", "python-version"}
BAD = """\
from sqlalchemy.orm import Session


def create_user(engine, name):
    with Session(engine) as session:
        session.add(User(name=name))
"""


def action() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def step(step_id: str) -> Dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("id") == step_id)


def evaluate(value: str, context: Dict[str, str]) -> str:
    """The `${{ ... }}` expressions of a step's `env`, for the few names the action uses;
    any other expression fails the test (the action must not grow unchecked ones)."""
    def one(match: "re.Match[str]") -> str:
        name = match.group(1).strip()
        assert name in context, f"unexpected expression in action.yml: {name}"
        return context[name]

    return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def option_names() -> List[str]:
    return [name for parameter in command.params for name in getattr(parameter, "opts", [])
            + getattr(parameter, "secondary_opts", [])]


def test_the_action_is_composite_with_the_documented_inputs() -> None:
    loaded = action()
    assert loaded["runs"]["using"] == "composite"
    assert set(loaded["inputs"]) == INPUTS
    assert loaded["inputs"]["output-format"]["default"] == "github"
    assert loaded["inputs"]["output-format"]["default"] in FORMATS
    assert loaded["inputs"]["args"]["default"] == "."
    assert all(not spec.get("required", False) for spec in loaded["inputs"].values())
    assert loaded["outputs"]["sarif-file"]["value"] == "${{ steps.lint.outputs.sarif-file }}"
    setup = loaded["runs"]["steps"][0]
    assert setup["uses"].startswith("actions/setup-python@") and setup["if"] == "inputs.python-version != ''"


def test_no_input_is_pasted_into_a_script() -> None:
    # An input pasted into `run:` is executed as shell code (script injection); they go
    # through `env:` instead.
    for entry in action()["runs"]["steps"]:
        if "run" in entry:
            assert "${{" not in entry["run"], entry.get("id")
            assert entry["shell"] == "bash"


def test_every_option_the_action_passes_is_a_session_lint_option() -> None:
    known = set(option_names())
    passed = set()
    for entry in action()["runs"]["steps"]:
        for line in entry.get("run", "").splitlines():
            if "session-lint\"" in line or "$SESSION_LINT\"" in line:
                passed.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
    assert passed == {"--version", "--output-format", "--output-file", "--exit-zero"}
    assert passed <= known


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "app.py").write_text(BAD)
    (project / "clean.py").write_text("x = 1\n")
    return project


def run_step(step_id: str, project: Path, inputs: Dict[str, str], extra: Optional[Dict[str, str]] = None
             ) -> subprocess.CompletedProcess:
    """Run a step's script as a runner does: `bash -e {0}` in the workspace, with its `env`."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    loaded = action()
    context = {f"inputs.{name}": inputs.get(name, spec.get("default", "")) for name, spec in loaded["inputs"].items()}
    context["github.action_path"] = str(ROOT)
    executable = Path(sys.executable).with_name("session-lint")
    context["steps.install.outputs.executable"] = str(executable)
    entry = step(step_id)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("INPUT_", "GITHUB_"))}
    env.update({key: evaluate(str(value), context) for key, value in entry.get("env", {}).items()})
    env["GITHUB_OUTPUT"] = str(project.parent / "github-output")
    env.update(extra or {})
    script = project.parent / f"{step_id}.sh"
    script.write_text(entry["run"])
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run([bash, "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def outputs(project: Path) -> Dict[str, str]:
    path = project.parent / "github-output"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.fixture
def installed() -> None:
    if not Path(sys.executable).with_name("session-lint").exists():
        pytest.skip("session-lint is not installed next to this Python")


def test_the_lint_step_annotates_findings_and_fails(project: Path, installed: None) -> None:
    completed = run_step("lint", project, {})
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("::warning file=app.py,line=6,col=9,")
    assert "title=ORM101::" in completed.stdout
    assert outputs(project) == {}


def test_the_lint_step_writes_sarif_for_upload_and_still_fails(project: Path, installed: None) -> None:
    completed = run_step("lint", project, {"sarif-file": "results.sarif", "args": "app.py clean.py"})
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.count("::warning ") == 1
    report = json.loads((project / "results.sarif").read_text())
    assert report["version"] == "2.1.0"
    [result] = report["runs"][0]["results"]
    assert result["ruleId"] == "ORM101"
    assert outputs(project) == {"sarif-file": "results.sarif"}


def test_args_are_split_into_options_and_paths(project: Path, installed: None) -> None:
    completed = run_step("lint", project, {"args": "--exit-zero --select ORM1  clean.py app.py",
                                           "output-format": "concise"})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("app.py:6:9: ORM101 ")
    # A `*` stays a `*` (no globbing): session-lint reports the missing path.
    completed = run_step("lint", project, {"args": "*.py"})
    assert completed.returncode == 2
    assert "*.py: no such file or directory" in completed.stderr


@pytest.mark.slow
def test_the_install_step_installs_the_actions_own_ref(project: Path) -> None:
    """`version` empty: pip installs the action's checkout (here, this working tree) into a
    virtual environment of its own, and the step outputs its session-lint."""
    runner_temp = project.parent / "runner-temp"
    runner_temp.mkdir()
    completed = run_step("install", project, {}, extra={"RUNNER_TEMP": str(runner_temp)})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    from session_lint import __version__

    assert completed.stdout.strip() == f"session-lint, version {__version__}"
    executable = outputs(project)["executable"]
    assert executable.startswith(str(runner_temp / "session-lint-venv"))
    ran = subprocess.run([executable, "--output-format", "github", "app.py"], cwd=project, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 1 and "title=ORM101::" in ran.stdout
