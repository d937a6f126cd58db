"""The language server, driven end to end as an editor drives it: `python -m
session_lint.server` started as a subprocess, spoken to over its stdin/stdout by pygls'
own LanguageClient (pytest-lsp needs Python 3.10, and its last release for 3.9 does not
import beside pygls 2). Plus unit tests of the parts an editor cannot reach on demand:
the fix hook, where a `# noqa` goes, a rule that raises."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from session_lint.diagnostics import Diagnostic, Location  # noqa: E402

TIMEOUT = 30.0  # seconds; a loaded 2-core CI machine is slow, a hang still fails

ORM503_SOURCE = textwrap.dedent("""\
    from typing import Optional

    from sqlalchemy import select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        deleted_at: Mapped[Optional[int]]


    def alive():
        return select(User).where(User.deleted_at is None)
    """)
FLAGGED_ROW = 19  # 1-based row of `User.deleted_at is None`
FLAGGED_TEXT = "User.deleted_at is None"


def project(tmp_path: Path, pyproject: str = "[project]\nname = \"app\"\n",
            files: Optional[Dict[str, str]] = None) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(pyproject)
    for name, text in (files or {"app.py": ORM503_SOURCE}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _converter() -> Any:
    """lsprotocol's converter, except that a code action that carries a command is read as
    a code action: lsprotocol takes any object with a `command` key for a bare Command
    (an editor reads the JSON itself; only Python clients meet this)."""
    from typing import Union

    from pygls.protocol import default_converter

    converter = default_converter()

    def code_action_or_command(value: Any, _: type) -> Any:
        bare_command = isinstance(value.get("command"), str)
        return converter.structure(value, types.Command if bare_command else types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], code_action_or_command)
    return converter


class Editor:
    """What the editor sees: diagnostics per document, progress, messages, documents it
    was asked to show."""

    def __init__(self, root: Path, initialization_options: Optional[Dict[str, Any]] = None,
                 configuration: Optional[Dict[str, Any]] = None) -> None:
        self.root = root
        self.initialization_options = initialization_options
        self.configuration = configuration
        self.client = LanguageClient("test-editor", "1", converter_factory=_converter)
        self.diagnostics: Dict[str, List[types.Diagnostic]] = {}
        self.progress: List[Any] = []
        self.messages: List[types.ShowMessageParams] = []
        self.logs: List[types.LogMessageParams] = []
        self.shown_documents: List[types.ShowDocumentParams] = []
        self.stderr = bytearray()
        self.publications = 0
        self.published_versions: Dict[str, Optional[int]] = {}
        self.versions: Dict[str, int] = {}
        self._changed = asyncio.Event()
        self._register_handlers()

    def _register_handlers(self) -> None:
        client = self.client

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published_versions[params.uri] = params.version
            self.publications += 1
            self._notify()

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            self.progress.append(params)
            self._notify()

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params)
            self._notify()

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: types.LogMessageParams) -> None:
            self.logs.append(params)

        @client.feature(types.WINDOW_SHOW_DOCUMENT)
        def show_document(params: types.ShowDocumentParams) -> types.ShowDocumentResult:
            self.shown_documents.append(params)
            self._notify()
            return types.ShowDocumentResult(success=True)

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> List[Any]:
            return [self.configuration for _item in params.items]

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

    def _notify(self) -> None:
        self._changed.set()

    @property
    def server_pid(self) -> int:
        return self.client._server.pid  # type: ignore[union-attr]

    async def start(self, tcp: Optional[int] = None) -> types.InitializeResult:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if tcp is None:
            await self.client.start_io(sys.executable, "-m", "session_lint.server", cwd=str(self.root), env=env)
            server = self.client._server
            assert server is not None and server.stderr is not None
            asyncio.get_running_loop().create_task(self._drain(server.stderr))
        else:
            await self._connect(tcp)
        capabilities = types.ClientCapabilities(
            window=types.WindowClientCapabilities(
                work_done_progress=True, show_document=types.ShowDocumentClientCapabilities(support=True)),
            workspace=types.WorkspaceClientCapabilities(
                configuration=self.configuration is not None,
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
            text_document=types.TextDocumentClientCapabilities(
                hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True)),
        )
        result = await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
            capabilities=capabilities, process_id=os.getpid(), root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
            initialization_options=self.initialization_options)), TIMEOUT)
        self.client.initialized(types.InitializedParams())
        return result

    async def _connect(self, port: int) -> None:
        """The server listens once it has started; the first connection is the editor's
        (pygls serves one client, so no probe may connect before)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                await self.client.start_tcp("127.0.0.1", port)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                return
            self.stderr += chunk

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
            self.client.exit(None)
            await asyncio.wait_for(self.client.stop(), TIMEOUT)
        finally:
            server = self.client._server
            if server is not None and server.returncode is None:
                server.kill()

    def uri(self, name: str) -> str:
        return (self.root / name).resolve().as_uri()

    def open(self, name: str, text: Optional[str] = None) -> str:
        uri = self.uri(name)
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1,
            text=(self.root / name).read_text() if text is None else text)))
        return uri

    def replace_all(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def edit(self, uri: str, edit: types.TextEdit) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)]))

    async def wait_until(self, condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                codes = {uri.rpartition("/")[2]: [d.code for d in found] for uri, found in self.diagnostics.items()}
                raise AssertionError(f"timed out waiting for {what}; diagnostics: {str(codes)[:2000]}; "
                                     f"messages: {self.messages}; stderr: {self.stderr.decode(errors='replace')}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except asyncio.TimeoutError:
                pass

    async def diagnostics_of(self, uri: str, codes: Sequence[str], what: str = "") -> List[types.Diagnostic]:
        """Wait until the document's diagnostics have exactly these codes (in order)."""
        def arrived() -> bool:
            return uri in self.diagnostics and [d.code for d in self.diagnostics[uri]] == list(codes)

        await self.wait_until(arrived, what or f"diagnostics {list(codes)} on {uri}")
        return self.diagnostics[uri]


def run(scenario: Callable[[Editor], Awaitable[None]], root: Path, **options: Any) -> Editor:
    editor_box: List[Editor] = []

    async def main() -> None:
        editor = Editor(root, **options)
        editor_box.append(editor)
        await editor.start()
        try:
            await scenario(editor)
        finally:
            await editor.stop()

    asyncio.run(main())
    return editor_box[0]


def _json_url(code: str) -> str:
    from session_lint.registry import load_rules
    from session_lint.rule_info import rule_infos

    url = rule_infos(load_rules().rules)[code].url
    assert url
    return url


def _line_and_column(text: str, needle: str) -> types.Position:
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return types.Position(line=number, character=line.index(needle))
    raise AssertionError(needle)


# -- end to end --------------------------------------------------------------------------


def test_a_mistake_is_reported_with_its_code_and_page_and_goes_when_fixed(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM503"])
        assert diagnostic.source == "session-lint"
        assert diagnostic.severity == types.DiagnosticSeverity.Warning
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href == _json_url("ORM503")  # the JSON output's `url`
        assert diagnostic.code_description.href.endswith("/rules/ORM503/README.md")
        start = _line_and_column(ORM503_SOURCE, FLAGGED_TEXT)
        assert diagnostic.range == types.Range(
            start=start, end=types.Position(line=start.line, character=start.character + len(FLAGGED_TEXT)))
        assert "is evaluated by Python" in diagnostic.message
        assert "\nhelp: " in diagnostic.message  # the hint, as the CLI prints it

        editor.replace_all(uri, ORM503_SOURCE.replace("User.deleted_at is None", "User.deleted_at.is_(None)"))
        await editor.diagnostics_of(uri, [], "the diagnostic to disappear after the fix")

    run(scenario, root)


def test_ignoring_a_code_in_pyproject_removes_it_and_editor_settings_override(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        await editor.diagnostics_of(uri, ["ORM503"])

        (root / "pyproject.toml").write_text('[project]\nname = "app"\n\n[tool.session-lint]\nignore = ["ORM503"]\n')
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=(root / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
        await editor.diagnostics_of(uri, [], "ORM503 to go once pyproject.toml ignores it")

        # The editor's `select` starts over, as `--select` does: the file's ignore is gone.
        editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"session-lint": {"select": ["ORM5"]}}))
        await editor.diagnostics_of(uri, ["ORM503"], "ORM503 back with the editor's select")

        editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"session-lint": {"ignore": ["ORM5"]}}))
        await editor.diagnostics_of(uri, [], "ORM503 gone with the editor's ignore")

    run(scenario, root)


