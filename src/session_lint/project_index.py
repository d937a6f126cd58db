"""A cheap, parse-free pass over the linted files that records module-level session factories.

`from app.db import SessionLocal` in one module is only useful if we know, from another
module, that `SessionLocal = sessionmaker(engine)`. Parsing every file twice would double
the cost of a run, so this index reads the text with a regular expression: it only has to
recognise `NAME = [dotted.]callee(...)` at column 0 for a handful of callees.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

_ASSIGNMENT = re.compile(
    r"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*((?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*))[ \t]*\(",
    re.MULTILINE,
)
_KEYWORD = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*([^,()\s][^,()]*)")

# callee's last name -> factory kind
FACTORY_KINDS: Dict[str, str] = {
    "sessionmaker": "sessionmaker",
    "async_sessionmaker": "async_sessionmaker",
    "scoped_session": "scoped_session",
    "async_scoped_session": "scoped_session",
    "SQLAlchemy": "flask_sqlalchemy",
    "Session": "session",
    "AsyncSession": "async_session",
}
_MARKERS = ("sqlalchemy", "sqlmodel")


@dataclass(frozen=True)
class FactoryInfo:
    """A module-level object that makes or is a session, as seen in its defining module."""

    kind: str
    name: str
    options: Tuple[Tuple[str, str], ...]
    path: str
    line: int

    def option(self, key: str) -> Optional[str]:
        for name, value in self.options:
            if name == key:
                return value
        return None


def scan_text(text: str, path: str) -> Dict[str, FactoryInfo]:
    if not any(marker in text for marker in _MARKERS):
        return {}
    found: Dict[str, FactoryInfo] = {}
    for match in _ASSIGNMENT.finditer(text):
        kind = FACTORY_KINDS.get(match.group(3))
        if kind is None:
            continue
        arguments = _call_arguments(text, match.end())
        options = tuple((k, v.strip()) for k, v in _KEYWORD.findall(arguments))
        line = text.count("\n", 0, match.start()) + 1
        found[match.group(1)] = FactoryInfo(kind, match.group(1), options, path, line)
    return found


def _call_arguments(text: str, start: int) -> str:
    """The text between the parentheses of a call whose `(` ends just before `start`."""
    depth = 1
    index = start
    limit = min(len(text), start + 4000)
    while index < limit and depth:
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        index += 1
    return text[start : index - 1]


class ProjectIndex:
    def __init__(self, entries: Optional[Dict[Path, Dict[str, FactoryInfo]]] = None) -> None:
        self._entries: Dict[Path, Dict[str, FactoryInfo]] = entries or {}
        self._by_suffix: Dict[str, List[Path]] = {}
        for path in self._entries:
            parts = path.with_suffix("").parts
            for length in range(1, len(parts) + 1):
                self._by_suffix.setdefault("/".join(parts[-length:]), []).append(path)

    @classmethod
    def scan(cls, paths: Iterable[Path], read=None) -> "ProjectIndex":
        entries: Dict[Path, Dict[str, FactoryInfo]] = {}
        for path in paths:
            try:
                raw = path.read_bytes() if read is None else read(path)
            except OSError:
                continue  # the lint pass reports unreadable files; the index just skips them
            text = raw.decode("utf-8", errors="replace")
            found = scan_text(text, str(path))
            if found:
                entries[path.resolve()] = found
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def lookup(self, importer: Optional[str], module: str, level: int, name: str) -> Optional[FactoryInfo]:
        """What `from <level dots><module> import <name>` brings in, if it is a known factory."""
        for candidate in self._module_files(importer, module, level):
            info = self._entries.get(candidate, {}).get(name)
            if info is not None:
                return info
        return None

    def _module_files(self, importer: Optional[str], module: str, level: int) -> List[Path]:
        relative = module.replace(".", "/")
        if level:
            if importer is None:
                return []
            base = Path(importer).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            target = base / relative if relative else base
            return [target.with_suffix(".py"), target / "__init__.py"]
        if not relative:
            return []
        matches = self._by_suffix.get(relative, []) + self._by_suffix.get(relative + "/__init__", [])
        return matches if len(matches) == 1 else []

    def has_kind(self, kind: str) -> bool:
        return any(info.kind == kind for found in self._entries.values() for info in found.values())

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self._entries):
            for name, info in sorted(self._entries[path].items()):
                digest.update(repr((str(path), name, info.kind, info.options)).encode())
        return digest.hexdigest()[:16]


class LazyProjectIndex(ProjectIndex):
    """Built on the first lookup: most files never import a session factory."""

    def __init__(self, build) -> None:
        super().__init__()
        self._build = build
        self._built = False

    def _ensure(self) -> None:
        if not self._built:
            self._built = True
            built = self._build()
            self.__dict__.update(_entries=built._entries, _by_suffix=built._by_suffix)

    def lookup(self, importer, module, level, name):  # type: ignore[override]
        self._ensure()
        return super().lookup(importer, module, level, name)

    def has_kind(self, kind: str) -> bool:
        self._ensure()
        return super().has_kind(kind)

    def fingerprint(self) -> str:
        self._ensure()
        return super().fingerprint()

    def __bool__(self) -> bool:
        self._ensure()
        return super().__bool__()


EMPTY_INDEX = ProjectIndex()
