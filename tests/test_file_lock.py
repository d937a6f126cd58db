"""The cache's lock (`file_lock.exclusive`): `flock` on POSIX, so that saving the cache does not
import `filelock` (10 ms of a one-file run). It must exclude a second holder, give up after
the timeout, and never lock through a planted symbolic link."""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from session_lint.cache import ResultCache
from session_lint.file_lock import LockTimeout, exclusive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX's; Windows uses filelock")


def test_a_second_holder_waits_for_the_first(tmp_path) -> None:
    path = str(tmp_path / ".lock")
    order = []
    with exclusive(path, 5):
        def second() -> None:
            with exclusive(path, 5):
                order.append("second")

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_a_held_lock_times_out(tmp_path) -> None:
    path = str(tmp_path / ".lock")
    with exclusive(path, 5):
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            with exclusive(path, 0.2):
                pass  # pragma: no cover - never reached
        assert 0.2 <= time.monotonic() - started < 2
    with exclusive(path, 0.2):  # released at the end of the block
        pass


def test_a_planted_link_is_not_followed(tmp_path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep\n", encoding="utf-8")
    os.symlink(target, tmp_path / ".lock")
    with pytest.raises(OSError):
        with exclusive(str(tmp_path / ".lock"), 1):
            pass  # pragma: no cover - never reached
    assert target.read_text(encoding="utf-8") == "keep\n"


def test_a_save_while_another_run_holds_the_cache_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("session_lint.cache._LOCK_TIMEOUT", 0.2)
    cache = ResultCache(tmp_path / "cache")
    cache.keep_index("a" * 64, {"index": 1})
    (tmp_path / "cache").mkdir()
    with exclusive(str(tmp_path / "cache" / ".lock"), 5):
        problem = cache.save()
    assert problem is not None and "stayed locked by another run" in problem
    assert cache.save() is None and ResultCache(tmp_path / "cache").load_index("a" * 64) == {"index": 1}
