"""The example application in `examples/`: the README's first command finds its mistakes,
and the corrected module is silent."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"
MISTAKE = "# mistake:"


def session_lint(*args: str) -> subprocess.CompletedProcess:
    # --isolated and --no-cache: neither the repository's configuration nor a stale cache
    # may change what the examples show.
    return subprocess.run(
        [sys.executable, "-m", "session_lint", "--isolated", "--no-cache", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def json_findings(*args: str) -> Tuple[int, List[Tuple[str, int, str]]]:
    completed = session_lint("--output-format", "json", *args)
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, [(Path(item["filename"]).as_posix(), item["location"]["row"], item["code"])
                                  for item in json.loads(completed.stdout)]


def line_of(path: Path, text: str) -> int:
    (row,) = [row for row, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return row


def mistake_functions() -> Dict[str, Set[int]]:
    """Rows of each example function that carries a `# mistake:` comment, per file."""
    rows: Dict[str, Set[int]] = {}
    for path in sorted((ROOT / "examples").rglob("*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                if any(MISTAKE in lines[row - 1] for row in span):
                    rows.setdefault(path.relative_to(ROOT).as_posix(), set()).update(span)
    return rows


def test_examples_have_findings_and_exit_1() -> None:
    code, found = json_findings("examples/")
    assert code == 1
    accounts = "examples/shop/accounts.py"
    assert (accounts, line_of(SHOP / "accounts.py", "# mistake: the with-block ends without commit"), "ORM101") in found
    assert (accounts, line_of(SHOP / "accounts.py", "# mistake: committed only when"), "ORM101") in found


def test_the_opt_in_n_plus_one_shows_only_when_selected() -> None:
    reports = "examples/shop/reports.py"
    n_plus_one = (reports, line_of(SHOP / "reports.py", "# mistake: one query per user id"), "ORM304")
    _, default = json_findings("examples/")
    _, selected = json_findings("--extend-select", "ORM304", "examples/")
    assert n_plus_one not in default and n_plus_one in selected
    assert set(selected) - set(default) == {n_plus_one}


def test_every_finding_is_inside_a_function_that_shows_a_mistake() -> None:
    # The examples double as a precision check: a finding anywhere else (clean.py, the
    # models, the plugin) is a false positive.
    _, found = json_findings("examples/")
    allowed = mistake_functions()
    assert [f for f in found if f[1] not in allowed.get(f[0], set())] == []


def test_clean_module_alone_has_no_finding() -> None:
    completed = session_lint("examples/shop/clean.py")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "All checks passed.\n", "")


def test_clean_module_has_no_finding_when_its_session_factory_is_known() -> None:
    # Linted with the rest of the package, `from .db import SessionLocal` resolves to a
    # sessionmaker, so the rules see every session in clean.py.
    _, found = json_findings("examples/shop/")
    assert [f for f in found if f[0] == "examples/shop/clean.py"] == []


def test_examples_are_working_sqlalchemy_code() -> None:
    pytest.importorskip("sqlalchemy")
    script = textwrap.dedent("""
        from shop import accounts, clean, orders, reports
        from shop.db import engine
        from shop.models import Base

        Base.metadata.create_all(engine)
        clean.register("ann", "ann@example.com")
        clean.invite("bob", "bob@example.com", send_mail=False)
        clean.rename(1, "anna")
        assert clean.primary_email("anna") == "ann@example.com"
        assert clean.primary_email("nobody") is None
        assert clean.user_count() == 2
        clean.import_orders([(1, 500), (1, 900), (2, 700)])
        assert [o.total_cents for o in clean.biggest_orders()] == [900, 700, 500]
        assert clean.emails_by_user([1, 2]) == {1: ["ann@example.com"], 2: []}
        assert len(clean.open_orders_of(1)) == 2 and len(clean.orders_of([2])) == 1

        clean.import_users(["dee", "eve"])
        assert clean.count_users() == 4
        new_id = clean.create_user("fay")
        assert clean.count_users() == 5 and new_id == 5

        # The mistakes are real: the added user is lost, the unknown id crashes, the
        # expired instance of a closed session cannot be read.
        from sqlalchemy.orm.exc import DetachedInstanceError
        from shop import imports
        try:
            imports.create_user("gus")
        except DetachedInstanceError:
            pass
        else:
            raise AssertionError("imports.create_user() should raise DetachedInstanceError")
        assert clean.count_users() == 6  # gus was stored; only reading him back failed
        accounts.register("carl", "carl@example.com")
        assert clean.user_count() == 6
        try:
            accounts.rename(42, "x")
        except AttributeError:
            pass
        else:
            raise AssertionError("rename() of an unknown id should crash")
    """)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT / "examples", env=env,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
