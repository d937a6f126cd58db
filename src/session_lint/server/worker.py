"""The thread that lints open documents: one, long-lived, with the large stack libcst's
parser needs.

`engine.lint_source` starts a thread with that stack for every call, so that a deeply
nested file slows the parse instead of crashing the process. The server lints the same
documents over and over; this thread is started once, and `lint_source` runs on it
directly (`in_caller_thread=True`). One thread also means that lints never run side by
side: they share the rule objects, and the interpreter lock would serialize them anyway.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Executor, Future
from typing import Any, Callable, Optional, Tuple, TypeVar

from ..engine import PARSER_STACK_BYTES

T = TypeVar("T")
_WorkItem = Tuple["Future[Any]", Callable[..., Any], Tuple[Any, ...], dict]
_local = threading.local()


def on_big_stack() -> bool:
    """Is the calling thread a BigStackWorker's (so that it may parse without a thread of its own)?"""
    return getattr(_local, "big_stack", False)


class BigStackWorker(Executor):
    """An executor of one thread with the parser's stack; calls run in the order submitted."""

    def __init__(self, name: str = "session-lint-lint", stack_bytes: int = PARSER_STACK_BYTES) -> None:
        self._queue: "queue.SimpleQueue[Optional[_WorkItem]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        # The size is read when a thread starts, and it is process-wide: set only around
        # this start (the server builds its worker before it runs anything else).
        previous = threading.stack_size(stack_bytes)
        try:
            self._thread.start()
        finally:
            threading.stack_size(previous)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> "Future[T]":
        future: "Future[T]" = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._queue.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if cancel_futures:
                self._cancel_pending()
            self._queue.put(None)  # after the work already queued, unless cancelled
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def _cancel_pending(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[0].cancel()

    def _work(self) -> None:
        _local.big_stack = True
        while True:
            item = self._queue.get()
            if item is None:
                return
            _run(item)
            del item  # hold nothing of a finished call (a document's text, its tree) while idle


def _run(item: _WorkItem) -> None:
    future, fn, args, kwargs = item
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as error:  # the submitter sees it; the thread serves on
        future.set_exception(error)
    else:
        future.set_result(result)
