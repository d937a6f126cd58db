"""The protocol's messages, each handed to the server's method that answers it."""
from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from lsprotocol import types
from pygls.uris import to_fs_path

from .app import CONFIG_NAME, SessionLintServer
from .capabilities import capability
from .code_actions import EXPLAIN_COMMAND, FIX_ALL_KIND
from .workspace_scan import WorkspaceScan

LINT_WORKSPACE = "session-lint.lintWorkspace"
CANCEL_WORKSPACE_LINT = "session-lint.cancelWorkspaceLint"


def create_server() -> SessionLintServer:
    server = SessionLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SessionLintServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            ls.apply_client_settings(options)
            debounce = options.get("debounceMs")
            if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
                ls.scheduler.debounce = debounce / 1000
            ls.lint_workspace_on_startup = options.get("lintWorkspaceOnStartup") is True
        roots = ls.workspace_roots()
        if roots:
            ls.linter.fallback_root = roots[0]

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SessionLintServer, params: types.InitializedParams) -> None:
        for problem in ls.ruleset.errors:
            ls.show_once(types.MessageType.Error, problem)
        if capability(ls.client_capabilities, "workspace", "did_change_watched_files", "dynamic_registration"):
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_NAME}"),
                        types.FileSystemWatcher(glob_pattern="**/*.py")]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(id=f"session-lint-watch-{uuid.uuid4()}",
                                       method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                       register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                           watchers=watchers))]))
            except Exception as error:  # saved files still refresh what they change
                ls.log(types.MessageType.Info, f"cannot watch files: {error}")
        if capability(ls.client_capabilities, "workspace", "configuration") and await _pull_configuration(ls):
            ls.relint_open_documents()
        if ls.lint_workspace_on_startup:
            task = asyncio.get_running_loop().create_task(ls.lint_workspace())
            ls.background.add(task)
            task.add_done_callback(ls.background.discard)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SessionLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.scheduler.request(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SessionLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.scheduler.request(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls: SessionLintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path is not None and os.path.basename(path) == CONFIG_NAME:
            ls.configuration_changed()
            return
        if path is not None and path.endswith(".py"):
            # First the project's view of the saved module (its facts feed the summaries
            # its own lint and the other open files' lints read), then its lint.
            await ls.python_file_changed(Path(path))
        ls.scheduler.request(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SessionLintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.scheduler.forget(params.text_document.uri)
        ls.linter.forget(params.text_document.uri)
        ls.clear(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: SessionLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [Path(path) for path in (to_fs_path(change.uri) for change in params.changes) if path]
        if any(path.name == CONFIG_NAME for path in paths):
            ls.configuration_changed()
        for path in paths:
            if path.suffix == ".py":
                await ls.python_file_changed(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SessionLintServer, params: types.DidChangeConfigurationParams) -> None:
        changed = ls.apply_client_settings(params.settings)
        if not changed and capability(ls.client_capabilities, "workspace", "configuration"):
            changed = await _pull_configuration(ls)  # the pull model: the notification only says "ask"
        if changed:
            ls.relint_open_documents()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: SessionLintServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False))
    def code_action(ls: SessionLintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
        return ls.code_actions(params)

    @server.command(EXPLAIN_COMMAND)
    async def explain(ls: SessionLintServer, *args: Any) -> Dict[str, Any]:
        if not args or not isinstance(args[0], str):
            raise ValueError(f"{EXPLAIN_COMMAND} takes a rule code, such as \"ORM101\"")
        return await ls.explain(args[0])

    @server.command(LINT_WORKSPACE)
    async def lint_workspace(ls: SessionLintServer, *args: Any) -> Dict[str, Any]:
        scan = WorkspaceScan()
        _on_request_cancelled(ls, scan.cancel)
        return (await ls.lint_workspace(scan)).as_json()

    @server.command(CANCEL_WORKSPACE_LINT)
    def cancel_workspace_lint(ls: SessionLintServer, *args: Any) -> bool:
        if ls.scan is None:
            return False
        ls.scan.cancel()
        return True

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: SessionLintServer, *args: Any) -> None:
        if ls.scan is not None:
            ls.scan.cancel()
        ls.lint_thread.shutdown(wait=False)

    return server


def _on_request_cancelled(ls: SessionLintServer, cancel: Callable[[], None]) -> None:
    """Call `cancel` when the client cancels the request being handled (`$/cancelRequest`).
    pygls cancels the request's own future, not the command handler it runs inside, so the
    handler watches that future (pygls keeps it in `_request_futures`; without it, the
    command is still cancellable through its progress)."""
    futures = getattr(ls.protocol, "_request_futures", None)
    outer = futures.get(ls.protocol.msg_id) if isinstance(futures, dict) else None
    if outer is not None:
        outer.add_done_callback(lambda future: cancel() if future.cancelled() else None)


async def _pull_configuration(ls: SessionLintServer) -> bool:
    """Ask the editor for its `session-lint` settings section; True if it had some."""
    try:
        answer: Sequence[Any] = await asyncio.wait_for(ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="session-lint")])), 10)
    except Exception:  # the client has nothing for us, or does not answer
        return False
    # An editor answers `{}` or null for a section nobody configured: that must not undo
    # the initialization options, so only an answer naming a setting of ours applies.
    return bool(answer) and isinstance(answer[0], dict) and ls.apply_client_settings(answer[0])
