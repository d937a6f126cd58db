from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from ..rule import Finding, Rule, RuleContext, SQLALCHEMY_EVIDENCE
from ..semantic.testcode import in_test_code, is_test_file
from ..semantic.transactions import UnsavedWork


class AddWithoutCommit(Rule):
    """`session.add()` (or add_all/delete/merge, or `execute()` of an INSERT/UPDATE/DELETE)
    whose session's life can end before a commit.

    Nothing reaches the database until `commit()`: the work is discarded when the `with`
    block closes the session, when the function that created it returns, when `close()` is
    called, or when a Flask view, a command or a queued job returns (Flask-SQLAlchemy does
    not commit for you), or a FastAPI handler returns whose session comes from a dependency
    that closes it without committing. Work left by a project function the handler calls
    (`save_to_db(beliefs)`, `crud.schedule(db, ...)`, `Model.create(...)`) counts as the
    handler's own (the project's function summaries say which functions add and never
    commit); a model method that adds and is only called by handlers that never commit
    after it is reported where it adds.
    Work inside `with session.begin():` or `with maker.begin() as session:` is committed
    by the block and never reported; a session received as a parameter belongs to the caller;
    a session joined to a Connection in an external transaction hands its rows to that
    transaction when it flushes. Silent in test code (test files, `test_*` functions,
    `Test*` classes), which throws its transactions away on purpose.
    """

    code = "ORM101"
    name = "add-without-commit"
    summary = "`session.add()`/`delete()`/`merge()` can reach the end of the session without `commit()`"
    tokens = ("add", "delete", "merge", "update", "insert", "execute")
    requires = SQLALCHEMY_EVIDENCE

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if is_test_file(context.filename, context.settings.root):
            return  # a test flushes and asserts in a transaction it throws away on purpose
        for work in context.model.transactions.unsaved_work():
            if in_test_code(context.model, work.call):
                continue
            yield Finding(
                node=work.call.func,
                message=self.describe(work, context),
                hint=f"call `{work.session.label}.commit()` before the session ends, "
                "or wrap the work in `with "
                f"{work.session.label}.begin():`",
            )

    def describe(self, work: UnsavedWork, context: RuleContext) -> str:
        session = work.session.label
        why = _why(work, context)
        if work.committed_elsewhere:
            why += f" (`{session}.commit()` is not reached on this path)"
        if work.helper is not None:
            return (f"`{work.helper.name}()` adds to `{session}` without committing it, and {why}, "
                    "so what it added is discarded")
        if work.method == "savepoint":
            return (f"`{context.source_of(work.call)}` only releases a savepoint into `{session}`'s "
                    f"transaction, which is never committed: {why}, so what the savepoint saved is discarded")
        what = f"`{session}.{work.method}()`"
        return f"{what} is never committed: {why}, so {_what_is_lost(work, context)}"


def _why(work: UnsavedWork, context: RuleContext) -> str:
    session = work.session.label
    commit = f"`{session}.commit()`"
    line = context.line_of(work.end_node) if work.end_node is not None else None
    creation = work.session.creation
    if work.end == "with-end":
        opener = context.source_of(creation.node) if creation is not None else session
        opener = _shorten(opener)
        return f"the `with {opener}` block ends without {commit}"
    if work.end == "return-in-with":
        return f"the function returns on line {line} inside the `with` block without {commit}"
    if work.end == "close":
        return f"`{session}.close()` on line {line} closes the session without {commit}"
    if work.end == "view-end":
        where = f"on line {line}" if line is not None else "at its end"
        return (f"the view `{work.scope_name}()` returns {where} without {commit} "
                "and the request's session is not committed for you")
    if work.end == "command-end":
        ends = f"returns on line {line}" if line is not None else "ends"
        return f"the command `{work.scope_name}()` {ends} without {commit}, and nothing commits the session after it"
    where = f"on line {line}" if line is not None else "at its end"
    if work.end == "job-end":
        return (f"the job `{work.scope_name}()` returns {where} without {commit}, "
                "and nothing commits the session after it")
    if work.end == "dependency-end":
        return (f"the handler `{work.scope_name}()` returns {where} without {commit}, and the "
                "dependency that made the session closes it without committing")
    if work.end == "callers-end":
        return _callers(work, context)
    return f"`{work.scope_name}()` returns {where} without {commit} and the session it created is dropped"


def _callers(work: UnsavedWork, context: RuleContext) -> str:
    commit = f"`{work.session.label}.commit()`"
    sites = [f"`{site.caller[1].rpartition('.')[2]}()` ({_relative(site.caller[0], context)}:{site.line})"
             for site in work.callers]
    shown = ", ".join(sites[:3]) + (f" and {len(sites) - 3} more" if len(sites) > 3 else "")
    callers = f"its caller {shown} reaches" if len(sites) == 1 else f"its callers ({shown}) reach"
    return (f"`{work.scope_name}()` does not commit, and {callers} the end of the request, "
            f"command or job without {commit} after calling it")


def _relative(path: str, context: RuleContext) -> str:
    import os

    try:
        return os.path.relpath(path, str(context.settings.root))
    except ValueError:  # another drive on Windows
        return path


def _what_is_lost(work: UnsavedWork, context: RuleContext) -> str:
    if work.method == "execute":
        return "the statement's changes are rolled back"
    if work.method == "delete":
        subject = _object_label(work.call, context)
        return f"the deletion of {subject} is discarded" if subject else "the deletion is discarded"
    if work.method == "add_all":
        return "the new objects are discarded"
    if work.method == "merge":
        return "the merged changes are discarded"
    subject = _object_label(work.call, context)
    return f"{subject} is discarded" if subject else "the new object is discarded"


def _object_label(call: cst.Call, context: RuleContext) -> Optional[str]:
    if not call.args:
        return None
    value = call.args[0].value
    cls = _constructed_class(value)
    if cls is not None:
        return f"the new {cls}"
    if isinstance(value, cst.Name):
        cls = _constructed_class(context.model.scopes.single_value(value))
        if cls is not None:
            return f"the new {cls} `{value.value}`"
        return f"`{value.value}`"
    return None


def _constructed_class(value: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(value, cst.Call):
        func = value.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if isinstance(name, str) and name[:1].isupper():
            return name
    return None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
