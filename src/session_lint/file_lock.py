"""An exclusive lock on a file, held by the cache while it merges its entries.

Where there is `fcntl` (every POSIX system) it is `flock` itself, as `filelock`'s Unix lock
is: importing `filelock` (4.x: its modules, `logging`, `inspect`) took 10 ms of a 0.5 s
one-file run, which saves the cache every time. Elsewhere it is `filelock`.
"""
from __future__ import annotations

import errno
import os
import time
from contextlib import contextmanager
from typing import Iterator

_POLL_SECONDS = 0.05


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than the timeout."""


@contextmanager
def exclusive(path: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing, never through a symbolic link)
    for the `with` block. LockTimeout after `timeout` seconds of waiting;
    NotImplementedError on a file system without locks; OSError when `path` cannot be opened."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        with _filelock(path, timeout):
            yield
        return
    handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno == errno.ENOSYS:
                    raise NotImplementedError(f"{path}: the file system has no locks") from error
                if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise LockTimeout(f"{path} stayed locked for {timeout:.0f} s")
            time.sleep(_POLL_SECONDS)
        yield  # closing the file below releases the lock
    finally:
        os.close(handle)


@contextmanager
def _filelock(path: str, timeout: float) -> Iterator[None]:  # pragma: no cover - Windows
    import filelock

    lock = filelock.FileLock(path, timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as error:
        raise LockTimeout(str(error)) from error
    try:
        yield
    finally:
        lock.release()
