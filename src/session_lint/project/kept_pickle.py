"""How a kept project index is pickled and unpickled with its parts apart (see
`kept_parts.py`): `dumps` and `loads`, for `cache.ResultCache.keep_index` / `load_index`."""
from __future__ import annotations

import io
import pickle
import struct
from pathlib import PosixPath, PurePosixPath, PureWindowsPath, WindowsPath
from typing import Any, List, Union

from ..path_text import made
from .kept_parts import LazyPartDict, PartDict, splitter

# What the pickle holds first: bytes of another layout are refused.
_LAYOUT = "session-lint parts 3"


# -- paths --------------------------------------------------------------------------------------
# The index holds a `Path` per module (and more): unpickled the usual way, each is parsed
# again from its parts (3,500 of them, 0.05 s, on the 2,491-file project). Here a path is
# pickled as its text, and made from it without the parse where `path_text` can.
_PATH_TYPES = (PurePosixPath, PosixPath, PureWindowsPath, WindowsPath)


# -- pickling ---------------------------------------------------------------------------------
class _Pickler(pickle.Pickler):
    """A path as its text (`path_text.made`); what a part's content is pickled with."""

    def __init__(self, file: Any, buffer_callback: Any = None) -> None:
        super().__init__(file, protocol=5, buffer_callback=buffer_callback)

    def reducer_override(self, obj: object) -> object:
        # Called for objects of other types than the built-in ones only: a plain dict, list
        # or str costs nothing here.
        kind = type(obj)
        if kind in _PATH_TYPES:
            return made, (kind, str(obj))
        return NotImplemented


class _Splitter(_Pickler):
    """Pickles the spine; each `PartDict` it meets is pickled on its own, and its place holds
    those bytes, unpickled as a `LazyPartDict` by the C unpickler itself (the class called
    with no argument, then its slot set: no Python code runs per part). The bytes go out of
    band (`pickle.PickleBuffer`): unpickled, a part is a view into the data read, not a copy
    (20 MB of parts on the 2,491-file project)."""

    def reducer_override(self, obj: object) -> object:
        kind = type(obj)
        split = splitter(kind)
        if split is not None:
            return split(obj)
        if kind is PartDict or kind is LazyPartDict:
            part = getattr(obj, "_part", None)  # unset in a PartDict made by this process
            if part is None:  # content read or made by this process
                part = _pickled(dict.copy(obj))  # type: ignore[arg-type]
            return LazyPartDict, (), (None, {"_part": pickle.PickleBuffer(part)})
        return super().reducer_override(obj)


def _pickled(content: dict) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer).dump(content)
    return buffer.getvalue()


def unpickled(part: Union[bytes, memoryview]) -> dict:
    """The content of a part (`LazyPartDict._fill`)."""
    return pickle.loads(part)


# The whole: the spine's length, the spine, the parts one after the other, their lengths
# (8 bytes each, little-endian), their count.
_LENGTH = struct.Struct("<Q")


def dumps(obj: object) -> bytes:
    """`obj` pickled with its `PartDict`s apart."""
    parts: List[pickle.PickleBuffer] = []
    spine = io.BytesIO()
    _Splitter(spine, parts.append).dump((_LAYOUT, obj))
    views = [part.raw() for part in parts]
    out = io.BytesIO()
    out.write(_LENGTH.pack(spine.tell()))
    out.write(spine.getbuffer())
    for view in views:
        out.write(view)
    out.write(b"".join(_LENGTH.pack(view.nbytes) for view in views))
    out.write(_LENGTH.pack(len(views)))
    return out.getvalue()


def loads(data: Union[bytes, memoryview]) -> object:
    """What `dumps` pickled, its parts not yet unpickled: views into `data`. ValueError for
    bytes of another layout; whatever pickle raises for damaged ones (the cache checked
    them first)."""
    view = memoryview(data)
    if view.nbytes < 2 * _LENGTH.size:
        raise ValueError("not a kept index of this layout")
    (spine_length,) = _LENGTH.unpack_from(view, 0)
    (count,) = _LENGTH.unpack_from(view, view.nbytes - _LENGTH.size)
    table = view.nbytes - _LENGTH.size * (count + 1)
    start = _LENGTH.size + spine_length
    if table < start:
        raise ValueError("not a kept index of this layout")
    buffers = []
    for (length,) in _LENGTH.iter_unpack(view[table:table + _LENGTH.size * count]):
        buffers.append(view[start:start + length])
        start += length
    if start != table:
        raise ValueError("not a kept index of this layout")
    loaded = pickle.loads(view[_LENGTH.size:_LENGTH.size + spine_length], buffers=buffers)
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == _LAYOUT):
        raise ValueError("not a kept index of this layout")
    return loaded[1]
