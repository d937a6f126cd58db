"""`$/progress` for the workspace scan: begun when the client shows progress, reported at
most once per percent or half second, cancellable from the editor."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any, Callable, Optional, Tuple

from lsprotocol import types

from .capabilities import capability


class Progress:
    """`$/progress` for one piece of work, when the client shows progress; cancellable."""

    def __init__(self, server: Any, title: str, on_cancel: Callable[[], None]) -> None:
        self.server = server
        self.title = title
        self.on_cancel = on_cancel
        self.token: Optional[str] = None
        self._last: Tuple[Optional[int], float] = (None, 0.0)

    async def begin(self) -> None:
        if not capability(self.server.client_capabilities, "window", "work_done_progress"):
            return
        token = f"session-lint-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), 10)
        except Exception:  # the client refused or did not answer: work without progress
            return
        self.token = token
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=self.title, cancellable=True, percentage=0))
        cancelled = self.server.work_done_progress.tokens.get(token)
        if cancelled is not None:
            cancelled.add_done_callback(lambda future: self.on_cancel() if future.cancelled() else None)

    def report(self, message: str, percentage: Optional[int]) -> None:
        if self.token is None:
            return
        now = asyncio.get_running_loop().time()
        if percentage == self._last[0] and now - self._last[1] < 0.5:
            return  # one report per percent, or per half second: not one per file
        self._last = (percentage, now)
        self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
            message=message, percentage=percentage, cancellable=True))

    def end(self, message: str) -> None:
        if self.token is None:
            return
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)
        self.token = None


class FileCounter:
    def __init__(self, progress: Progress, label: str) -> None:
        self.progress = progress
        self.label = label
        self.total = 0
        self.done = 0

    def set_total(self, total: int) -> None:
        self.total = total
        self.progress.report(f"{self.label}: {total} files", 0)

    def advance(self) -> None:
        self.done += 1
        percentage = self.done * 100 // self.total if self.total else None
        self.progress.report(f"{self.label}: {self.done}/{self.total} files", percentage)
