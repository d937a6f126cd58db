"""How a kept project index is pickled and unpickled with its parts apart (see
`kept_parts.py`): `dumps` and `loads`, for `cache.ResultCache.keep_index` / `load_index`."""
from __future__ import annotations

import io
import pickle
import sys
from pathlib import PosixPath, PurePath, PurePosixPath, PureWindowsPath, WindowsPath
from typing import Any

from .kept_parts import LazyPartDict, PartDict, is_pending_class, object_part, pending_class

# What the pickle holds first: bytes of another layout are refused.
_LAYOUT = "session-lint parts 2"


# -- paths --------------------------------------------------------------------------------------
# The index holds a `Path` per module (and more): unpickled the usual way, each is parsed
# again from its parts (3,500 of them, 0.05 s, on the 2,491-file project). Here a path is
# pickled as its text; on Python 3.11 an absolute POSIX path is made from it without the
# parse (`_from_parsed_parts`, checked against the parse below), elsewhere by the class.
_PATH_TYPES = (PurePosixPath, PosixPath, PureWindowsPath, WindowsPath)


def _path(kind: type, text: str) -> PurePath:
    if _FAST_PATHS and text[:1] == "/" and text[1:2] != "/" and (kind is PosixPath or kind is PurePosixPath):
        return kind._from_parsed_parts("", "/", ["/", *text[1:].split("/")] if len(text) > 1 else ["/"])
    return kind(text)


def _fast_paths_agree() -> bool:
    """Does `_from_parsed_parts` make what the parse makes (the same parts, text, hash)?"""
    if sys.version_info[:2] != (3, 11) or not hasattr(PosixPath, "_from_parsed_parts"):
        return False
    try:
        for text in ("/", "/a", "/srv/app/models/__init__.py", "/x y/é.py"):
            made = PosixPath._from_parsed_parts("", "/", ["/", *text[1:].split("/")] if len(text) > 1 else ["/"])
            parsed = PosixPath(text)
            if not (made == parsed and str(made) == text and made.parts == parsed.parts and hash(made) == hash(parsed)
                    and made.parent == parsed.parent and made.name == parsed.name):
                return False
    except Exception:
        return False
    return True


_FAST_PATHS = _fast_paths_agree()


# -- pickling ---------------------------------------------------------------------------------
class _Pickler(pickle.Pickler):
    """A path as its text (see `_path`); what a part's content is pickled with."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: object) -> object:
        # Called for objects of other types than the built-in ones only: a plain dict, list
        # or str costs nothing here.
        kind = type(obj)
        if kind in _PATH_TYPES:
            return _path, (kind, str(obj))
        return NotImplemented


class _Splitter(_Pickler):
    """Pickles the spine; each `PartDict` it meets is pickled on its own, and its place holds
    those bytes, unpickled as a `LazyPartDict` by the C unpickler itself (the class called
    with no argument, then its slot set: no Python code runs per part)."""

    def reducer_override(self, obj: object) -> object:
        kind = type(obj)
        pending = pending_class(kind)
        if pending is not None:
            return object.__new__, (pending,), {"_pending": object_part(obj)}
        if is_pending_class(kind):
            state = object.__getattribute__(obj, "__dict__")
            if "_pending" in state:  # not read by this process: its part as it came
                return object.__new__, (kind,), {"_pending": state["_pending"]}
            return NotImplemented  # pragma: no cover - a filled one is of the class itself
        if kind is PartDict or kind is LazyPartDict:
            part = getattr(obj, "_part", None)  # unset in a PartDict made by this process
            if part is None:  # content read or made by this process
                part = _pickled(dict.copy(obj))  # type: ignore[arg-type]
            return LazyPartDict, (), (None, {"_part": part})
        return super().reducer_override(obj)


def _pickled(content: dict) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer).dump(content)
    return buffer.getvalue()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_path":
            return _path
        return super().find_class(module, name)


def unpickled(part: bytes) -> dict:
    """The content of a part (`LazyPartDict._fill`)."""
    return _Unpickler(io.BytesIO(part)).load()


def dumps(obj: object) -> bytes:
    """`obj` pickled with its `PartDict`s apart."""
    buffer = io.BytesIO()
    _Splitter(buffer).dump((_LAYOUT, obj))
    return buffer.getvalue()


def loads(data: bytes) -> object:
    """What `dumps` pickled, its parts not yet unpickled. ValueError for bytes of another
    layout; whatever pickle raises for damaged ones (the cache checked them first)."""
    loaded = _Unpickler(io.BytesIO(data)).load()
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == _LAYOUT):
        raise ValueError("not a kept index of this layout")
    return loaded[1]
