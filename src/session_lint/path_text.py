"""`Path(text)` for text that is already a path's normal form, without parsing it again.

On Python 3.11 making a `PosixPath` parses its text (`parse_parts`): 5 µs a path, 0.05 s for
the 3,500 paths of a kept index and 40% of the walk of a 2,491-file project, both in every
one-file run inside it. An absolute path in normal form (`str()` of a path, or a directory
walked from one joined with names that `scandir` gave) is made from its parts directly
(`_from_parsed_parts`), once checked against the parse here; elsewhere (other versions,
Windows, relative text) by the class.
"""
from __future__ import annotations

import sys
from pathlib import Path, PosixPath, PurePath, PurePosixPath


def path_of(text: str) -> Path:
    """`Path(text)` for `text` in normal form (no `.`, `..` or empty parts, no trailing
    separator)."""
    return made(_CONCRETE, text)  # type: ignore[return-value]


def made(kind: type, text: str) -> PurePath:
    """`kind(text)` for `text` in normal form."""
    if _FAST and text[:1] == "/" and text[1:2] != "/" and (kind is PosixPath or kind is PurePosixPath):
        return kind._from_parsed_parts("", "/", ["/", *text[1:].split("/")] if len(text) > 1 else ["/"])
    return kind(text)


def _agrees() -> bool:
    """Does `_from_parsed_parts` make what the parse makes (the same parts, text, hash)?"""
    if sys.version_info[:2] != (3, 11) or not hasattr(PosixPath, "_from_parsed_parts"):
        return False
    try:
        for text in ("/", "/a", "/srv/app/models/__init__.py", "/x y/é.py"):
            fast = PosixPath._from_parsed_parts("", "/", ["/", *text[1:].split("/")] if len(text) > 1 else ["/"])
            parsed = PosixPath(text)
            if not (fast == parsed and str(fast) == text and fast.parts == parsed.parts and hash(fast) == hash(parsed)
                    and fast.parent == parsed.parent and fast.name == parsed.name
                    and fast / "x" == parsed / "x" and fast.as_posix() == parsed.as_posix()):
                return False
    except Exception:
        return False
    return True


_FAST = _agrees()
_CONCRETE = type(Path("/"))  # what `Path(text)` makes here: PosixPath or WindowsPath
