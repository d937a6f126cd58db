"""Real-world validation: lint a pinned corpus of open-source SQLAlchemy code.

    python benchmarks/corpus.py [--select CODES] [--projects a,b] [--sample N --seed S]
                                [--sample-out benchmarks/review-sample.md]

Downloads the pinned source distributions below with pip (`pip download --no-deps
--no-binary NAME NAME==VERSION`; only the project itself is forced to an sdist, so its build
backend may come as a wheel and metadata preparation stays fast) into
`benchmarks/.cache/corpus/` (git-ignored), unpacks them, and runs session-lint from the
running interpreter (`python -m session_lint`) over each project with no results cache.
It writes `benchmarks/corpus-report.md` (per project: version, files, lines, findings per
rule, ORM001, ORM002, wall time; and precision from `benchmarks/verdicts.csv`) and
`benchmarks/corpus-findings.json` (every finding with its project and version), and with
`--sample-out` a review sheet: per rule up to N seeded-random findings with source context.
`--misses-out` writes a seeded sample of grep hits for patterns the core rules are meant to
catch, for reading by hand.

Exit status: 1 if any ORM002 (internal error) was reported, else 0.
Not part of the test suite: it needs the network (PyPI through pip) the first time.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "corpus"
SDISTS = CACHE / "sdists"
TREES = CACHE / "src"
# The cache lives under a git-ignored directory of this repository, so session-lint's
# .gitignore handling would skip every file; `--isolated` cannot turn that off, hence an
# explicit configuration that does exactly what `--isolated` does plus this one setting
# (it also keeps any [tool.session-lint] table shipped inside an sdist out of the run).
CONFIG = CACHE / "session-lint.toml"


def config_text() -> str:
    """`respect-gitignore = false`, and every opt-in rule selected: the corpus measures all."""
    from session_lint.registry import load_rules

    opt_in = sorted(load_rules().opt_in_codes())
    selected = f"extend-select = {json.dumps(opt_in)}\n" if opt_in else ""
    return "[tool.session-lint]\nrespect-gitignore = false\n" + selected


REPORT = HERE / "corpus-report.md"
FINDINGS = HERE / "corpus-findings.json"
VERDICTS = HERE / "verdicts.csv"
ENGINE_CODES = ("ORM001", "ORM002")
VERDICT_FIELDS = ("project", "version", "path", "line", "code", "verdict", "reason")


@dataclass(frozen=True)
class Project:
    name: str  # the PyPI name
    version: str
    sha256: str  # of the sdist: PyPI never replaces a file, this catches a wrong or damaged one
    style: str  # which way of using sessions it stands for
    # Subtrees of the unpacked sdist to lint; empty means the whole sdist.
    paths: Tuple[str, ...] = ()


PROJECTS: Tuple[Project, ...] = (
    Project("sqlalchemy", "2.1.9",
            "d700a8b2edfb26282a470333d6bc4a454c4acda4d201a3bea7b72fa76c217d28",
            "2.0 Session/select and legacy query: examples and tests",
            ("examples", "test")),
    Project("flask-sqlalchemy", "3.1.1",
            "e4b68bb881802dda1a7d878b2fc84c06d1ee57fb40b874d3dc97dabfa36b8312",
            "Flask-SQLAlchemy itself: db.session, tests and docs examples"),
    Project("flask-appbuilder", "5.3.0",
            "baf645c3c150471c6660049cdb61a1e79f318b63524531f890d42f406f5d5596",
            "Flask-SQLAlchemy app framework, legacy session.query"),
    Project("flask-admin", "2.2.1",
            "08b4b6b63d2100598add70c1dc9a695f484e3c16c894c09ac70af26acb26a87d",
            "Flask-SQLAlchemy admin views and examples"),
    Project("sqladmin", "0.32.0",
            "4433dd89f6442856efa8f1ed1acf4b1b8ba67abe15ca54f9364c043ed301c823",
            "Starlette admin, sync Session and AsyncSession"),
    Project("starlette-admin", "1.0.3",
            "d215614b85bcccdf57c02b9a3c0c64e21062b8166ec683f2636dfedc6f6ded76",
            "Starlette admin, Session/AsyncSession per request"),
    Project("fastapi-users-db-sqlalchemy", "7.0.0",
            "6823eeedf8a92f819276a2b2210ef1dcfd71fe8b6e37f7b4da8d1c60e3dfd595",
            "FastAPI dependency, AsyncSession"),
    Project("sqlmodel", "0.0.50",
            "8828720c5b6c397df72cdd055286846a352b614da80c1ba05ab7a57b2bb90821",
            "SQLModel: Session(engine), select(), FastAPI tutorials"),
    Project("advanced-alchemy", "1.12.0",
            "65d9349f91dc01327da93ece64a578c8942ce51425113116c0e28a94e6f34d4d",
            "AsyncSession repositories, Litestar/FastAPI/Flask plugins"),
    Project("optuna", "5.0.0",
            "358bb878b7b1e20e90dc944ac4261796dd3d5c2b7860aa960a08fc10e0b5beff",
            "scoped sessions, legacy session.query (RDB storage)"),
    Project("ckan", "2.12.0",
            "108765eb4396dfc2506b0b9ce6d09c2f356c87e4116dcab3fa076bfd96f2b876",
            "large app: scoped_session model.Session, legacy query"),
    Project("mlflow", "3.18.0",
            "04e912d5b154b417c5930ba47ef3dc2f74738fb3ba93e3d70499955ec8884540",
            "large app: sessionmaker context managers, legacy query"),
    Project("prefect", "3.9.1",
            "56f091cd49a06e6c3f98eea93648208f6750361d1dd0aeb60b5faa0e9cb5c458",
            "large app: AsyncSession, 2.0 select()"),
    Project("apache-airflow-core", "3.3.2",
            "53f38e7749a2689a1d67c6e661284ecddaa687c1f7f3cae2d76b2eca7758210f",
            "large app: @provide_session, query and select()"),
    # Added in review round 3: applications rather than libraries, where unchecked lookups
    # are written (the 14 above check theirs), so ORM201's precision is measured on true
    # findings too.
    Project("flaskbb", "2.0.2",
            "45d32eb8cbc8fa80cfb26410ecf395a95ef39a52166ec40e626a3ef759b65148",
            "Flask-SQLAlchemy forum app: Model.query, db.session"),
    Project("zou", "1.0.97",
            "5114b1f16f351cc6287abc4d2c0f9325296ea5500d1653e33086bdf2919c1eea",
            "Flask-SQLAlchemy REST API server: Model.query, db.session"),
    Project("buildbot", "4.3.0",
            "cbf46a15004bb1229712285e4f2b98163a169868ea00783e5e0d7cf8d5e8d962",
            "SQLAlchemy Core on connections in worker threads"),
    Project("apache-superset", "6.1.0",
            "56976e5773864f906e30a689dec2641e554286e8be860ecc1e3d4ff5ff6b2e32",
            "large app: Flask-SQLAlchemy db.session, legacy query, DAOs"),
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def tree_of(project: Project) -> Path:
    return TREES / f"{canonical(project.name)}-{project.version}"


# --- download and unpack -------------------------------------------------------------------

def find_sdist(project: Project) -> Optional[Path]:
    for path in sorted(SDISTS.glob("*")):
        for suffix in (".tar.gz", ".zip", ".tar.bz2"):
            if not path.name.endswith(suffix):
                continue
            name, _, version = path.name[: -len(suffix)].rpartition("-")
            if canonical(name) == canonical(project.name) and version == project.version:
                return path
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked(project: Project, archive: Path) -> Path:
    actual = sha256_of(archive)
    if actual != project.sha256:
        raise SystemExit(f"{archive}: sha256 {actual} is not the pinned {project.sha256}; "
                         "delete the file to download it again")
    return archive


def download(project: Project) -> Path:
    found = find_sdist(project)
    if found is not None:
        return checked(project, found)
    SDISTS.mkdir(parents=True, exist_ok=True)
    # `--no-binary NAME` rather than `:all:`: with `:all:` pip would also build the sdist's
    # build backend from source, which is slow and sometimes impossible.
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", project.name,
               "--dest", str(SDISTS), f"{project.name}=={project.version}"]
    completed = subprocess.run(command, capture_output=True, text=True)
    found = find_sdist(project)
    if completed.returncode != 0 or found is None:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-8:])
        raise SystemExit(f"cannot download {project.name}=={project.version}:\n{tail}")
    return checked(project, found)


def _inside(base: Path, member: str) -> bool:
    target = (base / member).resolve()
    return target == base or base in target.parents


def unpack(project: Project, archive: Path) -> Path:
    destination = tree_of(project)
    stamp = destination / ".unpacked"
    if stamp.exists():
        return destination
    if destination.exists():
        shutil.rmtree(destination)
    staging = destination.with_name(destination.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    base = staging.resolve()
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as bundle:
            for name in bundle.namelist():
                if not _inside(base, name):
                    raise SystemExit(f"{archive.name}: member escapes the tree: {name}")
            bundle.extractall(staging)
    else:
        with tarfile.open(archive) as bundle:
            members = [m for m in bundle.getmembers() if m.isfile() or m.isdir()]
            for member in members:
                if not _inside(base, member.name):
                    raise SystemExit(f"{archive.name}: member escapes the tree: {member.name}")
            # Links and devices are dropped above; the "data" filter (3.12+, and backported
            # to late 3.9-3.11 patch releases) also refuses odd permissions when present.
            if hasattr(tarfile, "data_filter"):
                bundle.extractall(staging, members=members, filter="data")
            else:
                bundle.extractall(staging, members=members)
    # Every sdist unpacks to one top directory; the tree is that directory's content.
    entries = list(staging.iterdir())
    top = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    top.rename(destination)
    if staging.exists():
        shutil.rmtree(staging)
    stamp.write_text(f"{archive.name}\n", encoding="utf-8")
    return destination


# --- lint ----------------------------------------------------------------------------------

def lint_targets(project: Project, tree: Path) -> List[Path]:
    if not project.paths:
        return [tree]
    targets = [tree / sub for sub in project.paths]
    missing = [str(t) for t in targets if not t.exists()]
    if missing:
        raise SystemExit(f"{project.name}: not in the sdist: {', '.join(missing)}")
    return targets


def linted_files(targets: Sequence[Path]) -> List[Path]:
    """The files session-lint itself discovers under these settings, for honest counts."""
    from session_lint.config import load_settings
    from session_lint.discovery import collect_files
    from session_lint.settings import Settings

    settings = load_settings(CONFIG, Settings())
    return collect_files([str(t) for t in targets], settings).files


def count_lines(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.read_bytes().count(b"\n")
        except OSError:
            pass
    return total


def lint(project: Project, tree: Path, select: Optional[str], jobs: Optional[int]) -> Dict[str, object]:
    targets = lint_targets(project, tree)
    files = linted_files(targets)
    command = [sys.executable, "-m", "session_lint", "--config", str(CONFIG), "--no-cache",
               "--exit-zero", "--output-format", "json"]
    if select:
        command += ["--select", select]
    if jobs:
        command += ["--jobs", str(jobs)]
    # Relative paths in the output: run from the project's tree.
    command += [os.path.relpath(t, tree) for t in targets]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=str(tree))
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{project.name}: session-lint exited {completed.returncode}:\n"
                         f"{completed.stderr.strip()[-2000:]}")
    raw = json.loads(completed.stdout or "[]")
    findings = []
    for item in raw:
        findings.append({
            "project": project.name,
            "version": project.version,
            "path": _relative(item["filename"], tree),
            "line": item["location"]["row"],
            "column": item["location"]["column"],
            "code": item["code"],
            "message": item["message"],
        })
    findings.sort(key=lambda f: (f["path"], f["line"], f["column"], f["code"]))
    return {
        "project": project.name, "version": project.version, "style": project.style,
        "paths": list(project.paths) or ["."], "files": len(files), "lines": count_lines(files),
        "seconds": round(seconds, 2), "findings": findings,
    }


# --- verdicts and precision ----------------------------------------------------------------

def _relative(filename: str, tree: Path) -> str:
    path = Path(filename)
    if path.is_absolute():
        path = path.resolve().relative_to(tree.resolve())
    # Path() already drops a leading "./".
    return path.as_posix()


def finding_key(item: Dict[str, object]) -> Tuple[str, str, str, int, str]:
    return (str(item["project"]), str(item["version"]), str(item["path"]), int(item["line"]), str(item["code"]))


def read_verdicts(path: Path = VERDICTS) -> List[Dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        if None in row:  # more fields than the header: a reason with a comma left unquoted
            raise SystemExit(f"{path}:{number}: {len(row) - 1 + len(row[None])} fields for {len(row) - 1} columns; "
                             "quote the reason")
        if row.get("verdict") not in ("true", "false"):
            raise SystemExit(f"{path}:{number}: verdict must be `true` or `false`, not {row.get('verdict')!r}")
        if not (row.get("round") or "1").isdigit():
            raise SystemExit(f"{path}:{number}: round must be a number, not {row.get('round')!r}")
    return rows


def precision_table(verdicts: List[Dict[str, str]], findings: List[Dict[str, object]],
                    linted: Iterable[Tuple[str, str]]) -> List[str]:
    """Two views per rule: every verdict ever recorded (all rounds: what the review found,
    and which of those findings are no longer reported), and the findings of *this* run,
    judged by their latest verdict (the precision a user sees today)."""
    reported = {finding_key(f) for f in findings}
    # Verdicts on projects left out of this run (--projects) are neither counted nor "gone".
    linted = set(linted)
    by_rule: Dict[str, Counter] = defaultdict(Counter)
    latest: Dict[Tuple[str, str, str, int, str], Tuple[int, str]] = {}
    for row in verdicts:
        if (row["project"], row["version"]) not in linted:
            continue
        key = (row["project"], row["version"], row["path"], int(row["line"]), row["code"])
        counts = by_rule[row["code"]]
        counts[row["verdict"]] += 1
        # A reviewed finding that is no longer reported was a false alarm fixed (or a true
        # finding lost: the "true, gone" column shows those).
        if key not in reported:
            counts["gone-" + row["verdict"]] += 1
        round_number = int(row.get("round") or 1)
        if key not in latest or round_number >= latest[key][0]:
            latest[key] = (round_number, row["verdict"])
    for finding in findings:
        key = finding_key(finding)
        code = key[-1]
        if code in ENGINE_CODES:
            continue
        verdict = latest.get(key)  # type: ignore[arg-type]
        by_rule[code]["now-" + (verdict[1] if verdict else "unreviewed")] += 1
    lines = ["| rule | verdicts (all rounds) | true | false | false alarms no longer reported | "
             "true findings no longer reported | reported now | now true | now false | "
             "now unreviewed | precision now |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for code in sorted(by_rule):
        counts = by_rule[code]
        reviewed = counts["true"] + counts["false"]
        now = counts["now-true"] + counts["now-false"] + counts["now-unreviewed"]
        judged = counts["now-true"] + counts["now-false"]
        precision = f"{counts['now-true'] / judged:.2f}" if judged else "-"
        lines.append(f"| {code} | {reviewed} | {counts['true']} | {counts['false']} | "
                     f"{counts['gone-false']} | {counts['gone-true']} | {now} | {counts['now-true']} | "
                     f"{counts['now-false']} | {counts['now-unreviewed']} | {precision} |")
    return lines


# --- report --------------------------------------------------------------------------------

def write_report(results: List[Dict[str, object]], total_seconds: float, select: Optional[str]) -> None:
    all_findings = [f for r in results for f in r["findings"]]  # type: ignore[union-attr]
    rule_codes = sorted({f["code"] for f in all_findings} - set(ENGINE_CODES))
    out = ["# Corpus report", "",
           "Generated by `python benchmarks/corpus.py`; do not edit by hand. "
           f"Rules selected: {select or 'all installed, opt-in ones too'}; session-lint "
           f"{_session_lint_version()} on Python {sys.version.split()[0]}.",
           "", "## Per project", ""]
    header = ["project", "version", "linted", "files", "lines", *rule_codes, "ORM001", "ORM002", "wall s"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * 3 + "---:|" * (len(header) - 3))
    totals: Counter = Counter()
    for result in results:
        codes = Counter(f["code"] for f in result["findings"])  # type: ignore[union-attr]
        totals.update(codes)
        totals["files"] += result["files"]  # type: ignore[operator]
        totals["lines"] += result["lines"]  # type: ignore[operator]
        totals["seconds"] += result["seconds"]  # type: ignore[operator]
        cells = [str(result["project"]), str(result["version"]), ", ".join(result["paths"]),  # type: ignore[arg-type]
                 str(result["files"]), str(result["lines"]),
                 *[str(codes.get(c, 0)) for c in rule_codes],
                 str(codes.get("ORM001", 0)), str(codes.get("ORM002", 0)), f"{result['seconds']:.1f}"]
        out.append("| " + " | ".join(cells) + " |")
    out.append("| **total** | | | " + " | ".join(
        [str(totals["files"]), str(totals["lines"]), *[str(totals.get(c, 0)) for c in rule_codes],
         str(totals.get("ORM001", 0)), str(totals.get("ORM002", 0)), f"{totals['seconds']:.1f}"]) + " |")
    out += ["", f"Whole run (download, unpack, lint): {total_seconds:.1f} s.", ""]
    out += ["## Projects", "", "| project | version | style |", "|---|---|---|"]
    out += [f"| {r['project']} | {r['version']} | {r['style']} |" for r in results]
    internal = [f for f in all_findings if f["code"] == "ORM002"]
    out += ["", "## ORM002 (internal errors)", ""]
    out += [f"- {f['project']} {f['version']} `{f['path']}:{f['line']}`: {f['message']}" for f in internal] or ["None."]
    syntax = [f for f in all_findings if f["code"] == "ORM001"]
    out += ["", "## ORM001 (files that could not be parsed)", ""]
    out += [f"- {f['project']} {f['version']} `{f['path']}:{f['line']}`: {f['message']}" for f in syntax] or ["None."]
    out += ["", "## Precision of the reviewed findings (`benchmarks/verdicts.csv`)", ""]
    out += precision_table(read_verdicts(), all_findings,
                           [(str(r["project"]), str(r["version"])) for r in results])
    REPORT.write_text("\n".join(out) + "\n", encoding="utf-8")
    FINDINGS.write_text(json.dumps(all_findings, indent=1) + "\n", encoding="utf-8")


def _session_lint_version() -> str:
    try:
        from session_lint import __version__
        return str(__version__)
    except ImportError:
        return "?"


# --- review sheets -------------------------------------------------------------------------

def context_of(project: Project, path: str, line: int, around: int = 3) -> str:
    try:
        text = (tree_of(project) / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(source not readable)"
    start, end = max(1, line - around), min(len(text), line + around)
    return "\n".join(f"{'>' if n == line else ' '}{n:5d} | {text[n - 1]}" for n in range(start, end + 1))


def write_sample(findings: List[Dict[str, object]], size: int, seed: int, out: Path) -> None:
    projects = {(p.name, p.version): p for p in PROJECTS}
    verdicts = {(r["project"], r["version"], r["path"], int(r["line"]), r["code"]): r for r in read_verdicts()}
    by_rule: Dict[str, List[Dict[str, object]]] = defaultdict(list)
    for item in findings:
        if item["code"] not in ENGINE_CODES:
            by_rule[str(item["code"])].append(item)
    lines = ["# Findings to review", "",
             f"Per rule: every finding when there are at most {size}, else a random sample of {size} "
             f"(`random.Random({seed})` over the findings sorted by project, path, line). "
             "Record each verdict in `benchmarks/verdicts.csv`.", ""]
    for code in sorted(by_rule):
        everything = by_rule[code]
        # One generator per rule, seeded by the rule's code too, so adding a rule does not
        # change another rule's sample.
        rng = random.Random(f"{seed}:{code}")
        chosen = everything if len(everything) <= size else rng.sample(everything, size)
        chosen = sorted(chosen, key=lambda f: (f["project"], f["path"], f["line"]))
        lines += [f"## {code}: {len(chosen)} of {len(everything)}", ""]
        for number, item in enumerate(chosen, start=1):
            key = finding_key(item)
            seen = verdicts.get(key)
            status = f" — reviewed: **{seen['verdict']}** ({seen['reason']})" if seen else ""
            project = projects[(str(item["project"]), str(item["version"]))]
            lines += [f"### {code}-{number}: {item['project']} {item['version']} `{item['path']}:{item['line']}`{status}",
                      "", f"{item['message']}", "", "```python",
                      context_of(project, str(item["path"]), int(item["line"])), "```", ""]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


# Patterns the core rules exist for, found by text so that what the rules miss shows up:
# an unchecked `.first()` used at once, an `except` that follows a commit, and an `.add(`
# inside a `with ...Session...` block.
MISS_PATTERNS: Tuple[Tuple[str, str], ...] = (
    ("first-then-attribute", r"\.first\(\)\s*\.\w+|\.first\(\)\s*$"),
    ("except-after-commit", r"\.commit\(\)"),
    ("add-in-with-session", r"^\s*with\s+.*[Ss]ession.*:\s*$"),
)


def _miss_hits(project: Project, files: Sequence[Path]) -> Dict[str, List[Tuple[str, int]]]:
    hits: Dict[str, List[Tuple[str, int]]] = defaultdict(list)
    tree = tree_of(project)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        relative = path.resolve().relative_to(tree.resolve()).as_posix()
        for index, line in enumerate(text):
            window = text[index + 1: index + 8]
            if re.search(MISS_PATTERNS[0][1], line):
                hits["first-then-attribute"].append((relative, index + 1))
            if re.search(MISS_PATTERNS[1][1], line) and any(re.match(r"\s*except\b", w) for w in window[:4]):
                hits["except-after-commit"].append((relative, index + 1))
            if re.match(MISS_PATTERNS[2][1], line) and any(".add(" in w or ".add_all(" in w for w in window):
                hits["add-in-with-session"].append((relative, index + 1))
    return hits


def write_misses(selected: Sequence[Project], size: int, seed: int, out: Path) -> None:
    pooled: Dict[str, List[Tuple[Project, str, int]]] = defaultdict(list)
    for project in selected:
        files = linted_files(lint_targets(project, tree_of(project)))
        for pattern, hits in _miss_hits(project, files).items():
            pooled[pattern].extend((project, path, line) for path, line in hits)
    lines = ["# Candidate misses to read", "",
             f"Text hits for the core patterns, a random sample of {size} each (seed {seed}). "
             "A real mistake here that no rule reports is a miss.", ""]
    for pattern, _ in MISS_PATTERNS:
        everything = pooled.get(pattern, [])
        rng = random.Random(f"{seed}:{pattern}")
        chosen = everything if len(everything) <= size else rng.sample(everything, size)
        chosen = sorted(chosen, key=lambda h: (h[0].name, h[1], h[2]))
        lines += [f"## {pattern}: {len(chosen)} of {len(everything)}", ""]
        for project, path, line in chosen:
            lines += [f"### {project.name} {project.version} `{path}:{line}`", "", "```python",
                      context_of(project, path, line, around=6), "```", ""]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- main ----------------------------------------------------------------------------------

def choose(projects_option: Optional[str]) -> List[Project]:
    if not projects_option:
        return list(PROJECTS)
    wanted = [canonical(n) for n in projects_option.split(",") if n.strip()]
    known = {canonical(p.name): p for p in PROJECTS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"unknown project(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [known[n] for n in wanted]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--select", help="rule codes or prefixes, passed to session-lint --select")
    parser.add_argument("--projects", help="comma-separated PyPI names from the pinned list (default: all)")
    parser.add_argument("--sample", type=int, default=60, help="findings per rule in the review sheet (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the review sample (default 7)")
    parser.add_argument("--sample-out", type=Path, help="write the review sheet here (e.g. benchmarks/review-sample.md)")
    parser.add_argument("--misses-out", type=Path, help="write a sample of grep hits for the core patterns here")
    parser.add_argument("-j", "--jobs", type=int, help="session-lint worker processes (default: its own)")
    options = parser.parse_args(argv)

    selected = choose(options.projects)
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(config_text(), encoding="utf-8")
    results = []
    for project in selected:
        tree = unpack(project, download(project))
        result = lint(project, tree, options.select, options.jobs)
        codes = Counter(f["code"] for f in result["findings"])  # type: ignore[union-attr]
        summary = ", ".join(f"{c} {n}" for c, n in sorted(codes.items())) or "no findings"
        print(f"{project.name} {project.version}: {result['files']} files, {result['lines']} lines, "
              f"{result['seconds']:.1f} s: {summary}", flush=True)
        results.append(result)
    total = time.perf_counter() - started
    write_report(results, total, options.select)
    findings = [f for r in results for f in r["findings"]]  # type: ignore[union-attr]
    print(f"wrote {REPORT.relative_to(HERE.parent)} and {FINDINGS.relative_to(HERE.parent)} "
          f"({len(findings)} findings, {total:.1f} s)")
    if options.sample_out:
        write_sample(findings, options.sample, options.seed, options.sample_out)
        print(f"wrote {options.sample_out}")
    if options.misses_out:
        write_misses(selected, options.sample, options.seed, options.misses_out)
        print(f"wrote {options.misses_out}")
    internal = sum(1 for f in findings if f["code"] == "ORM002")
    if internal:
        print(f"{internal} ORM002 (internal error) finding(s): see {REPORT.name}", file=sys.stderr)
    return 1 if internal else 0


if __name__ == "__main__":
    sys.exit(main())
