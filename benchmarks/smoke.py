"""Whole-ecosystem smoke run: zero internal errors (ORM002) on real, varied code.

`python benchmarks/smoke.py` creates `benchmarks/.cache/smoke-venv` with SQLAlchemy,
Flask-SQLAlchemy, SQLModel, FastAPI and Alembic installed, then runs session-lint (the one
installed in the running interpreter) with every rule over the standard library of the
running interpreter and over that venv's site-packages. Nothing is excluded (no default
excludes, no .gitignore: the standard library has a `venv` package, site-packages has
`build` modules), except the interpreter's own site-packages inside the standard library
directory, which is not the standard library.

It prints files, lines, findings per code and the ORM002 findings, writes a summary with the
ORM002 tracebacks to `--summary`, and exits 1 if there is any ORM002.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from collections import Counter
from pathlib import Path
from typing import List

HERE = Path(__file__).resolve().parent
VENV = HERE / ".cache" / "smoke-venv"
PACKAGES = ["sqlalchemy", "flask-sqlalchemy", "sqlmodel", "fastapi", "alembic"]


def site_packages(environment: Path) -> Path:
    found = sorted(environment.glob("lib/python*/site-packages"))
    if not found:
        raise SystemExit(f"no site-packages under {environment}")
    return found[0]


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Idempotent: a venv left half-built by an interrupted run is completed.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PACKAGES], check=True)
    return site_packages(VENV)


def installed(environment: Path) -> List[str]:
    completed = subprocess.run([str(environment / "bin" / "python"), "-m", "pip", "list", "--format", "freeze"],
                               capture_output=True, text=True, check=True)
    return completed.stdout.split()


def python_files(target: Path, skip: List[str]) -> List[Path]:
    found = []
    for directory, subdirectories, files in os.walk(target):
        subdirectories[:] = [d for d in subdirectories if d not in skip]
        found.extend(Path(directory) / name for name in files if name.endswith(".py"))
    return found


def count_lines(paths) -> int:
    total = 0
    for path in paths:
        try:
            total += path.read_bytes().count(b"\n")
        except OSError:
            pass
    return total


def lint(target: Path, skip: List[str], jobs: int) -> dict:
    files = python_files(target, skip)
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "pyproject.toml"
        config.write_text("[tool.session-lint]\nexclude = []\nrespect-gitignore = false\n"
                          f"extend-exclude = {json.dumps([name + '/' for name in skip])}\n")
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "session_lint", "--config", str(config), "--no-cache", "--exit-zero", "-v",
             "--jobs", str(jobs), "--output-format", "json", str(target)],
            capture_output=True, text=True, cwd=work,
        )
        elapsed = time.perf_counter() - started
    findings = json.loads(completed.stdout or "[]")
    checked = re.search(r"session-lint: checked (\d+) files?", completed.stderr)
    return {
        "target": str(target), "files": len(files), "files_checked": int(checked.group(1)) if checked else None,
        "lines": count_lines(files), "seconds": round(elapsed, 1), "exit": completed.returncode,
        "codes": dict(sorted(Counter(item["code"] for item in findings).items())),
        "internal": [f"{i['filename']}:{i['location']['row']}: {i['message']}" for i in findings if i["code"] == "ORM002"],
        "parse_errors": [f"{i['filename']}:{i['location']['row']}: {i['message']}" for i in findings
                         if i["code"] == "ORM001"],
        "stderr": completed.stderr,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-venv", action="store_true", help="only the standard library")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--summary", type=Path, default=HERE / ".cache" / "smoke-summary.json")
    options = parser.parse_args()
    targets = [(Path(sysconfig.get_paths()["stdlib"]), ["site-packages"])]
    packages: List[str] = []
    if not options.skip_venv:
        targets.append((ensure_venv(), []))
        packages = installed(VENV)
        print("venv packages:", " ".join(packages))
    failed = False
    reports = []
    for target, skip in targets:
        report = lint(target, skip, options.jobs)
        reports.append(report)
        print(f"{report['target']}: {report['files']} files ({report['files_checked']} checked), "
              f"{report['lines']} lines, {report['seconds']} s, exit {report['exit']}")
        print("  findings per code: " + ", ".join(f"{c}={n}" for c, n in report["codes"].items()))
        print(f"  ORM002: {len(report['internal'])}")
        for line in report["internal"][:20]:
            print("   ", line)
        if report["exit"] not in (0, 1, 2):
            print("  stderr tail:", *report["stderr"].splitlines()[-5:], sep="\n    ")
        failed = failed or bool(report["internal"]) or report["exit"] not in (0, 1, 2)
    total_files = sum(r["files"] for r in reports)
    total_lines = sum(r["lines"] for r in reports)
    total_codes: Counter = Counter()
    for report in reports:
        total_codes.update(report["codes"])
    print(f"total: {total_files} files, {total_lines} lines, ORM002: {total_codes.get('ORM002', 0)}")
    options.summary.parent.mkdir(parents=True, exist_ok=True)
    options.summary.write_text(json.dumps({"python": sys.version, "venv_packages": packages, "targets": reports,
                                           "total_files": total_files, "total_lines": total_lines,
                                           "total_codes": dict(sorted(total_codes.items()))}, indent=2))
    print(f"summary: {options.summary}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
