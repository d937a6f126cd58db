from __future__ import annotations

from typing import Iterator

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic.nodes import method_name
from ..semantic.instances import (
    READ, RETURN, ExpiredUse, InstanceAnalysis, commits_at_block_end, how_expired_and_ended,
    names_an_object,
)


class DetachedInstanceAccess(Rule):
    """An instance of a sync session is read, or returned, after a commit expired it and the
    session ended.

    `commit()` expires every instance of the session (unless the factory sets
    `expire_on_commit=False`), so the next attribute read loads the row again; once the
    `with` block, a session-scope context manager or `close()` has ended the session, that
    load raises `DetachedInstanceError`. A `return` of the object hands the same failure to
    every caller. A project function that commits the session it is given and returns the
    object (`user = crud.create_user(db, data)`) expires it the same way. Reads before the
    commit, of columns after `refresh()` (a lazy relationship stays unloaded), and writes are
    fine; a session
    that stays open (a parameter, Flask-SQLAlchemy's `db.session`) reloads instead.
    """

    code = "ORM104"
    name = "detached-instance-access"
    summary = "an instance is read or returned after `commit()` expired it and its session ended"
    tokens = ("commit", "with")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for use in context.model.get(InstanceAnalysis).expired_uses():
            if use.expiry.is_async or use.ended_by is None:
                continue  # async sessions are ORM105's; an open session reloads
            yield Finding(node=use.node, message=self.describe(use, context), hint=self.fix(use, context))

    @staticmethod
    def describe(use: ExpiredUse, context: RuleContext) -> str:
        model = context.model
        why = how_expired_and_ended(use, model)
        if use.kind == RETURN:
            return (f"`return` hands the caller an expired, detached `{use.name}`: {why}, "
                    "so the caller's first attribute read raises DetachedInstanceError")
        what = f"`{context.source_of(use.node)}`"
        if use.relationship:
            refreshed = ("; `refresh()` loads the columns again, not lazy relationships"
                         if use.columns_only and isinstance(use.expired_by, cst.Call)
                         and method_name(use.expired_by) == "commit" else "")
            return (f"{what} loads a lazy relationship of `{use.name}` after its session ended: {why}"
                    f"{refreshed}, so this raises DetachedInstanceError")
        verb = "reads" if use.kind == READ else "reads every attribute of"
        return (f"{what} {verb} `{use.name}` after its session ended: {why}, "
                "so this raises DetachedInstanceError")

    @staticmethod
    def fix(use: ExpiredUse, context: RuleContext) -> str:
        if use.relationship:
            return ("read it while the session is open, or load it with the object "
                    "(`selectinload(...)` in the query, `lazy=\"selectin\"` on the relationship)")
        before = ("return what the caller needs while the session is open" if use.kind == RETURN
                  else "read what you need before the session ends")
        refresh = ("" if commits_at_block_end(use) or not names_an_object(use)
                   else f", call `{use.session.label}.refresh({use.name})` after the commit")
        return f"{before}{refresh}, or pass `expire_on_commit=False` to {use.expiry.configured_at}"
