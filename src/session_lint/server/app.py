"""The language server's state and what it does with it: open documents linted through
the scheduler and published, the workspace scan, hover, explain and code actions. The
messages reach it through handlers.py. This package is the only part of session-lint
that imports pygls."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Set
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from .._version import __version__
from ..diagnostics import ENGINE_CODES, Diagnostic
from ..registry import load_rules
from ..rule_info import rule_infos
from . import convert
from .capabilities import capability
from .code_actions import ActionContext, code_actions
from .document_lint import DocumentLinter, DocumentResult, Snapshot
from .progress import FileCounter, Progress
from .project_indexes import ProjectIndexes
from .rule_docs import page_text, page_uri, why
from .scheduler import LintScheduler
from .worker import BigStackWorker
from .workspace_scan import FileOutcome, ScanRequest, ScanSummary, WorkspaceScan
from .workspace_settings import SettingsStore, overrides_from_client

logger = logging.getLogger(__name__)

# Long enough to swallow a burst of keystrokes (one lint instead of one per key), short
# beside the lint itself: 150-250 ms for a 1,000-line file on a 2-core machine
# (benchmarks/server_latency.py). A lint started between two slower keystrokes is
# abandoned at its next check, which comes within 20-40 ms (its reduction of the text
# and the parse of the statement that changed run on; the positions are kept per
# statement): waiting longer before linting would cost every edit that much.
DEFAULT_DEBOUNCE_SECONDS = 0.05
_PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_NAME = "pyproject.toml"


@dataclass
class Published:
    """The last diagnostics published for an open document, for hover and code actions."""

    result: DocumentResult
    lsp: List[types.Diagnostic]


class SessionLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("session-lint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.ruleset = load_rules()
        self.infos = rule_infos(self.ruleset.rules)
        self.store = SettingsStore(self.ruleset)
        self.indexes = ProjectIndexes()
        # One long-lived thread with the parser's stack (worker.py): the event loop stays
        # free to read the next message, and no lint pays for starting a thread.
        self.lint_thread = BigStackWorker()
        self.linter = DocumentLinter(self.store, self.indexes, Path.cwd())
        self.scheduler: LintScheduler[DocumentResult] = LintScheduler(
            self.lint_thread, self.snapshot, self.linter.lint, self.publish, DEFAULT_DEBOUNCE_SECONDS)
        self.published: Dict[str, Published] = {}
        self.scan: Optional[WorkspaceScan] = None
        self.scan_published: Set[str] = set()
        self.lint_workspace_on_startup = False
        # Tasks started without a caller to await them (asyncio keeps only weak references).
        self.background: Set["asyncio.Task[Any]"] = set()
        self._shown: Set[str] = set()

    # -- documents -------------------------------------------------------------------------

    def open_document(self, uri: str) -> Optional[TextDocument]:
        return self.workspace.text_documents.get(unquote(uri))

    def snapshot(self, uri: str) -> Optional[Snapshot]:
        document = self.open_document(uri)
        if document is None or not _is_python(document):
            return None
        path = to_fs_path(document.uri) if document.uri.startswith("file:") else None
        return Snapshot(document.uri, Path(path) if path else None, document.source, document.version)

    def url_of(self, diagnostic: Diagnostic) -> Optional[str]:
        """The rule's page, as the JSON output gives it."""
        info = self.infos.get(diagnostic.code)
        return diagnostic.url or (info.url if info is not None else None)

    def relint_open_documents(self) -> None:
        for uri, document in list(self.workspace.text_documents.items()):
            if _is_python(document):
                self.scheduler.request(uri, 0)

    def publish(self, result: DocumentResult) -> None:
        snapshot = result.snapshot
        document = self.open_document(snapshot.uri)
        if document is None:
            return
        units = document.position_codec.client_num_units
        line_at = convert.lines_of(convert.split_lines(snapshot.text))
        related = snapshot.uri if self._takes_related_information() else None
        lsp = [convert.lsp_diagnostic(d, self.url_of(d), line_at, units,
                                      {"version": snapshot.version, "index": position}, related)
               for position, d in enumerate(result.diagnostics)]
        self.published[snapshot.uri] = Published(result, lsp)
        self.scan_published.discard(snapshot.uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=snapshot.uri, diagnostics=lsp, version=snapshot.version))
        for warning in result.warnings:
            self.log(types.MessageType.Warning, warning)
        for trace in result.tracebacks:
            self.log(types.MessageType.Error, trace)
        for problem in result.problems:
            self.show_once(types.MessageType.Warning, problem)

    def _takes_related_information(self) -> bool:
        return bool(capability(self.client_capabilities, "text_document", "publish_diagnostics",
                               "related_information"))

    def clear(self, uri: str) -> None:
        self.published.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- messages ---------------------------------------------------------------------------

    def log(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=f"session-lint: {message}"))

    def show_once(self, kind: types.MessageType, message: str) -> None:
        """A configuration problem is shown once, not after every keystroke."""
        if message in self._shown:
            return
        self._shown.add(message)
        self.log(kind, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"session-lint: {message}"))

    # -- configuration ----------------------------------------------------------------------

    def apply_client_settings(self, value: Any) -> bool:
        """True if `value` held settings of ours (they replace the earlier ones)."""
        found = overrides_from_client(value)
        if found is None:
            return False
        overrides, problems = found
        self.store.set_overrides(overrides, problems)
        self._shown.clear()
        return True

    def configuration_changed(self) -> None:
        self.store.forget()
        self.indexes.forget()  # the excludes that choose the index's files may have changed
        self._shown.clear()
        self.relint_open_documents()

    async def python_file_changed(self, path: Path, text: Optional[str] = None) -> None:
        """A saved, created or deleted file may add or change a session factory that other
        files import, or a function they call (a helper that now commits): the project's
        index takes the file's new scan, and if what other files learn from the project
        changed, the open files are linted again (in the lint thread, which is the index's
        only other user)."""
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(self.lint_thread, self.indexes.file_changed, path, text):
            self.relint_open_documents()

    # -- workspace scan ---------------------------------------------------------------------

    def workspace_roots(self) -> List[Path]:
        roots = [to_fs_path(folder.uri) for folder in self.workspace.folders.values()]
        if not roots and self.workspace.root_path:
            roots = [self.workspace.root_path]
        return [Path(root) for root in roots if root]

    async def lint_workspace(self, scan: Optional[WorkspaceScan] = None) -> ScanSummary:
        if self.scan is not None:
            self.scan.cancel()
        scan = self.scan = scan or WorkspaceScan()
        progress = Progress(self, "session-lint: linting the workspace", scan.cancel)
        await progress.begin()
        total = ScanSummary()
        published: Set[str] = set()
        try:
            roots = self.workspace_roots()
            for number, root in enumerate(roots, start=1):
                chosen = self.store.for_directory(root)
                request = ScanRequest(str(root), chosen.settings, tuple(sorted(chosen.enabled)), self._open_paths())
                label = f"{root.name} ({number}/{len(roots)})" if len(roots) > 1 else root.name
                counter = FileCounter(progress, label)
                summary = await scan.run(request, counter.set_total,
                                         lambda outcome: self._publish_scanned(outcome, published, counter))
                total.files += summary.files
                total.files_with_findings += summary.files_with_findings
                total.findings += summary.findings
                total.files_from_cache += summary.files_from_cache
                total.error = total.error or summary.error
                total.warnings += summary.warnings
                if summary.cancelled:
                    break
        except asyncio.CancelledError:  # $/cancelRequest of the command
            scan.cancel()
            raise
        finally:
            total.cancelled = scan.cancelled
            progress.end("cancelled" if scan.cancelled else f"{total.findings} findings in {total.files} files")
            if self.scan is scan:
                self.scan = None
        if not total.cancelled:
            # Files fixed since the last scan lose their diagnostics; a cancelled scan
            # did not look at every file, so it clears nothing.
            for uri in self.scan_published - published:
                if uri not in self.published:
                    self.clear(uri)
            self.scan_published = published
        else:
            self.scan_published |= published
        if total.error:
            self.log(types.MessageType.Error, f"workspace scan: {total.error}")
        for warning in dict.fromkeys(total.warnings):
            self.log(types.MessageType.Warning, f"workspace scan: {warning}")
        return total

    def _open_paths(self) -> frozenset:
        paths = (to_fs_path(uri) for uri in self.workspace.text_documents if uri.startswith("file:"))
        return frozenset(str(Path(path).resolve()) for path in paths if path)

    def _publish_scanned(self, outcome: FileOutcome, published: Set[str], counter: FileCounter) -> None:
        counter.advance()
        name, diagnostics, rows = outcome
        uri = Path(name).resolve().as_uri()
        if self.open_document(uri) is not None or (not diagnostics and uri not in self.scan_published):
            return
        line_at = rows.get
        units = self.workspace.position_codec.client_num_units
        related = uri if self._takes_related_information() else None
        lsp = [convert.lsp_diagnostic(d, self.url_of(d), line_at, units, related_uri=related) for d in diagnostics]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=lsp))
        if diagnostics:
            published.add(uri)

    # -- hover --------------------------------------------------------------------------------

    def hover(self, uri: str, position: types.Position) -> Optional[types.Hover]:
        published = self.published.get(uri)
        document = self.open_document(uri)
        if published is None or document is None:
            return None
        here = (position.line, position.character)
        found = [(d, lsp) for d, lsp in zip(published.result.diagnostics, published.lsp)
                 if (lsp.range.start.line, lsp.range.start.character) <= here
                 <= (lsp.range.end.line, lsp.range.end.character)]
        if not found:
            return None
        markdown = self._prefers_markdown()
        parts = [self._explanation(d, lsp, markdown) for d, lsp in found]
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
                                         value=("\n\n---\n\n" if markdown else "\n\n").join(parts)),
            range=found[0][1].range)

    def _explanation(self, diagnostic: Diagnostic, lsp: types.Diagnostic, markdown: bool) -> str:
        rule = self.ruleset.rules.get(diagnostic.code)
        name = rule.name if rule is not None else ENGINE_CODES.get(diagnostic.code, "").split(":")[0]
        text = why(rule, diagnostic.code)
        href = lsp.code_description.href if lsp.code_description else None
        if not markdown:
            return f"{diagnostic.code} {name}\n\n{text}" + (f"\n\n{href}" if href else "")
        link = f"\n\n[{diagnostic.code} rule page]({href})" if href else ""
        return f"**{diagnostic.code}** {name}\n\n{text}{link}"

    def _prefers_markdown(self) -> bool:
        formats = capability(self.client_capabilities, "text_document", "hover", "content_format")
        return formats is None or types.MarkupKind.Markdown in formats

    # -- explain ------------------------------------------------------------------------------

    async def explain(self, code: str) -> Dict[str, Any]:
        code = code.strip().upper()
        rule = self.ruleset.rules.get(code)
        if rule is None and code not in ENGINE_CODES:
            raise ValueError(f"unknown rule code `{code}`")
        # The page shipped with this installation opens in the editor; without one (a
        # plugin rule), the rule's address.
        info = self.infos.get(code)
        uri = page_uri(code) or (info.url if info is not None else None)
        shown = False
        if uri is not None and capability(self.client_capabilities, "window", "show_document", "support"):
            answer = await self.window_show_document_async(
                types.ShowDocumentParams(uri=uri, external=not uri.startswith("file:"), take_focus=True))
            shown = bool(answer and answer.success)
        if not shown:
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Info, message=f"{code}: {why(rule, code)}" + (f" ({uri})" if uri else "")))
        return {"code": code, "uri": uri, "text": page_text(rule, code)}

    # -- code actions -------------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        document = self.open_document(params.text_document.uri)
        if document is None:
            return []
        published = self.published.get(params.text_document.uri)
        context = ActionContext(
            uri=params.text_document.uri, document_lines=document.lines, document_version=document.version,
            units=document.position_codec.client_num_units, published=published.result if published else None,
            document_changes=bool(capability(self.client_capabilities, "workspace", "workspace_edit",
                                             "document_changes")))
        return code_actions(context, params.context)


def _is_python(document: TextDocument) -> bool:
    return document.language_id == "python" or (document.path or "").endswith(_PYTHON_SUFFIXES)
