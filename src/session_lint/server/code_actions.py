"""Code actions for session-lint's diagnostics: the rule's fix (when it has one), "add
`# noqa: CODE`", "explain CODE", and `source.fixAll.session-lint` for every safe fix.

The edits come from where the command line gets its own: `noqa.add_noqa_edits` (what
`--add-noqa` writes) and the finding's `fixes.Fix` (what `--fix` applies, chosen together
by `fixes.apply_fixes` as `--fix` chooses them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from lsprotocol import types

from ..diagnostics import ENGINE_CODES, Diagnostic
from ..fixes import Edit, Fix, apply_fixes
from ..noqa import add_noqa_edits
from . import convert
from .document_lint import DocumentResult

FIX_ALL_KIND = "source.fixAll.session-lint"
EXPLAIN_COMMAND = "session-lint.explain"


@dataclass(frozen=True)
class ActionContext:
    uri: str
    # The document as it is now: a `# noqa` is added to the current text.
    document_lines: Sequence[str]
    document_version: Optional[int]
    units: convert.Units
    # The last lint of the document: fixes apply to the text it read.
    published: Optional[DocumentResult]
    # The client takes versioned edits (it refuses one made for an older text).
    document_changes: bool


def code_actions(context: ActionContext, request: types.CodeActionContext) -> List[types.CodeAction]:
    actions: List[types.CodeAction] = []
    if _wanted(types.CodeActionKind.QuickFix, request.only):
        explained = set()
        for lsp in request.diagnostics:
            code = lsp.code
            if lsp.source != convert.SOURCE or not isinstance(code, str) or code in ENGINE_CODES:
                continue
            stored = _stored(context.published, lsp)
            if stored is not None and stored.fix is not None and stored.fix.applies(unsafe=True):
                actions.append(_fix_action(context, code, stored.fix, lsp))
            noqa = _noqa_action(context, code, lsp)
            if noqa is not None:
                actions.append(noqa)
            if code not in explained:
                explained.add(code)
                actions.append(types.CodeAction(
                    title=f"Explain {code} (open the rule page)", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp], command=types.Command(title=f"Explain {code}", command=EXPLAIN_COMMAND,
                                                             arguments=[code])))
    if _wanted(FIX_ALL_KIND, request.only) and context.published is not None:
        fix_all = _fix_all_action(context, context.published)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def _wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Code action kinds are hierarchical: asking for `source.fixAll` includes ours."""
    return not only or any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _stored(published: Optional[DocumentResult], lsp: types.Diagnostic) -> Optional[Diagnostic]:
    """The session-lint diagnostic behind one the client sends back, if it is from the
    lint whose results are kept (its fix edits refer to that text)."""
    data: Any = lsp.data
    if published is None or not isinstance(data, dict) or data.get("version") != published.snapshot.version:
        return None
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < len(published.diagnostics):
        return None
    stored = published.diagnostics[index]
    return stored if stored.code == lsp.code else None


def _noqa_action(context: ActionContext, code: str, lsp: types.Diagnostic) -> Optional[types.CodeAction]:
    data: Any = lsp.data
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(row, int) for row in rows):
        rows = [lsp.range.start.line + 1]
    edits = add_noqa_edits("".join(context.document_lines), [(code, rows)])
    if not edits:
        return None  # suppressed already
    line_at = convert.lines_of(context.document_lines)
    return types.CodeAction(
        title=f"Add `# noqa: {code}`", kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
        edit=convert.workspace_edit(context.uri, context.document_version,
                                    [convert.text_edit(edit, line_at, context.units) for edit in edits],
                                    context.document_changes))


def _fix_edit(context: ActionContext, published: DocumentResult, edits: Sequence[Edit]) -> types.WorkspaceEdit:
    line_at = convert.lines_of(convert.split_lines(published.snapshot.text))
    return convert.workspace_edit(context.uri, published.snapshot.version,
                                  [convert.text_edit(edit, line_at, context.units) for edit in edits],
                                  context.document_changes)


def _fix_action(context: ActionContext, code: str, fix: Fix, lsp: types.Diagnostic) -> types.CodeAction:
    assert context.published is not None  # a fix is only read from a kept lint
    safe = fix.applies(unsafe=False)
    title = fix.message or f"Fix {code}"
    return types.CodeAction(
        title=f"{title} ({code})" if safe else f"{title} ({code}, unsafe fix: check the result)",
        kind=types.CodeActionKind.QuickFix, diagnostics=[lsp], is_preferred=safe,
        edit=_fix_edit(context, context.published, fix.edits))


def _fix_all_action(context: ActionContext, published: DocumentResult) -> Optional[types.CodeAction]:
    safe = [d.fix for d in published.diagnostics if d.fix is not None and d.fix.applies(unsafe=False)]
    if not safe:
        return None
    _, applied = apply_fixes(published.snapshot.text, safe)
    edits: List[Edit] = []
    for fix in applied:
        edits.extend(edit for edit in fix.edits if edit not in edits)  # one import added by two fixes: once
    if not edits:
        return None
    return types.CodeAction(title="session-lint: apply every safe fix", kind=FIX_ALL_KIND,
                            edit=_fix_edit(context, published, edits))
