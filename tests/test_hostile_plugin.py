"""Odd, broken and hostile inputs through the flake8 plugin.

flake8 reads the files, reports what it cannot read or parse itself (E902, E999) and runs
the plugin only on files Python parsed; the plugin must never raise (flake8 would abort the
whole run), must report what it could not check as one line, and must not change flake8's
handling of everything else.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest

import session_lint.flake8_plugin as flake8_plugin
from session_lint.flake8_plugin import SessionLintPlugin

from .test_hostile_inputs import BAD, HOSTILE_FILES, poisoned_project

Finding = Tuple[str, int, str]


@pytest.fixture(autouse=True)
def fresh_plugin(monkeypatch) -> None:
    """The plugin keeps its rules and project index per process: start each test afresh."""
    monkeypatch.setattr(flake8_plugin, "_rules", None)
    monkeypatch.setattr(flake8_plugin, "_instances", None)
    monkeypatch.setattr(flake8_plugin, "_index", None)
    monkeypatch.setattr(flake8_plugin, "_unreported_load_errors", [])
    monkeypatch.setattr(flake8_plugin, "_settings", None)


def run_plugin(text: str, filename: str = "hostile.py") -> List[Tuple[int, int, str]]:
    plugin = SessionLintPlugin(ast.parse(""), text.splitlines(keepends=True), filename)
    return [(row, col, message) for row, col, message, _ in plugin.run()]


# -- real flake8, every hostile file in one run ------------------------------------------------------
def flake8(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--format", "%(path)s:%(row)d:%(code)s", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def parse(output: str) -> Set[Finding]:
    found = set()
    for line in output.splitlines():
        path, row, code = line.rsplit(":", 2)
        found.add((Path(os.path.normpath(path)).as_posix(), int(row), code))
    return found


def _python_rejects_nul_bytes_with_a_syntax_error() -> bool:
    try:
        ast.parse("x = 1\0")
    except SyntaxError:
        return True
    except ValueError:
        return False
    return False  # pragma: no cover


# Before Python 3.11.?, ast.parse raises ValueError on NUL bytes and flake8 itself dies with a
# traceback on such a file, before any plugin runs (`flake8 --select E9 nul.py` alone does it).
NUL_FILES = set() if _python_rejects_nul_bytes_with_a_syntax_error() else {"nul", "binary"}
# flake8 itself dies with a traceback (RecursionError in its own ast.parse, before any plugin
# runs) on a 10,000-deep attribute chain; the plugin's side is tested without flake8 below.
FLAKE8_CRASHES = NUL_FILES | {"deep-chain"}


@pytest.mark.slow
def test_flake8_over_every_hostile_file(tmp_path: Path) -> None:
    for name, data, _, _ in HOSTILE_FILES:
        if name not in FLAKE8_CRASHES:
            (tmp_path / f"{name}.py").write_bytes(data)
    (tmp_path / "good.py").write_text(BAD)
    (tmp_path / "pkg.py").mkdir()
    (tmp_path / "pkg.py" / "inner.py").write_text(BAD)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "l1.py").symlink_to(tmp_path / "l2.py")
    (tmp_path / "l2.py").symlink_to(tmp_path / "l1.py")
    (tmp_path / "secret.py").write_text(BAD)
    (tmp_path / "secret.py").chmod(0)  # unreadable, except for root
    unreadable = os.geteuid() != 0
    # A broken [tool.session-lint] table is one ORM002 line (per flake8 worker) on row 1, and
    # the run goes on with the default options.
    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\nselect = [\"ORM1\"\ncolour = 1\n")
    completed = flake8(["--select", "ORM,E9", ".", "does-not-exist.py"], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr and "session-lint" not in completed.stderr
    found = parse(completed.stdout)
    ours = {(path, row, code) for path, row, code in found if code.startswith("ORM")}
    config_errors = {finding for finding in ours if finding[2] == "ORM002"}
    assert config_errors and all(row == 1 for _, row, _ in config_errors)
    assert ours - config_errors == {
        ("good.py", 5, "ORM101"), ("pkg.py/inner.py", 5, "ORM101"), ("latin1-cookie.py", 7, "ORM101"),
        ("bom.py", 5, "ORM101"), ("cr.py", 5, "ORM101"), ("crlf.py", 5, "ORM101"),
    } | (set() if unreadable else {("secret.py", 5, "ORM101")})
    # What Python cannot read or parse is flake8's own E902/E999, one line per file (flake8
    # decodes undecodable bytes and unknown codecs as latin-1, so those reach the plugin).
    theirs = sorted(path for path, _, code in found if code.startswith("E9"))
    assert theirs == sorted({"binary.py", "deep.py", "does-not-exist.py", "dangling.py", "l1.py", "l2.py",
                             "nul.py", "python2.py", "syntax.py", *(["secret.py"] if unreadable else [])}
                            - {f"{name}.py" for name in FLAKE8_CRASHES})


# -- the plugin itself ---------------------------------------------------------------------------------
@pytest.mark.parametrize("data, expected", [(case[1], case[2]) for case in HOSTILE_FILES],
                         ids=[case[0] for case in HOSTILE_FILES])
def test_plugin_never_raises_on_hostile_text(data: bytes, expected) -> None:
    # As flake8 would hand them over (it falls back to latin-1 for undecodable bytes).
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    results = run_plugin(text)
    assert all(" ORM002 " not in f" {message}" for _, _, message in results)
    assert len(results) <= 1
    if expected is not None and " ORM101 " in expected:
        row = int(expected.split(":")[1])
        assert [(r, c, m.split()[0]) for r, c, m in results] == [(row, 8, "ORM101")]


def test_plugin_reports_a_file_too_large_to_check() -> None:
    # Only the first 8 MB of an oversized file are looked at: what rules look for must show
    # there, SQLAlchemy evidence included (a project factory's name counts only when imported).
    text = "from sqlalchemy.orm import Session\nsession.add(x)\n" + "x = 1\n" * (50 * 1024 * 1024 // 6)
    assert run_plugin(text) == [
        (1, 0, "ORM001 not checked: the file is 50.0 MB, larger than the 8 MB limit for source files")]


def test_plugin_that_fails_to_import_is_one_line_per_process(monkeypatch) -> None:
    import session_lint.registry as registry

    class BrokenEntryPoint:
        name = "broken"
        value = "no_such_module:Rule"

        def load(self):
            raise ModuleNotFoundError("No module named 'no_such_module'")

    real = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: [*real(), (BrokenEntryPoint(), "broken-plugin 1.0")])
    first = run_plugin("x = 1\n", "a.py")
    assert first == [(1, 0, "ORM002 rule plugin `broken = no_such_module:Rule` failed to load: "
                            "ModuleNotFoundError: No module named 'no_such_module'")]
    # Reported once; the other rules run on every file.
    assert [message.split()[0] for _, _, message in run_plugin(BAD, "b.py")] == ["ORM101"]


def test_plugin_internal_error_is_one_line(monkeypatch) -> None:
    import session_lint.engine as engine

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(engine, "lint_source", explode)
    assert run_plugin(BAD) == [
        (1, 0, "ORM002 session-lint failed on this file: RecursionError: maximum recursion depth exceeded")]


def test_plugin_project_scan_survives_files_that_vanish_and_broken_configuration(tmp_path, monkeypatch) -> None:
    import session_lint.discovery as discovery

    (tmp_path / "pyproject.toml").write_text("[tool.session-lint\n")  # invalid TOML
    (tmp_path / "db.py").write_text("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n")
    monkeypatch.chdir(tmp_path)
    real = discovery.project_files
    monkeypatch.setattr(discovery, "project_files",
                        lambda settings, linted=(): [*real(settings, linted), tmp_path / "vanished.py"])
    service = "from db import SessionLocal\n\ndef f():\n    with SessionLocal() as s:\n        s.add(1)\n"
    found = [(row, message.split()[0]) for row, _, message in run_plugin(service, "service.py")]
    assert found == [(1, "ORM002"), (5, "ORM101")]


def test_plugin_never_imports_the_linted_project(tmp_path, monkeypatch) -> None:
    (tmp_path / "good.py").write_text(BAD)
    marker = poisoned_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    service = (tmp_path / "service.py").read_text()
    assert [(row, message.split()[0]) for row, _, message in run_plugin(service, "service.py")] == [(5, "ORM101")]
    for path in tmp_path.rglob("*.py"):
        run_plugin(path.read_text(), str(path))
    assert not marker.exists()


# -- broken rule plugins, installed for real (dist-info and entry point), CLI and flake8 -------------
BROKEN_PLUGINS = [
    ("missing-module", "no_such_module:RULES", None,
     "rule plugin `broken = no_such_module:RULES` failed to load: ModuleNotFoundError: No module named 'no_such_module'"),
    ("syntax-error", "broken_rules:RULES", "def (:\n",
     "rule plugin `broken = broken_rules:RULES` failed to load: SyntaxError: invalid syntax"),
    ("exits-on-import", "broken_rules:RULES", "import sys\nsys.exit(3)\n",
     "rule plugin `broken = broken_rules:RULES` failed to load: SystemExit: 3"),
    ("missing-attribute", "broken_rules:NOPE", "RULES = []\n",
     "rule plugin `broken = broken_rules:NOPE` failed to load: AttributeError: "),
    ("not-a-rule", "broken_rules:RULES", "RULES = ['ORM999']\n",
     "rule plugin brokenplugin 0.1: 'ORM999' is not a session_lint.Rule subclass"),
    ("constructor-raises", "broken_rules:RULES",
     "from session_lint import Rule\n\nclass Bad(Rule):\n    code = 'BAD101'\n    name = 'bad'\n    summary = 'bad'\n\n"
     "    def __init__(self):\n        raise RuntimeError('cannot construct')\n\nRULES = [Bad]\n",
     "rule plugin brokenplugin 0.1: rule BAD101 cannot be created: RuntimeError: cannot construct"),
    ("bad-tokens", "broken_rules:RULES",
     "from session_lint import Rule\n\nclass Bad(Rule):\n    code = 'BAD101'\n    name = 'bad'\n    summary = 'bad'\n"
     "    tokens = 'add'\n\nRULES = [Bad]\n",
     "rule plugin brokenplugin 0.1: rule BAD101: `tokens` must be a tuple of strings, not 'add'"),
]


@pytest.fixture
def install_broken_plugin(tmp_path: Path, monkeypatch):
    import importlib

    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def install(entry_point: str, module_source) -> None:
        site = tmp_path / "site"
        info = site / "brokenplugin-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplugin\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[session_lint.rules]\nbroken = {entry_point}\n")
        if module_source is not None:
            (site / "broken_rules.py").write_text(module_source)
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.delitem(sys.modules, "broken_rules", raising=False)
        importlib.invalidate_caches()

    yield install
    sys.modules.pop("broken_rules", None)


@pytest.mark.parametrize("entry_point, module_source, expected", [case[1:] for case in BROKEN_PLUGINS],
                         ids=[case[0] for case in BROKEN_PLUGINS])
def test_broken_rule_plugin_through_the_cli(tmp_path, monkeypatch, capsys, install_broken_plugin,
                                            entry_point, module_source, expected) -> None:
    from session_lint.cli import main

    install_broken_plugin(entry_point, module_source)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "good.py").write_text(BAD)
    monkeypatch.chdir(tmp_path / "project")
    for jobs in ("1", "2"):
        with pytest.raises(SystemExit) as exit_info:
            main(["--no-cache", "--jobs", jobs, "--output-format", "concise", "good.py"])
        captured = capsys.readouterr()
        assert exit_info.value.code == 2
        assert captured.out.startswith("good.py:5:9: ORM101 ")  # the other rules still run
        (line,) = captured.err.splitlines()
        assert line.startswith("session-lint: error: " + expected), line


@pytest.mark.parametrize("entry_point, module_source, expected", [case[1:] for case in BROKEN_PLUGINS],
                         ids=[case[0] for case in BROKEN_PLUGINS])
def test_broken_rule_plugin_through_flake8(install_broken_plugin, entry_point, module_source, expected) -> None:
    install_broken_plugin(entry_point, module_source)
    results = run_plugin(BAD, "good.py")
    assert [(row, message.split()[0]) for row, _, message in results] == [(1, "ORM002"), (5, "ORM101")]
    assert results[0][2].startswith("ORM002 " + expected), results[0][2]
    assert [message.split()[0] for _, _, message in run_plugin(BAD, "other.py")] == ["ORM101"]
