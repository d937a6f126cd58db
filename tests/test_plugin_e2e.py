"""The example plugin in `examples/plugin/`, installed with pip, found through its entry point.

The plugin is installed with `pip install --target` into a temporary directory put on
PYTHONPATH of the `session-lint` and `flake8` processes: that is a real build and install
(metadata, `entry_points.txt`), found by `importlib.metadata` exactly as in a virtualenv,
without touching the test environment and without the cost of a fresh virtualenv with
every dependency of session-lint installed again.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "plugin"

BAD = """\
from sqlalchemy import text
from sqlalchemy.orm import Session


def find(session: Session, name: str):
    return session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the installed plugin (package and dist-info)."""
    work = tmp_path_factory.mktemp("plugin")
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in examples/.
    source = work / "source"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    target = work / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
               "--target", str(target)]
    if importlib.util.find_spec("hatchling") is not None:
        # The build backend is already here: no download needed.
        command.append("--no-build-isolation")
    completed = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        pytest.fail(f"pip install of the example plugin failed:\n{completed.stdout}\n{completed.stderr}")
    return target


def environment(plugin_path: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_path), env.get("PYTHONPATH")]))
    # Keep the source tree free of __pycache__ from the runs below.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def session_lint(plugin_path: Path, args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    # The console script of the environment running the tests, as a user would call it.
    script = Path(sys.executable).with_name("session-lint")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "session_lint"]
    return subprocess.run([*command, *args], cwd=cwd, env=environment(plugin_path),
                          capture_output=True, text=True, timeout=120)


def test_list_rules_shows_the_plugin_rule_and_its_distribution(plugin_path: Path, tmp_path: Path) -> None:
    completed = session_lint(plugin_path, ["--list-rules"], tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""  # no "failed to load" warning
    (line,) = [line for line in completed.stdout.splitlines() if line.startswith("XMP101")]
    assert "formatted-sql-text" in line
    # The distribution is named on every Python (on 3.9 the registry maps entry points to
    # distributions itself: EntryPoint has no `.dist` there).
    assert line.endswith("[session-lint-example-plugin 0.1.0]"), line
    assert any(line.startswith("ORM101") for line in completed.stdout.splitlines())


def test_run_reports_the_plugin_finding_with_exit_code_1(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "queries.py").write_text(BAD)
    completed = session_lint(plugin_path, ["--no-cache", "--output-format", "json", "queries.py"], tmp_path)
    assert completed.returncode == 1, completed.stderr
    found = [(item["filename"], item["location"]["row"], item["code"]) for item in json.loads(completed.stdout)]
    assert found == [("queries.py", 6, "XMP101")]


def test_plugin_rule_is_selected_and_ignored_like_a_builtin(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "queries.py").write_text(BAD)
    ignored = session_lint(plugin_path, ["--no-cache", "--ignore", "XMP", "queries.py"], tmp_path)
    assert (ignored.returncode, ignored.stdout) == (0, "All checks passed.\n")
    selected = session_lint(plugin_path, ["--no-cache", "--select", "XMP101", "--output-format", "concise",
                                          "queries.py"], tmp_path)
    assert selected.returncode == 1
    assert selected.stdout.startswith("queries.py:6:33: XMP101 the SQL text run by `session.execute()`")


def test_flake8_reports_the_plugin_rule(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "queries.py").write_text(BAD)
    completed = subprocess.run([sys.executable, "-m", "flake8", "--select", "XMP", "queries.py"],
                               cwd=tmp_path, env=environment(plugin_path), capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("queries.py:6:33: XMP101 ")


def test_the_plugin_own_tests_pass_against_the_installed_plugin(plugin_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PLUGIN / "tests")],
        cwd=PLUGIN, env=environment(plugin_path), capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert " passed" in completed.stdout
