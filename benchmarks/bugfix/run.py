"""Recall on real bugs: lint each labelled bug's tree before and after its fix.

    python benchmarks/bugfix/run.py [--family ORM101] [--id ID] [--jobs N]
                                    [--verbose] [--json] [--labels FILE ...]

Reads every `benchmarks/bugfix/bugs-*.csv` (the format is in FORMAT.md). For each row it
finds the repository's git directory under the mirror directory (`/work/.mirror/owner+name/`,
brought there by the search tool's `fetch`), extracts the fix commit's first parent (the
buggy tree) and the fix commit with `git archive`, runs session-lint over each whole tree
from inside it, as a user would:

    session-lint --output-format json --no-cache --exit-zero --extend-select ORM304 .

and counts:

- caught: a finding whose code is in the row's `codes` or in its family (ORM101; ORM104 =
  ORM104/ORM105; ORM201; ORM30x = ORM301-ORM304; ORM401; ORM5xx = ORM501-ORM503) on
  `bad_path` at one of `bad_lines` in the buggy tree;
- false alarm (fixed line flagged): such a finding on `ok_path` at one of `ok_lines` in the
  fixed tree.

Extracted trees are cached under `--work-dir` (default /tmp/bugfix-trees) by commit, and
session-lint's JSON output by (commit, session-lint version): the git HEAD of the
repository that holds this script plus a hash of its uncommitted changes under src/, so a
rerun after a code change lints again and a rerun without one reads the cache.

Rows whose repository is not fetched are listed (with the `fetch` argument to use) and left
out of the table. Exit status: 0 when every selected row was measured, 1 when some could
not be (missing repository, missing commit or path, session-lint failure), 2 for a usage
error. Only the standard library is needed, plus session-lint: the one importable by this
interpreter (`python -m session_lint`), else `session-lint` on PATH, else `--session-lint`.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_MIRROR = Path("/work/.mirror")
DEFAULT_WORK = Path(tempfile.gettempdir()) / "bugfix-trees"

FAMILY_CODES: Dict[str, Tuple[str, ...]] = {
    "ORM101": ("ORM101",),
    "ORM104": ("ORM104", "ORM105"),
    "ORM201": ("ORM201",),
    "ORM30x": ("ORM301", "ORM302", "ORM303", "ORM304"),
    "ORM401": ("ORM401",),
    "ORM5xx": ("ORM501", "ORM502", "ORM503"),
}
COLUMNS = ("id", "repo", "fix_commit", "family", "codes", "bad_path", "bad_lines",
           "ok_path", "ok_lines", "summary", "evidence")
LINT_ARGS = ("--output-format", "json", "--no-cache", "--exit-zero", "--extend-select", "ORM304")


# ---------------------------------------------------------------------------- labels

@dataclass
class Bug:
    id: str
    repo: str
    fix_commit: str
    family: str
    codes: Tuple[str, ...]
    bad_path: str
    bad_lines: Set[int]
    ok_path: str
    ok_lines: Set[int]
    summary: str
    evidence: str
    source: str  # labels file and row, for messages

    @property
    def accepted(self) -> Set[str]:
        return set(self.codes) | set(FAMILY_CODES.get(self.family, ()))


def parse_lines(text: str, where: str) -> Set[int]:
    """`120-124;130` -> {120, ..., 124, 130}."""
    lines: Set[int] = set()
    for part in re.split(r"[;,]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise ValueError(f"{where}: empty line range {part!r}")
            lines.update(range(low, high + 1))
        elif part.isdigit():
            lines.add(int(part))
        else:
            raise ValueError(f"{where}: not a line number or range: {part!r}")
    return lines


def read_labels(paths: Sequence[Path]) -> List[Bug]:
    bugs: List[Bug] = []
    seen: Dict[str, str] = {}
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
            for number, row in enumerate(reader, start=2):
                where = f"{path.name}:{number}"
                if not any((value or "").strip() for value in row.values()):
                    continue
                family = row["family"].strip()
                if family not in FAMILY_CODES:
                    raise ValueError(f"{where}: unknown family {family!r} "
                                     f"(one of {', '.join(FAMILY_CODES)})")
                commit = row["fix_commit"].strip()
                if not re.fullmatch(r"[0-9a-f]{40}", commit):
                    raise ValueError(f"{where}: fix_commit is not 40 lowercase hex digits")
                bug_id = row["id"].strip()
                if bug_id in seen:
                    raise ValueError(f"{where}: id {bug_id!r} already used at {seen[bug_id]}")
                seen[bug_id] = where
                bugs.append(Bug(
                    id=bug_id,
                    repo=row["repo"].strip(),
                    fix_commit=commit,
                    family=family,
                    codes=tuple(c.strip() for c in row["codes"].split(";") if c.strip()),
                    bad_path=row["bad_path"].strip(),
                    bad_lines=parse_lines(row["bad_lines"], where + " bad_lines"),
                    ok_path=row["ok_path"].strip(),
                    ok_lines=parse_lines(row["ok_lines"], where + " ok_lines"),
                    summary=row["summary"].strip(),
                    evidence=row["evidence"].strip(),
                    source=where,
                ))
    return bugs


# ---------------------------------------------------------------------------- mirrors

def find_git_dir(mirror: Path, repo: str) -> Optional[Path]:
    """The directory holding HEAD and objects for owner/name under the mirror, if any."""
    base = mirror / repo.replace("/", "+")
    if not base.is_dir():
        # GitHub names are case-insensitive; the mirror keeps the spelling fetch was given.
        wanted = repo.replace("/", "+").lower()
        matches = [p for p in mirror.iterdir() if p.is_dir() and p.name.lower() == wanted] \
            if mirror.is_dir() else []
        if not matches:
            return None
        base = matches[0]
    for candidate in (base / "repo", base / "repo" / ".git", base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    for head in sorted(base.glob("**/HEAD")):  # any other layout, shallowest first
        if (head.parent / "objects").is_dir():
            return head.parent
    return None


def git(git_dir: Path, *args: str) -> str:
    completed = subprocess.run(["git", f"--git-dir={git_dir}", *args],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {completed.stderr.strip()}")
    return completed.stdout.strip()


def first_parent(git_dir: Path, commit: str) -> str:
    return git(git_dir, "rev-parse", "--verify", f"{commit}^1^{{commit}}")


# ---------------------------------------------------------------------------- trees and lint

class Workspace:
    def __init__(self, work_dir: Path, lint_command: List[str], lint_key: str,
                 lint_jobs: Optional[int], env: Optional[Dict[str, str]] = None):
        self.trees = work_dir / "trees"
        self.lint = work_dir / "lint"
        self.trees.mkdir(parents=True, exist_ok=True)
        self.lint.mkdir(parents=True, exist_ok=True)
        self.lint_command = lint_command
        self.lint_key = lint_key
        self.lint_jobs = lint_jobs
        self.env = env
        self._locks: Dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def tree(self, git_dir: Path, commit: str) -> Path:
        """The extracted tree of a commit, extracted once and reused between runs."""
        target = self.trees / commit
        with self._lock("tree:" + commit):
            if (target / ".bugfix-complete").is_file():
                return target
            if target.exists():
                shutil.rmtree(target)
            partial = Path(tempfile.mkdtemp(prefix=commit[:12] + ".", dir=self.trees))
            try:
                error = _archive(git_dir, commit, partial, [])
                skipped: List[str] = []
                if error:
                    # Snapshots leave out files of 4 MiB and more (and LFS content): archive
                    # everything else, and say what was left out.
                    skipped = _absent_blobs(git_dir, commit)
                    if not skipped:
                        raise RuntimeError(f"git archive {commit[:12]} failed: {error}")
                    shutil.rmtree(partial)
                    partial.mkdir()
                    error = _archive(git_dir, commit, partial, skipped)
                    if error:
                        raise RuntimeError(f"git archive {commit[:12]} failed: {error}")
                (partial / ".bugfix-complete").write_text(
                    commit + "\n" + "".join(f"absent from the snapshot: {p}\n" for p in skipped))
                partial.rename(target)
            finally:
                if partial.exists():
                    shutil.rmtree(partial, ignore_errors=True)
        return target

    def findings(self, tree: Path, commit: str) -> List[dict]:
        """session-lint's JSON findings for a tree, cached by (commit, session-lint version)."""
        cached = self.lint / f"{commit}-{self.lint_key}.json"
        with self._lock("lint:" + commit):
            if cached.is_file():
                return json.loads(cached.read_text(encoding="utf-8"))
            command = [*self.lint_command, *LINT_ARGS]
            if self.lint_jobs:
                command += ["--jobs", str(self.lint_jobs)]
            command.append(".")
            completed = subprocess.run(command, cwd=str(tree), capture_output=True, text=True,
                                       env=self.env)
            if completed.returncode != 0:
                raise RuntimeError(f"session-lint exited {completed.returncode} in {tree}: "
                                   f"{completed.stderr.strip()[-2000:]}")
            raw = json.loads(completed.stdout or "[]")
            result = [{"code": f["code"], "path": normalize(f["filename"]),
                       "line": f["location"]["row"], "message": f.get("message", "")}
                      for f in raw]
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps(result) + "\n", encoding="utf-8")
            tmp.replace(cached)
            return result


