"""Does analysis time grow linearly with the code it reads? (issue 19, item 1)

    python benchmarks/growth.py [--scale 1] [--repeat 3] [--shapes seed,with_blocks,...]

Generates the shapes that were found to grow with the square of their size, at 1x, 2x and
4x, lints each in this process with every built-in rule (ORM304 included) and prints the
median time of `lint_source` per size and the growth factor per doubling (time at 2n over
time at n; 2.0 is linear, 4.0 quadratic; the target is <= 2.3). Parsing is included: it is
linear, and a file is what a user lints.

Not part of the test suite: on a loaded machine single runs vary; the medians of a few
repeats, and the ratio between sizes measured in one run, are what to read.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from session_lint import Settings, lint_source  # noqa: E402
from session_lint.rules import BUILTIN_RULES  # noqa: E402

HEADER = (
    "from sqlalchemy import create_engine, select\n"
    "from sqlalchemy.orm import Session\n"
    "from models import User\n"
    "engine = create_engine('sqlite://')\n"
)


def seed(n: int) -> str:
    """A seed script: one module-level session, n adds, one commit."""
    return HEADER + "session = Session(engine)\n" + "".join(
        f"session.add(User(name='u{i}'))\n" for i in range(n)) + "session.commit()\n"


def seed_in_function(n: int) -> str:
    """The same inside a function (the session is local: ORM101/ORM102 track it)."""
    return HEADER + "def seed():\n    session = Session(engine)\n" + "".join(
        f"    session.add(User(name='u{i}'))\n" for i in range(n)) + "    session.commit()\n    session.close()\n"


def with_blocks(n: int) -> str:
    """n sequential `with Session() as s, s.begin():` blocks in one function."""
    return HEADER + "def load():\n" + "".join(
        f"    with Session(engine) as s, s.begin():\n        s.add(User(name='u{i}'))\n" for i in range(n))


def functions(n: int) -> str:
    """A module of n small functions, each with a lookup and a session."""
    return HEADER + "".join(
        f"def f{i}(user_id):\n    with Session(engine) as s:\n"
        f"        user = s.get(User, user_id)\n        if user is None:\n            return None\n"
        f"        user.name = 'n{i}'\n        s.commit()\n        return user.id\n\n" for i in range(n))


def queries_in_loop(n: int) -> str:
    """One loop that runs n queries per item (ORM304's walk)."""
    return HEADER + "def report(session: Session, ids):\n    for i in ids:\n" + "".join(
        f"        a{j} = session.scalars(select(User).where(User.id == i + {j})).first()\n" for j in range(n))


SHAPES: Dict[str, Callable[[int], str]] = {
    "seed": seed, "seed_in_function": seed_in_function, "with_blocks": with_blocks,
    "functions": functions, "queries_in_loop": queries_in_loop,
}
BASE_SIZES = {"seed": 750, "seed_in_function": 750, "with_blocks": 100, "functions": 250, "queries_in_loop": 250}


def measure(source: str, repeat: int) -> float:
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = lint_source(source.encode(), "generated.py", BUILTIN_RULES, Settings())
        times.append(time.perf_counter() - start)
        assert not any(d.code in ("ORM001", "ORM002") for d in result.diagnostics), result.diagnostics
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the base sizes (default 1)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    print("| shape | n | 2n | 4n | time n (s) | 2n | 4n | growth per doubling |")
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for name in args.shapes.split(","):
        make = SHAPES[name]
        n = int(BASE_SIZES[name] * args.scale)
        times = [measure(make(size), args.repeat) for size in (n, 2 * n, 4 * n)]
        growth = max(times[1] / times[0], times[2] / times[1])
        worst = max(worst, growth)
        print(f"| {name} | {n} | {2 * n} | {4 * n} | {times[0]:.2f} | {times[1]:.2f} | {times[2]:.2f} | {growth:.2f}x |")
    print(f"\nworst growth per doubling: {worst:.2f}x (target <= 2.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