def test_per_file_ignores_and_a_saved_pyproject_apply(tmp_path: Path) -> None:
    root = project(tmp_path, files={"app.py": ORM503_SOURCE, "scripts/job.py": ORM503_SOURCE})

    async def scenario(editor: Editor) -> None:
        app, job = editor.open("app.py"), editor.open("scripts/job.py")
        await editor.diagnostics_of(app, ["ORM503"])
        await editor.diagnostics_of(job, ["ORM503"])
        config = root / "pyproject.toml"
        config.write_text('[tool.session-lint]\nper-file-ignores = { "scripts/*.py" = ["ORM5"] }\n')
        # An editor without file watching still sends didSave when pyproject.toml is saved there.
        editor.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=config.as_uri())))
        await editor.diagnostics_of(job, [], "the per-file ignore to apply")
        await editor.diagnostics_of(app, ["ORM503"])

    run(scenario, root)


def test_a_broken_configuration_is_shown_once_and_the_defaults_apply(tmp_path: Path) -> None:
    root = project(tmp_path, pyproject='[tool.session-lint]\nignore = "ORM503"\n')

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        await editor.diagnostics_of(uri, ["ORM503"])
        await editor.wait_until(lambda: any("must be a list of strings" in m.message for m in editor.messages),
                                "the configuration error")
        editor.replace_all(uri, ORM503_SOURCE + "\n")
        await editor.wait_until(lambda: editor.versions[uri] == 2 and uri in editor.diagnostics, "a second lint")
        await asyncio.sleep(0.5)
        assert sum("must be a list of strings" in m.message for m in editor.messages) == 1

    run(scenario, root)


