"""Results do not depend on the working directory: `session-lint app/orders.py` run from the
project root, from `app/` and from the directory above the project gives the same findings,
because the project (its configuration, its root, its index of session factories) is found
from the file's own location."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import run_cli

DB = textwrap.dedent("""\
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite://")
    SessionLocal = sessionmaker(bind=engine)
    """)
# ORM101 is found only through the project index (SessionLocal is a sessionmaker in another
# module); ORM502 is hidden by the project's per-file-ignores; ORM503 is always there.
ORDERS = textwrap.dedent("""\
    from app.db import SessionLocal
    from app.models import Order


    def place(order):
        session = SessionLocal()
        session.add(order)
        session.close()


    def unshipped(ids):
        with SessionLocal() as session:
            return session.query(Order).filter(Order.shipped_at is None, Order.id in ids).all()
    """)
PYPROJECT = '[tool.session-lint]\nper-file-ignores = { "app/orders.py" = ["ORM502"] }\n'

Finding = Tuple[str, int, int, str]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """`tmp_path/proj`, a git project; `tmp_path` itself is no project."""
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "app").mkdir()
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "db.py").write_text(DB)
    (project / "app" / "orders.py").write_text(ORDERS)
    return tmp_path


def findings(out: str, cwd: Path) -> List[Finding]:
    """(real path, row, column, code + message) of each JSON finding."""
    return [(os.path.realpath(cwd / item["filename"]), item["location"]["row"], item["location"]["column"],
             f"{item['code']} {item['message']}") for item in json.loads(out)]


def run_from(cwd: Path, args: List[str], monkeypatch, capsys) -> Tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    return run_cli(args, capsys)


DIRECTORIES = {"root": "proj", "app": "proj/app", "parent": "."}


def test_the_same_findings_from_the_root_from_app_and_from_the_parent(workspace: Path, monkeypatch,
                                                                      capsys) -> None:
    target = workspace / "proj" / "app" / "orders.py"
    seen: Dict[str, List[Finding]] = {}
    for label, relative in DIRECTORIES.items():
        cwd = workspace / relative
        code, out, err = run_from(cwd, ["--no-cache", "--output-format", "json", os.path.relpath(target, cwd)],
                                  monkeypatch, capsys)
        assert code == 1, (label, err)
        seen[label] = findings(out, cwd)
    assert [f[3].split()[0] for f in seen["root"]] == ["ORM101", "ORM503"]
    assert seen["root"][0][0] == os.path.realpath(target)
    assert seen["app"] == seen["root"]
    assert seen["parent"] == seen["root"]


def test_sarif_paths_are_relative_to_the_repository_from_every_directory(workspace: Path, monkeypatch,
                                                                         capsys) -> None:
    target = workspace / "proj" / "app" / "orders.py"
    reports = []
    for relative in DIRECTORIES.values():
        cwd = workspace / relative
        code, out, _ = run_from(cwd, ["--no-cache", "--output-format", "sarif", os.path.relpath(target, cwd)],
                                monkeypatch, capsys)
        assert code == 1
        reports.append(json.loads(out))
    uris = [[result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
             for result in report["runs"][0]["results"]] for report in reports]
    assert uris[0] == ["app/orders.py", "app/orders.py"]
    assert reports[1] == reports[0] and reports[2] == reports[0]


def test_the_cache_lives_at_the_project_root_whatever_the_cwd(workspace: Path, monkeypatch, capsys) -> None:
    target = workspace / "proj" / "app" / "orders.py"
    for relative in ("proj/app", "."):
        cwd = workspace / relative
        code, _, err = run_from(cwd, [os.path.relpath(target, cwd)], monkeypatch, capsys)
        assert code == 1, err
    assert (workspace / "proj" / ".session_lint_cache" / "CACHEDIR.TAG").is_file()
    assert not (workspace / "proj" / "app" / ".session_lint_cache").exists()
    assert not (workspace / ".session_lint_cache").exists()


def test_stdin_is_linted_in_the_project_of_its_file_name(workspace: Path, monkeypatch, capsys) -> None:
    import io

    monkeypatch.chdir(workspace)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(ORDERS.encode())))
    code, out, _ = run_cli(["--output-format", "json", "-", "--stdin-filename", "proj/app/orders.py"], capsys)
    assert code == 1
    assert [item["code"] for item in json.loads(out)] == ["ORM101", "ORM503"]


def test_files_of_two_projects_are_linted_each_with_its_own_configuration(tmp_path: Path, monkeypatch,
                                                                          capsys) -> None:
    # A monorepo: one repository, two projects with a pyproject.toml each.
    (tmp_path / ".git").mkdir()
    bad = ("from sqlalchemy.orm import Session\nfrom app.models import User\n\n\ndef q(session: Session):\n"
           "    return session.query(User).filter(User.name is None).all()\n")
    for name, ignored in (("api", "ORM503"), ("worker", "ORM5")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(f'[tool.session-lint]\nignore = ["{ignored}"]\n')
        (tmp_path / name / "jobs.py").write_text(bad)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "jobs.py").write_text(bad)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--no-cache", "--output-format", "json", "api/jobs.py", "worker/jobs.py",
                              "scripts/jobs.py"], capsys)
    assert code == 1, err
    # api and worker ignore ORM503 in their own configuration; scripts/ belongs to the
    # repository root, which has none.
    assert [(item["filename"], item["code"]) for item in json.loads(out)] == [("scripts/jobs.py", "ORM503")]
