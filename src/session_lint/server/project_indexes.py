"""The project index (module-level session factories) of each project root an open file
lives in, built as the CLI builds it for `session-lint path/to/file.py` and kept until a
file that defines, or now defines, a factory changes."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

from ..discovery import project_files
from ..engine import read_source
from ..project_index import LazyProjectIndex, ProjectIndex, scan_text
from ..settings import Settings

logger = logging.getLogger(__name__)

# A factory as a change could alter it; where it sits in its file does not matter.
_Shape = Tuple[Tuple[str, str, Tuple[Tuple[str, str], ...]], ...]


class ProjectIndexes:
    """One lazily built index per (root, file-selection settings). Used from the lint
    thread and from the event loop (invalidation), hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: Dict[Tuple[object, ...], "_TrackedIndex"] = {}

    def for_settings(self, settings: Settings) -> ProjectIndex:
        key = (settings.root, settings.exclude, settings.extend_exclude, settings.respect_gitignore)
        with self._lock:
            index = self._indexes.get(key)
            if index is None:
                index = self._indexes[key] = _TrackedIndex(settings)
            return index

    def file_changed(self, path: Path, text: Optional[str] = None) -> bool:
        """A file was saved, created or deleted (`text` None: read it from disk, if it is
        still there). Drops the indexes whose view of its factories is now wrong; True if
        any was dropped (the open files are then worth linting again)."""
        resolved = _resolve(path)
        if text is None:
            try:
                text = read_source(resolved).decode("utf-8", "replace")
            except OSError:
                text = ""
        now = _shape_of(scan_text(text, str(resolved)))
        dropped = False
        with self._lock:
            for key, index in list(self._indexes.items()):
                # An index not built yet reads the file when it is built.
                if index.built and _within(resolved, index.root) and index.shape_of(resolved) != now:
                    del self._indexes[key]
                    dropped = True
        return dropped

    def forget(self) -> None:
        with self._lock:
            self._indexes.clear()


class _TrackedIndex(LazyProjectIndex):
    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.built = False
        super().__init__(lambda: self._scan(settings))

    def _scan(self, settings: Settings) -> ProjectIndex:
        self.built = True
        started = time.perf_counter()
        try:
            files = project_files(settings)
            index = ProjectIndex.scan(files)
        except Exception:  # an unreadable tree costs the cross-module knowledge, not the lint
            logger.debug("cannot index %s", self.root, exc_info=True)
            return ProjectIndex()
        # Once per project and configuration: the first lint that needs it pays for it.
        logger.debug("indexed %d files of %s in %.0f ms", len(files), self.root,
                     (time.perf_counter() - started) * 1000)
        return index

    def shape_of(self, path: Path) -> _Shape:
        found = {info.name: info for info in self.factories() if _resolve(Path(info.path)) == path}
        return _shape_of(found)


def _shape_of(found: Dict[str, object]) -> _Shape:
    return tuple(sorted((name, info.kind, info.options) for name, info in found.items()))  # type: ignore[attr-defined]


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