def test_a_file_that_does_not_parse_is_reported_and_the_server_goes_on(tmp_path: Path) -> None:
    broken = ORM503_SOURCE + "\n\ndef broken(:\n    pass\n"
    root = project(tmp_path, files={"app.py": broken})

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM001"])
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        assert diagnostic.message.startswith("syntax error")
        assert diagnostic.range.start.line == len(ORM503_SOURCE.splitlines()) + 2
        assert diagnostic.range.end.character > diagnostic.range.start.character  # visible, not a point

        # Text libcst cannot parse (CPython refuses it too), then a normal edit: still alive.
        editor.replace_all(uri, ORM503_SOURCE + "x = " + "(" * 300 + ")" * 300 + "\n")
        await editor.diagnostics_of(uri, ["ORM001"], "an ORM001 for the deeply nested text")
        editor.replace_all(uri, ORM503_SOURCE)
        await editor.diagnostics_of(uri, ["ORM503"], "a normal lint after the broken texts")

    run(scenario, root)


def test_noqa_and_explain_code_actions(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM503"])
        actions = await asyncio.wait_for(editor.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]))), TIMEOUT)
        by_title = {action.title: action for action in actions}
        # (with the rule's fix, and the fix-all action, once findings carry fixes)
        assert {"Add `# noqa: ORM503`", "Explain ORM503 (open the rule page)"} <= set(by_title)
        noqa, explain = by_title["Add `# noqa: ORM503`"], by_title["Explain ORM503 (open the rule page)"]
        assert noqa.kind == types.CodeActionKind.QuickFix
        [change] = noqa.edit.document_changes
        assert change.text_document.version == 1
        [edit] = change.edits
        line = ORM503_SOURCE.splitlines()[FLAGGED_ROW - 1]
        assert edit.new_text == "  # noqa: ORM503"
        assert edit.range.start == types.Position(line=FLAGGED_ROW - 1, character=len(line))

        editor.edit(uri, edit)  # the editor applies the action
        await editor.diagnostics_of(uri, [], "the finding to be suppressed by the added noqa")

        assert explain.command is not None
        answer = await asyncio.wait_for(editor.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments)), TIMEOUT)
        assert answer["code"] == "ORM503" and "## Why is this bad?" in answer["text"]
        [shown] = editor.shown_documents  # the page shipped with the installation, in the editor
        assert shown.uri.startswith("file://") and shown.uri.endswith("/ORM503/README.md")
        assert not shown.external

    run(scenario, root)


def test_applying_the_fix_of_an_orm503_removes_it(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM503"])
        actions = await asyncio.wait_for(editor.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]))), TIMEOUT)
        fixes = [action for action in actions if action.is_preferred]
        if not fixes:
            pytest.skip("ORM503 findings carry no fix in this build")
        [fix] = fixes
        [change] = fix.edit.document_changes
        assert change.text_document.version == 1
        for edit in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            editor.edit(uri, edit)
        await editor.diagnostics_of(uri, [], "the diagnostic to go once its fix is applied")

    run(scenario, root)