def _archive(git_dir: Path, commit: str, into: Path, exclude: Sequence[str]) -> str:
    """Extract a commit's tree into a directory; the error text, or "" on success."""
    # exclude-only pathspecs keep everything else (a positive "." fails in a bare mirror)
    pathspecs = [f":(top,exclude,literal){p}" for p in exclude]
    archive = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, "--", *pathspecs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout,
                           capture_output=True)
    archive.stdout.close()
    archive_err = archive.stderr.read().decode(errors="replace")
    archive.wait()
    if archive.returncode != 0 or untar.returncode != 0:
        return archive_err.strip() or untar.stderr.decode(errors="replace").strip() or "failed"
    return ""


def _absent_blobs(git_dir: Path, commit: str) -> List[str]:
    """Paths in the commit whose blob the (partial) snapshot does not hold."""
    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit],
                             capture_output=True, check=True).stdout.split(b"\0")
    entries = []
    for entry in listing:
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((sha.decode(), path.decode("utf-8", "surrogateescape")))
    check = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch-check"],
                           input="".join(sha + "\n" for sha, _ in entries),
                           capture_output=True, text=True, check=True).stdout.splitlines()
    return [path for (sha, path), line in zip(entries, check) if line.endswith(" missing")]


def normalize(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def session_lint_command(explicit: Optional[str]) -> List[str]:
    if explicit:
        return explicit.split()
    try:
        import session_lint  # noqa: F401
        return [sys.executable, "-m", "session_lint"]
    except ImportError:
        found = shutil.which("session-lint")
        if found:
            return [found]
    raise SystemExit("session-lint is neither importable by this interpreter nor on PATH; "
                     "pass --session-lint COMMAND")


def session_lint_at(rev: str, work_dir: Path) -> Tuple[List[str], Dict[str, str], str]:
    """session-lint as committed at a revision of this repository, extracted once."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                         capture_output=True, text=True)
    if sha.returncode != 0:
        raise SystemExit(f"--session-lint-rev: {sha.stderr.strip()}")
    sha_text = sha.stdout.strip()
    target = work_dir / "session-lint" / sha_text
    if not (target / ".bugfix-complete").is_file():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        git_dir = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--absolute-git-dir"],
                                 capture_output=True, text=True).stdout.strip()
        error = _archive(Path(git_dir), sha_text, target, [])
        if error:
            raise SystemExit(f"--session-lint-rev: git archive failed: {error}")
        (target / ".bugfix-complete").write_text(sha_text + "\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(target / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return [sys.executable, "-m", "session_lint"], env, sha_text


def session_lint_version(command: List[str]) -> Tuple[str, dict]:
    """A cache key for the linter: its git HEAD plus a hash of uncommitted source changes."""
    info: dict = {"command": " ".join(command)}
    completed = subprocess.run([*command, "--version"], capture_output=True, text=True)
    info["version"] = (completed.stdout or completed.stderr).strip()
    digest = hashlib.sha256(info["version"].encode())
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        diff = subprocess.run(["git", "-C", str(ROOT), "diff", "HEAD", "--", "src"],
                              capture_output=True, check=True).stdout
        untracked = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "--others", "--exclude-standard", "-z",
             "--", "src"], capture_output=True, check=True).stdout.split(b"\0")
        digest.update(head.encode())
        digest.update(diff)
        for name in sorted(n for n in untracked if n):
            digest.update(name)
            try:
                digest.update((ROOT / name.decode()).read_bytes())
            except OSError:
                pass
        info["head"] = head
        info["dirty"] = bool(diff.strip()) or any(untracked)
    except (OSError, subprocess.CalledProcessError):
        info["head"] = None
        info["dirty"] = None
    key = digest.hexdigest()[:16]
    info["key"] = key
    return key, info


# ---------------------------------------------------------------------------- measuring

@dataclass
class Outcome:
    bug: Bug
    status: str = "measured"  # measured | missing-repo | error
    error: str = ""
    caught_by: List[dict] = field(default_factory=list)
    false_alarms: List[dict] = field(default_factory=list)
    elsewhere: List[dict] = field(default_factory=list)  # family findings elsewhere in bad_path
    unparsed: List[dict] = field(default_factory=list)  # ORM001/ORM002 on bad_path
    parent: str = ""

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


def measure(bug: Bug, git_dir: Path, work: Workspace) -> Outcome:
    outcome = Outcome(bug)
    try:
        git(git_dir, "cat-file", "-e", f"{bug.fix_commit}^{{commit}}")
    except RuntimeError:
        outcome.status, outcome.error = "error", f"commit {bug.fix_commit[:12]} not in the mirror"
        return outcome
    try:
        parent = first_parent(git_dir, bug.fix_commit)
        outcome.parent = parent
        bad_tree = work.tree(git_dir, parent)
        ok_tree = work.tree(git_dir, bug.fix_commit)
        for tree, path in ((bad_tree, bug.bad_path), (ok_tree, bug.ok_path)):
            if not (tree / path).is_file():
                raise RuntimeError(f"{path} is not in the tree of {tree.name[:12]}")
        bad = work.findings(bad_tree, parent)
        ok = work.findings(ok_tree, bug.fix_commit)
    except (RuntimeError, OSError, ValueError) as error:
        outcome.status, outcome.error = "error", str(error)
        return outcome
    accepted = bug.accepted
    for finding in bad:
        if finding["path"] == bug.bad_path and finding["code"] in ("ORM001", "ORM002"):
            outcome.unparsed.append(finding)
        if finding["path"] != bug.bad_path or finding["code"] not in accepted:
            continue
        if finding["line"] in bug.bad_lines:
            outcome.caught_by.append(finding)
        else:
            outcome.elsewhere.append(finding)
    for finding in ok:
        if (finding["path"] == bug.ok_path and finding["code"] in accepted
                and finding["line"] in bug.ok_lines):
            outcome.false_alarms.append(finding)
    return outcome


def family_order(family: str) -> int:
    names = list(FAMILY_CODES)
    return names.index(family) if family in names else len(names)


def summarize(outcomes: Sequence[Outcome]) -> List[dict]:
    rows = []
    families = sorted({o.bug.family for o in outcomes}, key=family_order)
    for family in families + ["all"]:
        chosen = [o for o in outcomes if o.status == "measured"
                  and (family == "all" or o.bug.family == family)]
        unmeasured = [o for o in outcomes if o.status != "measured"
                      and (family == "all" or o.bug.family == family)]
        caught = sum(o.caught for o in chosen)
        rows.append({
            "family": family,
            "bugs": len(chosen),
            "caught": caught,
            "recall": (caught / len(chosen)) if chosen else None,
            "false_alarms": sum(bool(o.false_alarms) for o in chosen),
            "repos": len({o.bug.repo for o in chosen}),
            "not_measured": len(unmeasured),
        })
    return rows


def print_table(rows: Sequence[dict]) -> None:
    header = ("family", "bugs", "repos", "caught", "recall", "fixed lines flagged",
              "not measured")
    table = [header]
    for row in rows:
        recall = "-" if row["recall"] is None else f"{100 * row['recall']:.1f}%"
        table.append((row["family"], str(row["bugs"]), str(row["repos"]), str(row["caught"]),
                      recall, str(row["false_alarms"]), str(row["not_measured"])))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        print("  ".join(cells).rstrip())
        if index == 0 or (index == len(table) - 2):
            print("  ".join("-" * w for w in widths))


def describe(findings: Iterable[dict]) -> str:
    return ", ".join(f"{f['code']}@{f['line']}" for f in findings)


def print_bugs(outcomes: Sequence[Outcome]) -> None:
    print()
    for outcome in sorted(outcomes, key=lambda o: (family_order(o.bug.family), o.bug.id)):
        bug = outcome.bug
        if outcome.status != "measured":
            mark = "NOT MEASURED"
        else:
            mark = "caught" if outcome.caught else "missed"
        line = f"{bug.family:7} {mark:12} {bug.id}  {bug.bad_path}:{_ranges(bug.bad_lines)}"
        print(line)
        if outcome.status != "measured":
            print(f"{'':21}{outcome.error}")
            continue
        if outcome.caught:
            print(f"{'':21}by {describe(outcome.caught_by)}")
        elif outcome.elsewhere:
            print(f"{'':21}family findings elsewhere in the file: {describe(outcome.elsewhere)}")
        if outcome.unparsed:
            print(f"{'':21}{bug.bad_path} not analysed: "
                  + "; ".join(f"{f['code']} {f['message']}" for f in outcome.unparsed))
        if outcome.false_alarms:
            print(f"{'':21}FIXED LINE FLAGGED {bug.ok_path}: {describe(outcome.false_alarms)}")


def _ranges(lines: Set[int]) -> str:
    ordered = sorted(lines)
    parts, start = [], None
    for index, number in enumerate(ordered):
        if start is None:
            start = number
        if index + 1 == len(ordered) or ordered[index + 1] != number + 1:
            parts.append(str(start) if start == number else f"{start}-{number}")
            start = None
    return ";".join(parts)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, nargs="+",
                        help="labels files (default: benchmarks/bugfix/bugs-*.csv)")
    parser.add_argument("--family", action="append", default=[],
                        help="only this family (repeatable; e.g. ORM101, ORM104, ORM30x)")
    parser.add_argument("--id", action="append", default=[], dest="ids",
                        help="only this bug id (repeatable)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="commits extracted and linted at once (default 1)")
    parser.add_argument("--lint-jobs", type=int, default=None,
                        help="session-lint --jobs for each run (default: its own)")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR,
                        help=f"where fetched repositories live (default {DEFAULT_MIRROR})")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK,
                        help=f"cache of extracted trees and lint results (default {DEFAULT_WORK})")
    parser.add_argument("--session-lint", help="command that runs session-lint")
    parser.add_argument("--session-lint-rev", metavar="REV",
                        help="lint with session-lint as committed at this revision of this "
                             "repository (e.g. HEAD), extracted under --work-dir, instead of "
                             "the working tree: reproducible while the source is being edited")
    parser.add_argument("--fetch-list", action="store_true",
                        help="print the `fetch` argument of every repository the selected "
                             "rows need, marking those not yet fetched, and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every bug")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    labels = args.labels or sorted(HERE.glob("bugs-*.csv"))
    if not labels:
        parser.error(f"no labels files (bugs-*.csv) in {HERE}")
    try:
        bugs = read_labels(labels)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    unknown = [f for f in args.family if f not in FAMILY_CODES]
    if unknown:
        parser.error(f"unknown family {', '.join(unknown)} (one of {', '.join(FAMILY_CODES)})")
    if args.family:
        bugs = [b for b in bugs if b.family in args.family]
    if args.ids:
        missing_ids = set(args.ids) - {b.id for b in bugs}
        if missing_ids:
            parser.error(f"no such bug id: {', '.join(sorted(missing_ids))}")
        bugs = [b for b in bugs if b.id in args.ids]
    if not bugs:
        print("no bugs selected", file=sys.stderr)
        return 2

    if args.fetch_list:
        repos = sorted({b.repo for b in bugs}, key=str.lower)
        missing = [r for r in repos if find_git_dir(args.mirror, r) is None]
        for repo in repos:
            print(f"github:{repo}" + ("    # not fetched" if repo in missing else ""))
        print(f"# {len(repos)} repositories, {len(missing)} not fetched under {args.mirror}",
              file=sys.stderr)
        return 1 if missing else 0

    env = None
    if args.session_lint_rev:
        command, env, sha = session_lint_at(args.session_lint_rev, args.work_dir)
        completed = subprocess.run([*command, "--version"], capture_output=True, text=True,
                                   env=env)
        version = {"command": " ".join(command), "version": completed.stdout.strip(),
                   "head": sha, "dirty": False, "rev": args.session_lint_rev}
        key = "rev-" + sha[:16]
        version["key"] = key
    else:
        command = session_lint_command(args.session_lint)
        key, version = session_lint_version(command)
    work = Workspace(args.work_dir, command, key, args.lint_jobs, env)

    git_dirs: Dict[str, Optional[Path]] = {}
    for bug in bugs:
        if bug.repo not in git_dirs:
            git_dirs[bug.repo] = find_git_dir(args.mirror, bug.repo)
    missing_repos = sorted(r for r, d in git_dirs.items() if d is None)

    outcomes: Dict[str, Outcome] = {}
    for bug in bugs:
        if git_dirs[bug.repo] is None:
            outcomes[bug.id] = Outcome(bug, status="missing-repo",
                                       error=f"{bug.repo} is not fetched under {args.mirror}")
    todo = [b for b in bugs if b.id not in outcomes]
    # Rows of one commit reuse its tree and lint result; order by commit so a thread that
    # waits on another's extraction does so briefly.
    todo.sort(key=lambda b: (b.repo, b.fix_commit))
    if args.jobs == 1:
        for bug in todo:
            outcomes[bug.id] = measure(bug, git_dirs[bug.repo], work)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(measure, b, git_dirs[b.repo], work): b for b in todo}
            for future in concurrent.futures.as_completed(futures):
                outcomes[futures[future].id] = future.result()

    ordered = [outcomes[b.id] for b in bugs]
    rows = summarize(ordered)
    if args.json:
        print(json.dumps({
            "session_lint": version,
            "labels": [str(p) for p in labels],
            "missing_repos": missing_repos,
            "families": rows,
            "bugs": [{
                "id": o.bug.id, "repo": o.bug.repo, "family": o.bug.family,
                "fix_commit": o.bug.fix_commit, "parent": o.parent, "status": o.status,
                "error": o.error or None, "caught": o.caught if o.status == "measured" else None,
                "caught_by": o.caught_by, "false_alarms": o.false_alarms,
                "family_findings_elsewhere": o.elsewhere,
                "bad_path_not_analysed": o.unparsed,
            } for o in ordered],
        }, indent=1))
    else:
        dirty = " (uncommitted changes)" if version.get("dirty") else ""
        head = (version.get("head") or "?")[:12]
        print(f"{version.get('version', '?')} (git {head}{dirty}); "
              f"labels: {', '.join(p.name for p in labels)}")
        print()
        print_table(rows)
        if args.verbose:
            print_bugs(ordered)
        errors = [o for o in ordered if o.status == "error"]
        if errors and not args.verbose:
            print()
            for outcome in errors:
                print(f"not measured: {outcome.bug.id}: {outcome.error}")
        if missing_repos:
            print()
            print("Repositories not fetched (rows left out); fetch them with the search tool:")
            for repo in missing_repos:
                count = sum(b.repo == repo for b in bugs)
                print(f"  fetch github:{repo}    ({count} row{'s' if count != 1 else ''})")
    return 0 if all(o.status == "measured" for o in ordered) else 1


if __name__ == "__main__":
    sys.exit(main())
