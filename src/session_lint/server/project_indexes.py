"""The project index (session factories, and the per-module facts the function summaries
are built from) of each project root an open file lives in, built as the CLI builds it
for `session-lint path/to/file.py`, and kept up to date as files of the project are
saved, created or deleted: a saved module's scan replaces its old one, and the open
files are linted again when what other files can learn from the project changed (the
index's fingerprint, which the CLI's cache keys each file's results by)."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Tuple

from ..discovery import project_files
from ..engine import read_source
from ..project_index import LazyProjectIndex, ModuleScan, ProjectIndex, scan_source
from ..settings import Settings

logger = logging.getLogger(__name__)


class ProjectIndexes:
    """One lazily built index per (root, file-selection settings). Used from the lint
    thread and from the event loop, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: Dict[Tuple[object, ...], "_TrackedIndex"] = {}

    def for_settings(self, settings: Settings) -> ProjectIndex:
        key = (settings.root, settings.exclude, settings.extend_exclude, settings.respect_gitignore)
        with self._lock:
            tracked = self._indexes.get(key)
            if tracked is None:
                tracked = self._indexes[key] = _TrackedIndex(settings)
            return tracked.index

    def file_changed(self, path: Path, text: Optional[str] = None) -> bool:
        """A file was saved, created or deleted (`text` None: read it from disk, if it is
        still there). Every index that holds it takes its new scan; an index that does not
        hold it (a new file) is dropped, to be built again with it. True if what the other
        files of a project can learn from it changed: its open files are worth linting
        again. Runs on the lint thread (the summaries of the new index are built here)."""
        resolved = _resolve(path)
        scan = _scan(resolved, text)
        changed = False
        with self._lock:
            tracked_indexes = list(self._indexes.items())
        for key, tracked in tracked_indexes:
            # An index not built yet reads the file when it is built.
            if not tracked.built or not _within(resolved, tracked.root):
                continue
            if resolved not in tracked.files:
                if scan is not None:  # a new module: the index is built again with it
                    with self._lock:
                        if self._indexes.get(key) is tracked:
                            del self._indexes[key]
                    changed = True
                continue
            old = tracked.index
            started = time.perf_counter()
            try:
                new = old.with_module(resolved, scan)
                if new is old:
                    continue
                observed = new.fingerprint() != old.fingerprint()
            except Exception:  # a failure of ours costs the freshness, not the server
                logger.exception("cannot update the project index of %s for %s", tracked.root, resolved)
                with self._lock:
                    if self._indexes.get(key) is tracked:
                        del self._indexes[key]
                changed = True
                continue
            with self._lock:
                if self._indexes.get(key) is tracked and tracked.index is old:
                    tracked.index = new
                    if scan is None:
                        tracked.files = tracked.files - {resolved}
            changed = changed or observed
            logger.debug("index of %s: %s updated in %.0f ms (%s)", tracked.root, resolved,
                         (time.perf_counter() - started) * 1000,
                         "the project's knowledge changed" if observed else "nothing other files see")
        return changed

    def forget(self) -> None:
        with self._lock:
            self._indexes.clear()


class _TrackedIndex:
    """A project's index (built on first use, as the CLI builds it) and the files it was
    built from; `index` is replaced as files change."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.built = False
        self.files: FrozenSet[Path] = frozenset()
        self.index: ProjectIndex = LazyProjectIndex(lambda: self._scan(settings))

    def _scan(self, settings: Settings) -> ProjectIndex:
        started = time.perf_counter()
        try:
            files = project_files(settings)
            index = ProjectIndex.scan(files)
        except Exception:  # an unreadable tree costs the cross-module knowledge, not the lint
            logger.debug("cannot index %s", self.root, exc_info=True)
            files, index = [], ProjectIndex()
        self.files = frozenset(_resolve(Path(name)) for name in files)
        self.built = True
        # Once per project and configuration: the first lint that needs it pays for it.
        logger.debug("indexed %d files of %s in %.0f ms", len(files), self.root,
                     (time.perf_counter() - started) * 1000)
        return index


def _scan(path: Path, text: Optional[str]) -> Optional[ModuleScan]:
    """What the module at `path` defines, as the index's scan reads it; None for a file
    that is gone (or cannot be read)."""
    try:
        raw = text.encode("utf-8") if text is not None else read_source(path)
    except OSError:
        return None
    return scan_source(raw, str(path))


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