def test_hover_on_a_flagged_range_explains_why(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM503"])
        inside = types.Position(line=diagnostic.range.start.line, character=diagnostic.range.start.character + 5)
        hover = await asyncio.wait_for(editor.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=inside)), TIMEOUT)
        assert hover is not None and hover.contents.kind == types.MarkupKind.Markdown
        assert hover.contents.value.startswith("**ORM503** identity-comparison-in-filter")
        assert "`is` cannot be overloaded" in hover.contents.value  # the page's "Why is this bad?"
        assert "## " not in hover.contents.value  # that section only
        assert hover.range == diagnostic.range

        elsewhere = await asyncio.wait_for(editor.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0))),
            TIMEOUT)
        assert elsewhere is None

    run(scenario, root)


def test_project_factories_from_other_modules_are_known(tmp_path: Path) -> None:
    """The index of the document's project root, as the CLI builds it: `SessionLocal` is
    a sessionmaker defined in another module."""
    db = "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n"
    view = textwrap.dedent("""\
        from app.db import SessionLocal
        from app.models import User


        def create(name):
            with SessionLocal() as session:
                session.add(User(name=name))
        """)
    root = project(tmp_path, files={"app/__init__.py": "", "app/db.py": db, "app/views.py": view,
                                    "app/models.py": "class User: ...\n"})

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app/views.py")
        await editor.diagnostics_of(uri, ["ORM101"], "ORM101 through the project's session factory")

    run(scenario, root)


def test_initialization_options_and_pulled_settings(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        # The editor answers `{}` for the section: the initialization options still apply.
        await editor.diagnostics_of(uri, [], "ORM503 ignored by the initialization options")
        editor.configuration = {"select": ["ORM5"]}
        editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await editor.diagnostics_of(uri, ["ORM503"], "ORM503 selected by the pulled settings")

    run(scenario, root, initialization_options={"ignore": ["ORM503"]}, configuration={})


def test_a_new_session_factory_in_another_module_is_seen_when_that_file_changes(tmp_path: Path) -> None:
    view = textwrap.dedent("""\
        from app.db import SessionLocal
        from app.models import User


        def create(name):
            with SessionLocal() as session:
                session.add(User(name=name))
        """)
    root = project(tmp_path, files={"app/__init__.py": "", "app/db.py": "SessionLocal = None\n",
                                    "app/views.py": view, "app/models.py": "class User: ...\n"})

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app/views.py")
        await editor.diagnostics_of(uri, [], "nothing while SessionLocal is no session factory")
        db = root / "app" / "db.py"
        db.write_text("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n")
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=db.as_uri(), type=types.FileChangeType.Changed)]))
        await editor.diagnostics_of(uri, ["ORM101"], "ORM101 once db.py defines a sessionmaker")

    run(scenario, root)


HELPER_MODULE = textwrap.dedent("""\
    from sqlalchemy.orm import Session


    def schedule_record(db: Session, email):
        db.add(email)
    """)
HANDLER_MODULE = textwrap.dedent("""\
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session, sessionmaker

    from crud import schedule_record

    SessionLocal = sessionmaker(create_engine("sqlite://"))
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    @app.post("/records")
    def create_record(data: dict, db_session: Session = Depends(get_db)):
        schedule_record(db_session, data["email"])
        return {"status": "OK"}
    """)


def test_a_helper_saved_in_another_module_changes_the_open_modules_diagnostics(tmp_path: Path) -> None:
    """The function summaries come from every module of the project: `create_record()`
    loses what `crud.schedule_record()` adds (the dependency closes the session without a
    commit) until that helper commits. Saving crud.py in the editor, and then changing it
    on disk behind the editor's back (file watching), changes api.py's diagnostics; the
    CLI reports the same for each version."""
    root = project(tmp_path, files={"crud.py": HELPER_MODULE, "api.py": HANDLER_MODULE})
    committing = HELPER_MODULE.replace("db.add(email)\n", "db.add(email)\n    db.commit()\n")
    helper = root / "crud.py"

    async def scenario(editor: Editor) -> None:
        api = editor.open("api.py")
        [lost] = await editor.diagnostics_of(api, ["ORM101"], "ORM101: the helper's work is lost")
        assert lost.range.start.line == 20 and "schedule_record()" in lost.message
        # The helper is made to commit in the editor, and saved.
        crud = editor.open("crud.py")
        editor.replace_all(crud, committing)
        helper.write_text(committing)
        editor.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=crud)))
        await editor.diagnostics_of(api, [], "nothing once the helper commits")
        # The helper changed on disk (a checkout), not in the editor: file watching says so.
        editor.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=crud)))
        helper.write_text(HELPER_MODULE)
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=helper.as_uri(), type=types.FileChangeType.Changed)]))
        await editor.diagnostics_of(api, ["ORM101"], "ORM101 again once the helper no longer commits")

    run(scenario, root)
    assert _cli_codes(root, "api.py") == ["ORM101"]
    helper.write_text(committing)
    assert _cli_codes(root, "api.py") == []


