"""A progress bar on standard error, for runs long enough to make someone wonder.

It is drawn only on a terminal: in a pipe, a file or a CI log every redraw would be a line
of noise, so a stream that is not a TTY, a `CI` variable (GitHub Actions, GitLab, most CI
services set it) or `--quiet` turn it off. It appears once the run has taken DELAY
seconds, so the quick runs of pre-commit and editors never flash it; it is redrawn at most
every REDRAW seconds and erased before anything else is printed.

It is driven from the main thread by `advance()` calls, never by a timer thread: the
runner forks its worker processes, and fork() in a multi-threaded process can deadlock the
child (Python 3.12+ warns about it).
"""
from __future__ import annotations

import os
import shutil
import time
from typing import Callable, Mapping, Optional, TextIO

DELAY = 1.0
REDRAW = 0.1
_MIN_BAR = 10  # narrower than this, the counts alone are shown


def wanted(stream: Optional[TextIO], environ: Mapping[str, str] = os.environ, quiet: bool = False) -> bool:
    """Whether a progress bar may be drawn on `stream`."""
    if quiet or stream is None or "CI" in environ or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (ValueError, AttributeError):  # closed, or not a real stream (captured by a test)
        return False


def render(done: int, total: int, elapsed: float, width: int) -> str:
    """One line of at most `width` characters: `[#####.....] 412/1034 files 3.2 s`."""
    done = max(0, min(done, total))
    counts = f" {done}/{total} file{'' if total == 1 else 's'} {elapsed:.1f} s"
    room = width - len(counts) - 2  # the brackets
    if room < _MIN_BAR:
        return counts.strip()[:max(0, width)]
    filled = room * done // total if total else room
    return "[" + "#" * filled + "." * (room - filled) + "]" + counts


class ProgressBar:
    """Counts finished files and redraws the bar in place (a carriage return, no cursor
    movement, so any terminal shows it)."""

    def __init__(self, total: int, stream: TextIO, clock: Callable[[], float] = time.monotonic,
                 width: Optional[int] = None) -> None:
        self.total = total
        self.done = 0
        self._stream: Optional[TextIO] = stream
        self._clock = clock
        self._started = clock()
        self._drawn_at: Optional[float] = None
        self._shown = 0  # length of the line on screen, to erase it
        # One column short of the terminal: writing into the last column wraps on some terminals.
        self._width = width if width is not None else shutil.get_terminal_size((80, 24)).columns - 1

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self._clock()
        if now - self._started < DELAY:
            return
        if self._drawn_at is not None and now - self._drawn_at < REDRAW and self.done < self.total:
            return
        self._drawn_at = now
        self._draw(render(self.done, self.total, now - self._started, self._width))

    def close(self) -> None:
        """Erase the bar (if it was ever drawn), leaving the cursor at the start of the line."""
        if self._shown:
            self._draw("")
        self._stream = None

    def _draw(self, line: str) -> None:
        if self._stream is None:
            return
        padding = " " * max(0, self._shown - len(line))
        try:
            self._stream.write("\r" + line + padding + ("\r" if not line else ""))
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: nothing more to show
            self._stream = None
            return
        self._shown = len(line)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class NoProgress(ProgressBar):
    """What a run gets when no bar is wanted: counts, draws nothing."""

    def __init__(self) -> None:
        super().__init__(0, None, width=0)  # type: ignore[arg-type]
        self._stream = None


def progress_bar(total: int, stream: Optional[TextIO], quiet: bool = False,
                 environ: Mapping[str, str] = os.environ) -> ProgressBar:
    if total <= 0 or stream is None or not wanted(stream, environ, quiet):
        return NoProgress()
    return ProgressBar(total, stream)
