from __future__ import annotations

from typing import Iterator

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic.instances import (
    READ, RETURN, ExpiredUse, InstanceAnalysis, commits_at_block_end, how_expired, how_expired_and_ended,
    names_an_object,
)


class ImplicitIoAfterCommit(Rule):
    """An instance of an `AsyncSession` is read synchronously after a commit expired it.

    The read has to load the row again, which is I/O, and a plain attribute read cannot
    await: SQLAlchemy raises `MissingGreenlet` (inside a `StatementError`) while the session
    is open and `DetachedInstanceError` once it has ended. `return obj` counts when the
    function is a request handler (the framework reads the object to build the response) or
    when the session ends as the function returns; so does `Schema.model_validate(obj)`.
    Silent after `await session.refresh(obj)`, on reads before the commit, on writes, and
    when the factory sets `expire_on_commit=False`.
    """

    code = "ORM105"
    name = "implicit-io-after-commit"
    summary = "an `AsyncSession` instance is read synchronously after `commit()` expired it"
    tokens = ("commit", "async")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        transactions = context.model.transactions
        for use in context.model.get(InstanceAnalysis).expired_uses():
            if not use.expiry.is_async:
                continue
            if use.kind == RETURN and use.ended_by is None and not transactions.is_view(use.owner):
                continue  # the caller may still `await session.refresh()` it
            yield Finding(node=use.node, message=self.describe(use, context), hint=self.fix(use))

    @staticmethod
    def describe(use: ExpiredUse, context: RuleContext) -> str:
        model = context.model
        if use.ended_by is not None:
            why = how_expired_and_ended(use, model)
            error = "DetachedInstanceError"
        else:
            why = f"{how_expired(use, model)}, and loading it again is I/O that a plain attribute read cannot await"
            error = "MissingGreenlet"
        if use.kind == RETURN:
            reader = "the caller's first attribute read" if use.ended_by is not None else \
                "building the response from it"
            return f"`return` hands out an expired `{use.name}`: {why}, so {reader} raises {error}"
        verb = "reads" if use.kind == READ else "reads every attribute of"
        return f"`{context.source_of(use.node)}` {verb} `{use.name}` synchronously: {why}, so this raises {error}"

    @staticmethod
    def fix(use: ExpiredUse) -> str:
        inside = commits_at_block_end(use) or not names_an_object(use)
        refresh = ("read what you need inside the block" if inside
                   else f"`await {use.session.label}.refresh({use.name})` after the commit")
        return f"{refresh}, or pass `expire_on_commit=False` to {use.expiry.configured_at}"