def _cli_codes(root: Path, name: str) -> List[str]:
    completed = subprocess.run([sys.executable, "-m", "session_lint", "--no-cache", "--output-format", "json", name],
                               cwd=root, capture_output=True, text=True, timeout=120)
    import json

    return [finding["code"] for finding in json.loads(completed.stdout)]


ORM101_SOURCE = textwrap.dedent("""\
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite://")
    SessionLocal = sessionmaker(engine)


    class User:
        name: str


    def create(name):
        session = SessionLocal()
        session.add(User())
        session.close()
    """)


def test_the_lines_a_message_names_are_related_information(tmp_path: Path) -> None:
    """"`session.close()` on line 15 closes the session without `session.commit()`": the
    close is a related location, placed on the code the message quotes."""
    root = project(tmp_path, files={"app.py": ORM101_SOURCE})

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py")
        [diagnostic] = await editor.diagnostics_of(uri, ["ORM101"])
        assert "`session.close()` on line 15" in diagnostic.message
        [related] = diagnostic.related_information or []
        assert related.location.uri == uri
        assert related.message == "`session.close()` on line 15"
        close = _line_and_column(ORM101_SOURCE, "session.close()")
        assert related.location.range == types.Range(
            start=close, end=types.Position(line=close.line, character=close.character + len("session.close()")))

    run(scenario, root)


def test_a_file_the_configuration_excludes_gets_no_diagnostics(tmp_path: Path) -> None:
    """As with ruff's server: an excluded file opened in the editor is not linted (an empty
    list is published, which clears what an earlier configuration showed)."""
    root = project(tmp_path, pyproject='[project]\nname = "app"\n\n[tool.session-lint]\n'
                                       'extend-exclude = ["generated/"]\n',
                   files={"app.py": ORM503_SOURCE, "generated/models.py": ORM503_SOURCE})

    async def scenario(editor: Editor) -> None:
        generated, app = editor.open("generated/models.py"), editor.open("app.py")
        await editor.diagnostics_of(app, ["ORM503"])
        await editor.diagnostics_of(generated, [], "an empty list for the excluded file")
        assert editor.published_versions[generated] == 1

        (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=(root / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
        await editor.diagnostics_of(generated, ["ORM503"], "the file linted once no longer excluded")

    run(scenario, root)


def _progress(report: types.ProgressParams, key: str) -> Any:
    """A field of a `$/progress` value (the client leaves it as JSON)."""
    value = report.value
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


def _many_files(count: int, copies: int) -> Dict[str, str]:
    body = ORM503_SOURCE + "".join(
        f"\n\ndef alive_{n}():\n    return select(User).where(User.deleted_at is None)\n" for n in range(copies))
    return {f"pkg/module_{n}.py": body for n in range(count)}


def test_workspace_diagnostics_on_request_with_progress(tmp_path: Path) -> None:
    root = project(tmp_path, files={"app.py": ORM503_SOURCE, **_many_files(12, 0), "pkg/clean.py": "x = 1\n"})

    async def scenario(editor: Editor) -> None:
        app = editor.open("app.py")
        await editor.diagnostics_of(app, ["ORM503"])
        summary = await asyncio.wait_for(editor.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="session-lint.lintWorkspace", arguments=[])), TIMEOUT)
        assert summary == {"files": 13, "filesWithFindings": 12, "findings": 12, "filesFromCache": 0,
                           "cancelled": False, "error": None}
        for n in range(12):
            [diagnostic] = editor.diagnostics[editor.uri(f"pkg/module_{n}.py")]
            assert diagnostic.code == "ORM503" and diagnostic.range.start.line == FLAGGED_ROW - 1
        assert editor.uri("pkg/clean.py") not in editor.diagnostics
        assert [d.code for d in editor.diagnostics[app]] == ["ORM503"]  # the open file kept its live ones
        kinds = [_progress(report, "kind") for report in editor.progress]
        assert kinds[0] == "begin" and kinds[-1] == "end" and len({r.token for r in editor.progress}) == 1
        assert _progress(editor.progress[0], "cancellable") is True
        assert _progress(editor.progress[-1], "message") == "12 findings in 13 files"

        # A file fixed on disk loses its diagnostics at the next scan.
        (root / "pkg/module_0.py").write_text("x = 1\n")
        await asyncio.wait_for(editor.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="session-lint.lintWorkspace", arguments=[])), TIMEOUT)
        assert editor.diagnostics[editor.uri("pkg/module_0.py")] == []

    run(scenario, root)


