"""A pickle in parts, each part unpickled when first used: how the cache keeps a project
index (`cache.ResultCache.keep_index` / `load_index`). This module holds what stands for a
part; `kept_pickle.py` pickles and unpickles the whole.

A one-file run inside a 2,491-file project loaded the whole kept index, a 20 MB pickle of
a million objects (0.4 s of CPU), and then read the facts of 14 modules and about a hundred
of the 18,700 function summaries. Here every `PartDict` met while pickling (each module's
facts, the summaries' large tables, memos kept one part per module, a module's function
summaries: `kept_by_module`) is pickled on its own, into bytes that stand in its place in
the whole. `kept_pickle.loads` unpickles the whole with those bytes left as they are: a part
comes back as a `LazyPartDict`, an empty dict holding its bytes, which unpickles them the
first time anything reads or changes it and then turns into a `PartDict` (the same layout,
no method of its own: a plain dict from then on). The bytes are part of what the cache
checked with its HMAC: nothing unchecked is unpickled, then or later. A part never read is
written back as the bytes it came from when the index is kept again.

(The summaries were first kept one pickle per summary, each unpickled at its first
attribute: 18,700 objects made and two Python calls each while loading, 0.06 s of a 0.14 s
load on that project. One part per module makes about 1,900 empty dicts, in C.)

What a `LazyPartDict` cannot see is C code that reads a dict's storage without calling its
methods: `dict.<method>(d)` called through the class, and the `json` module's C encoder
(it reads the size first). No code reads a part so (`project_index.encode_scan` copies a
scan's facts before encoding them).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

# `pickle` is imported where a part is read: a warm run that loads no index needs none of it.
# How the whole is pickled and unpickled is `kept_pickle.py`'s.


class PartDict(dict):
    """A dict that the kept index pickles apart from the rest (loaded when first used)."""

    # The bytes of its part while it is a `LazyPartDict` not yet filled; None after.
    __slots__ = ("_part",)


def as_part(facts: Optional[dict]) -> Optional[dict]:
    """A module's facts as the project index keeps them: a `PartDict` (a copy of the
    mapping itself, not of what it holds)."""
    return PartDict(facts) if type(facts) is dict else facts


def module_part(table: Dict[Any, PartDict], module: Any) -> PartDict:
    """`table[module]`, an empty `PartDict` at first: a memo kept in one part per module, of
    which a kept index loads those of the modules a run asks about."""
    found = table.get(module)
    if found is None:
        found = table[module] = PartDict()
    return found


class LazyPartDict(PartDict):
    """A `PartDict` loaded from a kept index, its content still in `_part`."""

    __slots__ = ()

    def _fill(self) -> None:
        part = self._part
        if part is None:  # pragma: no cover - a filled one is a PartDict
            return
        from .kept_pickle import unpickled

        dict.update(self, unpickled(part))  # (a second thread meanwhile does the same)
        self._part = None
        self.__class__ = PartDict  # every method is dict's again


def _filling(name: str) -> Callable[..., Any]:
    method = getattr(dict, name)

    def filled(self: LazyPartDict, *args: Any, **kwargs: Any) -> Any:
        self._fill()
        for other in args:  # `d == other` of two parts compares both contents
            if type(other) is LazyPartDict:
                other._fill()
        return method(self, *args, **kwargs)

    filled.__name__ = filled.__qualname__ = name
    return filled


# Every method that reads or changes the content. Comparisons with a plain dict on the
# left reach `__eq__` here too (a subclass's reflected method goes first), and `dict(d)`,
# `{**d}`, `other.update(d)` ask `keys()` (the class has its own `__iter__`).
for _name in ("__getitem__", "__contains__", "__iter__", "__len__", "__reversed__", "__repr__", "__eq__",
              "__ne__", "__or__", "__ror__", "__ior__", "__setitem__", "__delitem__", "get", "keys", "items",
              "values", "copy", "pop", "popitem", "setdefault", "update", "clear"):
    setattr(LazyPartDict, _name, _filling(_name))


def _reduce_lazy(self: LazyPartDict, protocol: int = 2) -> Tuple[object, ...]:
    """Pickled by any other pickler (a worker's job), a part is a plain dict with its content."""
    self._fill()
    return (dict, (), None, None, iter(dict.items(self)))


LazyPartDict.__reduce_ex__ = _reduce_lazy  # type: ignore[assignment]


# -- tables split by module --------------------------------------------------------------------
# A class registered with `kept_by_module` (the function summaries: 18,700 on the 2,491-file
# project, of which a one-file run reads those of a few modules) is pickled by a kept index
# as what its function returns: a reduction whose arguments hold `PartDict`s, one per module.
_SPLITTERS: Dict[type, Callable[[Any], Tuple[object, ...]]] = {}


def kept_by_module(kind: type, split: Callable[[Any], Tuple[object, ...]]) -> None:
    """Pickle the instances of `kind` in a kept index as `split(instance)` (a `__reduce__`
    value) instead of whole."""
    _SPLITTERS[kind] = split


def splitter(kind: type) -> Optional[Callable[[Any], Tuple[object, ...]]]:
    return _SPLITTERS.get(kind)
