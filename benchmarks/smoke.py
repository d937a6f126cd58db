"""Whole-ecosystem smoke run: zero internal errors (ORM002) on real, varied code.

`python benchmarks/smoke.py` creates `benchmarks/.cache/smoke-venv` with SQLAlchemy,
Flask-SQLAlchemy, SQLModel, FastAPI and Alembic installed, then runs session-lint (the one
installed in the running interpreter) with every rule over the standard library of the
running interpreter and over that venv's site-packages. It prints files, lines, findings
per code and the ORM002 findings, and exits 1 if there is any ORM002.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import sysconfig
import time
import venv
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".cache" / "smoke-venv"
PACKAGES = ["sqlalchemy", "flask-sqlalchemy", "sqlmodel", "fastapi", "alembic"]


def site_packages(environment: Path) -> Path:
    found = sorted(environment.glob("lib/python*/site-packages"))
    if not found:
        raise SystemExit(f"no site-packages under {environment}")
    return found[0]


def ensure_venv() -> Path:
    if not (VENV / "bin" / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *PACKAGES], check=True)
    return site_packages(VENV)


def count_lines(paths) -> int:
    total = 0
    for path in paths:
        try:
            total += path.read_bytes().count(b"\n")
        except OSError:
            pass
    return total


def lint(target: Path) -> dict:
    files = [p for p in target.rglob("*.py") if p.is_file()]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "session_lint", "--isolated", "--no-cache", "--exit-zero",
         "--output-format", "json", str(target)],
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    findings = json.loads(completed.stdout or "[]")
    return {
        "target": str(target), "files": len(files), "lines": count_lines(files),
        "seconds": round(elapsed, 1), "exit": completed.returncode,
        "codes": Counter(item["code"] for item in findings),
        "internal": [f"{i['filename']}:{i['location']['row']}: {i['message']}" for i in findings if i["code"] == "ORM002"],
        "stderr": completed.stderr.strip().splitlines()[-5:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-venv", action="store_true", help="only the standard library")
    options = parser.parse_args()
    targets = [Path(sysconfig.get_paths()["stdlib"])]
    if not options.skip_venv:
        targets.append(ensure_venv())
    failed = False
    for target in targets:
        report = lint(target)
        print(f"{report['target']}: {report['files']} files, {report['lines']} lines, "
              f"{report['seconds']} s, exit {report['exit']}")
        print("  findings per code: " + ", ".join(f"{c}={n}" for c, n in sorted(report["codes"].items())))
        print(f"  ORM002: {len(report['internal'])}")
        for line in report["internal"][:20]:
            print("   ", line)
        if report["exit"] not in (0, 1):
            print("  stderr tail:", *report["stderr"], sep="\n    ")
        failed = failed or bool(report["internal"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