def test_a_second_workspace_scan_takes_unchanged_files_from_the_cache(tmp_path: Path) -> None:
    """The scan reads and writes the CLI's results cache: a file whose bytes, settings,
    rules and project index did not change is not linted again."""
    root = project(tmp_path, files={**_many_files(6, 0), "pkg/clean.py": "x = 1\n"})

    async def scan() -> Dict[str, Any]:
        return await asyncio.wait_for(editor_box[0].client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="session-lint.lintWorkspace", arguments=[])), TIMEOUT)

    editor_box: List[Editor] = []

    async def scenario(editor: Editor) -> None:
        editor_box.append(editor)
        first = await scan()
        assert (first["files"], first["findings"], first["filesFromCache"]) == (7, 6, 0)
        assert (root / ".session_lint_cache").is_dir()  # where `session-lint .` keeps it

        second = await scan()
        assert (second["files"], second["findings"], second["filesFromCache"]) == (7, 6, 7)
        [diagnostic] = editor.diagnostics[editor.uri("pkg/module_3.py")]
        assert diagnostic.code == "ORM503" and diagnostic.range.start.line == FLAGGED_ROW - 1

        # Fixed on disk (what the project index knows of it stays the same).
        (root / "pkg/module_3.py").write_text(ORM503_SOURCE.replace("is None", ".is_(None)"))
        third = await scan()
        assert (third["files"], third["findings"], third["filesFromCache"]) == (7, 5, 6)
        assert editor.diagnostics[editor.uri("pkg/module_3.py")] == []

    run(scenario, root)


def test_the_workspace_can_be_linted_on_startup(tmp_path: Path) -> None:
    root = project(tmp_path, files=_many_files(3, 0))

    async def scenario(editor: Editor) -> None:
        for n in range(3):
            await editor.diagnostics_of(editor.uri(f"pkg/module_{n}.py"), ["ORM503"])

    run(scenario, root, initialization_options={"lintWorkspaceOnStartup": True})


def test_a_workspace_scan_does_not_block_open_documents_and_can_be_cancelled(tmp_path: Path) -> None:
    root = project(tmp_path, files={"app.py": ORM503_SOURCE, **_many_files(400, 20)})

    async def scenario(editor: Editor) -> None:
        scan = asyncio.ensure_future(editor.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="session-lint.lintWorkspace", arguments=[])))
        await editor.wait_until(lambda: any(_progress(r, "kind") == "report" and "/401 files" in
                                            (_progress(r, "message") or "") for r in editor.progress),
                                "the scan to start")
        app = editor.open("app.py")
        await editor.diagnostics_of(app, ["ORM503"], "the open file's diagnostics during the scan")
        assert not scan.done(), "the scan ended before the open document was linted: make it larger"

        token = editor.progress[0].token
        editor.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        summary = await asyncio.wait_for(scan, TIMEOUT)
        assert summary["cancelled"] is True and summary["files"] < 401
        assert _progress(editor.progress[-1], "kind") == "end"

        # The server is still there and a new scan can start.
        editor.replace_all(app, ORM503_SOURCE + "\n")
        await editor.wait_until(lambda: editor.diagnostics.get(app), "a lint after the cancelled scan")

    run(scenario, root)


