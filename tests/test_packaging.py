"""The wheel ships the catalogue pages, so `--explain` works from a normal install."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_catalogue_page_is_force_included() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    pages = {f"rules/{p.parent.name}/README.md": f"session_lint/_catalogue/{p.parent.name}/README.md"
             for p in (ROOT / "rules").glob("*/README.md")}
    assert included == pages


def test_wheel_contains_pages_entry_points_and_no_fixtures(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    if completed.returncode != 0:
        pytest.fail(f"pip wheel failed: {completed.stderr[-2000:]}")
    wheel = next(tmp_path.glob("session_lint-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for page in (ROOT / "rules").glob("*/README.md"):
        assert f"session_lint/_catalogue/{page.parent.name}/README.md" in names
    assert not [n for n in names if n.startswith("session_lint/_catalogue/") and n.endswith(".py")]
    assert "session-lint = session_lint.cli:main" in entry_points
    assert "ORM = session_lint.flake8_plugin:SessionLintPlugin" in entry_points
    assert "builtin = session_lint.rules:BUILTIN_RULES" in entry_points
