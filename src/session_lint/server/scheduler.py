"""When open documents are linted: off the event loop, in one worker thread, a change
debounced, and never more than one lint of a document waiting behind the one running
(the newest text wins), so that a burst of edits costs one lint, not one per keystroke,
and memory does not grow with the number of edits. A lint running when its document
changes again is abandoned: its result would not be published, and the lint of the new
text should not wait for it."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from typing import Callable, Dict, Generic, Optional, Set, TypeVar

from .document_lint import Abandon, Snapshot

logger = logging.getLogger(__name__)
R = TypeVar("R")


class LintScheduler(Generic[R]):
    def __init__(self, executor: Executor, snapshot: Callable[[str], Optional[Snapshot]],
                 lint: Callable[[Snapshot, Abandon], R], deliver: Callable[[R], None], debounce: float) -> None:
        self.executor = executor
        self.debounce = debounce
        self._snapshot = snapshot
        self._lint = lint
        self._deliver = deliver
        self._timers: Dict[str, asyncio.TimerHandle] = {}
        self._running: Dict[str, "asyncio.Task[None]"] = {}
        self._dirty: Set[str] = set()
        self._abandon: Dict[str, Abandon] = {}  # of the lint running for each document
        # When each document was last asked for (its last change), for the debug log.
        self._requested: Dict[str, float] = {}

    def request(self, uri: str, delay: Optional[float] = None) -> None:
        """Lint `uri` after `delay` seconds (default: the debounce) without a newer request."""
        loop = asyncio.get_running_loop()
        self._requested[uri] = loop.time()
        running = self._abandon.get(uri)
        if running is not None:
            running.request()
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        delay = self.debounce if delay is None else delay
        if delay <= 0:
            self._start(uri)
        else:
            self._timers[uri] = loop.call_later(delay, self._start, uri)

    def forget(self, uri: str) -> None:
        """The document closed: nothing more is linted or delivered for it."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._dirty.discard(uri)
        self._requested.pop(uri, None)
        running = self._abandon.get(uri)
        if running is not None:
            running.request()

    def busy(self) -> bool:
        return bool(self._timers or self._running)

    def _start(self, uri: str) -> None:
        self._timers.pop(uri, None)
        if uri in self._running:
            self._dirty.add(uri)  # linted again with the newest text when this lint ends
            return
        self._running[uri] = asyncio.get_running_loop().create_task(self._run(uri))

    async def _run(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._dirty.discard(uri)
                snapshot = self._snapshot(uri)
                if snapshot is None:
                    return
                requested = self._requested.get(uri, loop.time())
                started = loop.time()
                abandon = self._abandon[uri] = Abandon()
                try:
                    result = await loop.run_in_executor(self.executor, self._lint, snapshot, abandon)
                except RuntimeError:  # the executor was shut down: the server is exiting
                    return
                finally:
                    self._abandon.pop(uri, None)
                linted = loop.time()
                latest = self._snapshot(uri)
                if not abandon.requested and uri not in self._dirty and latest is not None \
                        and latest.version == snapshot.version and latest.text == snapshot.text:
                    try:
                        self._deliver(result)
                    except Exception:  # a failure to publish must not stop later lints
                        logger.exception("session-lint: cannot publish the diagnostics of %s", uri)
                    else:
                        _log_timings(uri, snapshot, result, requested, started, linted, loop.time())
                if uri not in self._dirty:
                    return
        finally:
            self._running.pop(uri, None)


def _log_timings(uri: str, snapshot: Snapshot, result: object, requested: float, started: float,
                 linted: float, published: float) -> None:
    """One line per published lint: where the time from the last change went (`wait` is the
    debounce, plus any lint of an older text still running; `lint` includes the hand-over
    to the worker thread). benchmarks/server_latency.py reads these lines."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    phases = getattr(result, "timings", None) or {}
    parts = [f"wait={(started - requested) * 1000:.1f}", f"lint={(linted - started) * 1000:.1f}",
             *(f"{name}={value:.1f}" for name, value in phases.items()),
             f"publish={(published - linted) * 1000:.1f}", f"total={(published - requested) * 1000:.1f}"]
    logger.debug("timings uri=%s version=%s %s", uri, snapshot.version, " ".join(parts))