def test_cancelling_the_workspace_lint_request_stops_the_scan(tmp_path: Path) -> None:
    root = project(tmp_path, files=_many_files(400, 20))

    async def scenario(editor: Editor) -> None:
        request = asyncio.ensure_future(editor.client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND, types.ExecuteCommandParams(command="session-lint.lintWorkspace"),
            msg_id="scan-1"))
        await editor.wait_until(lambda: any(_progress(r, "kind") == "report" and "/400 files" in
                                            (_progress(r, "message") or "") for r in editor.progress),
                                "the scan to start")
        editor.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="scan-1"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wait_for(request, TIMEOUT)
        await editor.wait_until(lambda: _progress(editor.progress[-1], "kind") == "end", "the scan's progress to end")
        assert _progress(editor.progress[-1], "message") == "cancelled"

    run(scenario, root)


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's RSS from /proc")
def test_memory_stays_bounded_over_two_thousand_edits(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app.py", ORM503_SOURCE + "# edit 0\n")
        await editor.diagnostics_of(uri, ["ORM503"])
        last_row = len(ORM503_SOURCE.splitlines())
        baseline = 0
        for number in range(1, 2001):
            old = f"# edit {number - 1}"
            editor.edit(uri, types.TextEdit(range=types.Range(
                start=types.Position(line=last_row, character=0),
                end=types.Position(line=last_row, character=len(old))), new_text=f"# edit {number}"))
            if number % 10 == 0:
                await asyncio.sleep(0.02)  # let lints run between the bursts, as between keystrokes
            if number % 50 == 0:
                # A lint whose text changes while it runs is abandoned: wait for one that ends,
                # so that lints run through to their results over the edits.
                await editor.wait_until(lambda: editor.published_versions.get(uri) == editor.versions[uri],
                                        f"the diagnostics of edit {number}")
            if number == 200:
                await editor.diagnostics_of(uri, ["ORM503"])
                baseline = _rss_bytes(editor.server_pid)
        editor.replace_all(uri, ORM503_SOURCE.replace("is None", ".is_(None)"))
        await editor.diagnostics_of(uri, [], "the last lint, after every edit")
        growth = _rss_bytes(editor.server_pid) - baseline
        assert editor.publications > 20, "too few lints ran between the edits to measure anything"
        assert growth < 50 * 1024 * 1024, f"RSS grew by {growth / 1024 / 1024:.1f} MB over 1,800 edits"

    run(scenario, root, initialization_options={"debounceMs": 0})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_server_over_tcp(tmp_path: Path) -> None:
    root = project(tmp_path)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "session_lint.server", "--tcp", f"127.0.0.1:{port}"],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async def main() -> None:
            editor = Editor(root)
            await editor.start(tcp=port)
            uri = editor.open("app.py")
            await editor.diagnostics_of(uri, ["ORM503"])
            await asyncio.wait_for(editor.client.shutdown_async(None), TIMEOUT)
            editor.client.exit(None)
            await asyncio.wait_for(editor.client.stop(), TIMEOUT)

        asyncio.run(main())
    finally:
        server.kill()
        server.wait()


# -- the command line and the lean core ------------------------------------------------------


