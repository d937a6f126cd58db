from __future__ import annotations

from typing import Iterator

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic.batching import BatchingAnalysis, CommitPerRow
from ..semantic.migrations import is_migration_code
from ..semantic.testcode import in_test_code, is_test_file


class CommitInLoop(Rule):
    """`session.commit()` on every iteration of a `for` loop that adds or merges one object
    per iteration: one transaction, and one disk sync, per row.

    Silent when the commit is conditional (`if i % 1000 == 0:` batches), inside a `try`
    with handlers (each item is isolated on purpose), inside a `begin()` block, on a
    session made inside the loop, when the add happens in an inner loop, when the object added
    was just read from the database (an update, not an insert), and in `while`
    loops (queue consumers commit each item as it arrives). Silent in test code (test files,
    `test_*` functions, `Test*` classes): a fixture commits a handful of rows one by one;
    and in migration code (Alembic revisions, files under `migrations/` or `alembic/`).
    """

    code = "ORM103"
    name = "commit-in-loop"
    summary = "`session.commit()` once per row inside a loop that adds one object per iteration"
    tokens = ("commit",)
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_test_file(context.filename, context.settings.root):
            return  # a fixture commits a handful of rows; the cost does not arise
        if is_migration_code(context.model.tree.module, context.filename, context.settings.root):
            return  # runs once per database; a backfill may even need a commit per row
        for found in context.model.get(BatchingAnalysis).commits_per_row():
            if in_test_code(context.model, found.commit):
                continue
            label = found.session.label
            yield Finding(
                node=found.commit.func,
                message=self.describe(found, context),
                hint=f"add the objects in the loop (or with `{label}.add_all(...)`) "
                f"and call `{label}.commit()` once after the loop",
            )

    def describe(self, found: CommitPerRow, context: RuleContext) -> str:
        label = found.session.label
        method = found.work.func.attr.value  # type: ignore[attr-defined]
        loop = "async for" if found.loop.asynchronous is not None else "for"
        return (f"`{label}.commit()` runs on every iteration of the `{loop}` loop on line "
                f"{context.line_of(found.loop)} that calls `{label}.{method}()` once per item: "
                "one transaction and one disk sync per row")