def test_help_calls_it_a_language_server() -> None:
    result = subprocess.run([sys.executable, "-m", "session_lint.server", "--help"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0
    assert "language server" in result.stdout and "--tcp HOST:PORT" in result.stdout


def test_without_the_server_extra_it_says_what_to_install() -> None:
    probe = ("import sys; sys.modules['lsprotocol'] = sys.modules['pygls'] = None; "
             "from session_lint.server import main; main([])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert 'pip install "session-lint[server]"' in result.stderr


def test_the_core_never_imports_pygls() -> None:
    probe = ("import sys, session_lint, session_lint.cli, session_lint.flake8_plugin, session_lint.server; "
             "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('pygls', 'lsprotocol')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- in process: what an editor cannot make happen on demand ---------------------------------


def test_a_rule_that_raises_becomes_an_orm002_and_the_others_still_report(tmp_path: Path) -> None:
    from session_lint.registry import load_rules
    from session_lint.rule import Rule
    from session_lint.server.document_lint import DocumentLinter, Snapshot
    from session_lint.server.project_indexes import ProjectIndexes
    from session_lint.server.workspace_settings import SettingsStore

    class Crashing(Rule):
        code = "XCR001"
        name = "crashing"
        summary = "raises on every file"

        def check(self, context):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    ruleset = load_rules()
    ruleset.add(Crashing, "test")
    root = project(tmp_path)
    linter = DocumentLinter(SettingsStore(ruleset), ProjectIndexes(), root)
    result = linter.lint(Snapshot((root / "app.py").as_uri(), root / "app.py", ORM503_SOURCE, 1))
    assert [d.code for d in result.diagnostics] == ["ORM002", "ORM503"]
    assert "rule XCR001 (crashing) failed: RuntimeError: boom" in result.diagnostics[0].message
    assert result.tracebacks and "boom" in result.tracebacks[0]


def test_a_rule_fix_becomes_a_quick_fix_and_safe_fixes_a_fix_all() -> None:
    """Fixes reach the editor from `Diagnostic.fix` (ruff's shape, `session_lint.fixes`)."""
    from session_lint.fixes import Edit, Fix
    from session_lint.server.code_actions import FIX_ALL_KIND, ActionContext, code_actions
    from session_lint.server.convert import lines_of, lsp_diagnostic
    from session_lint.server.document_lint import DocumentResult, Snapshot

    def replace(row: int, start: int, end: int, content: str) -> Edit:
        return Edit(Location(row, start), Location(row, end), content)

    text = "a = x is None\nb = y is None\nc = z is None\n"
    fixes = [Fix.safe("Use `.is_(None)`", replace(1, 5, 14, "x.is_(None)")),
             Fix.unsafe("Use `.is_(None)`", replace(2, 5, 14, "y.is_(None)")),
             # overlaps the first: waits for the next round, as with `--fix`
             Fix.safe("Rewrite the test", replace(1, 7, 14, "== None"))]
    found = [Diagnostic("ORM503", "m", "f.py", Location(row, 5), Location(row, 14), row, statement_rows=(row,),
                        fix=fix) for row, fix in zip((1, 2, 1), fixes)]
    snapshot = Snapshot("file:///f.py", Path("/f.py"), text, 7)
    lines = text.splitlines(True)
    lsp = [lsp_diagnostic(d, None, lines_of(lines), len, {"version": 7, "index": n}) for n, d in enumerate(found)]
    context = ActionContext("file:///f.py", lines, 7, len, DocumentResult(snapshot, found), document_changes=False)

    actions = code_actions(context, types.CodeActionContext(diagnostics=lsp[:2]))
    assert [action.title for action in actions] == [
        "Use `.is_(None)` (ORM503)", "Add `# noqa: ORM503`", "Explain ORM503 (open the rule page)",
        "Use `.is_(None)` (ORM503, unsafe fix: check the result)", "Add `# noqa: ORM503`",
        "session-lint: apply every safe fix"]
    assert actions[0].is_preferred is True and actions[3].is_preferred is False
    [replacement] = actions[0].edit.changes["file:///f.py"]
    assert replacement.new_text == "x.is_(None)"
    assert replacement.range == types.Range(start=types.Position(line=0, character=4),
                                            end=types.Position(line=0, character=13))

    [fix_all] = code_actions(context, types.CodeActionContext(diagnostics=[], only=["source.fixAll"]))
    assert fix_all.kind == FIX_ALL_KIND
    assert [edit.new_text for edit in fix_all.edit.changes["file:///f.py"]] == ["x.is_(None)"]
    # A diagnostic from an older lint offers no fix: its edits would land elsewhere.
    stale = lsp_diagnostic(found[0], None, lines_of(lines), len, {"version": 6, "index": 0})
    assert "Use `.is_(None)` (ORM503)" not in [a.title for a in code_actions(
        context, types.CodeActionContext(diagnostics=[stale]))]


def test_editor_settings_are_read_leniently() -> None:
    from session_lint.server.workspace_settings import Overrides, overrides_from_client

    assert overrides_from_client(None) is None
    assert overrides_from_client({"python": {"analysis": {}}}) is None  # another server's
    assert overrides_from_client({"session-lint": {}}) == (Overrides(), [])
    assert overrides_from_client({"select": "orm1, ORM2", "extendSelect": ["ORM304"]}) == (
        Overrides(select=("ORM1", "ORM2"), extend_select=("ORM304",)), [])
    overrides, problems = overrides_from_client({"sessionLint": {"ignore": [3], "select": ["ORM5"]}})
    assert overrides == Overrides(select=("ORM5",))
    assert problems == ["setting `ignore` must be a list of rule codes, not [3]"]


def test_columns_are_counted_in_the_clients_encoding() -> None:
    """libcst counts code points; LSP's default encoding counts UTF-16 units, in which an
    emoji takes two."""
    from pygls.workspace.position_codec import PositionCodec

    from session_lint.server.convert import lines_of, lsp_diagnostic

    line = 'q = select(User).where(User.name == "😀", User.deleted_at is None)\n'
    start = line.index("User.deleted_at")
    finding = Diagnostic("ORM503", "m", "f.py", Location(1, start + 1), Location(1, start + 1 + len(FLAGGED_TEXT)),
                         1, statement_rows=(1,))
    utf16, utf32 = (lsp_diagnostic(finding, None, lines_of([line]), PositionCodec(encoding).client_num_units)
                    for encoding in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf32))
    assert (utf32.range.start.character, utf32.range.end.character) == (start, start + len(FLAGGED_TEXT))
    assert (utf16.range.start.character, utf16.range.end.character) == (start + 1, start + 1 + len(FLAGGED_TEXT))


def test_the_cli_starts_the_language_server_as_a_subcommand() -> None:
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "session_lint", "server", "--help"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "language server" in completed.stdout
