"""Function summaries over the whole project, computed bottom-up over its call graph.

Each module's `facts` (see `facts.py`) say what a function does with the sessions it
can reach; here calls are resolved across modules (imports, re-exports, classes and their
bases, `self.method()`), and what a callee does is carried back to its callers until
nothing changes:

- `commits`: the sessions the function may commit (a caller's pending work is then not
  certainly lost, and a failed commit inside it is the caller's error to recover from);
- `pending`: the sessions it adds to, deletes from or merges into and never commits nor
  rolls back: work that is the caller's to commit;
- `escapes`: sessions it hands to code we cannot see (nothing certain follows);
- `returns_none` / `returns_rows`: it returns a query result that is None when no row
  matches, or the loaded rows of a query;
- `raises_db`: it commits or flushes, so a database error can come out of it;
- `entry`: a request handler, a command or a job: nothing commits the application's
  session after it returns.

A session is named by slot: ``ambient`` (the application's `db.session` / scoped session /
module-level session), ``p:<param>`` or ``m:<attribute of self>``.

Which modules the summaries are about (the project's *relevant* modules; `OutsideModules`
holds the others):

- those whose text shows it by itself (`project_index.is_relevant_text`: SQLAlchemy's
  evidence `sqlalchemy` / `sqlmodel` / `.query`, what only a mapped class declares
  (`__tablename__`, `relationship(`, `ForeignKey(`, `query_property`), or a session named
  in code (`session.add(`, `self.session,`, `def f(session=None)`, `Session(`): `facts.py`
  reads them at once;
- those that import a name of a project session factory (`ProjectIndex._settle`: the lint
  gate's own test);
- and, closed over until nothing changes: a module a relevant function passes a session
  into (`helper(db.session)` resolved to it); a module that imports a name
  `_names_that_matter` gives (a function whose summary says anything to a caller or to the
  lint gate, a lookup helper, a decorator that commits, a function returning what one of
  those returns, a class with a query attribute or a query-returning metaclass, a model
  class and its subclasses, and the names of the modules and packages that hold them:
  `import app.crud` then `crud.save(...)`), or calls a method of such a name (`user.reset(`:
  a unique method name resolves a call on any receiver); a module whose decorator a relevant
  function uses, when that module spells `commit`. Which names a module imports or calls is
  read from its scan (`project_index.reached_names`), so deciding this reads no file.

A module outside is still a module of the project: imports resolve to it and through it
(`resolve`, `class_of`), with the facts `facts.inert_facts` keeps of it (its imports, classes,
functions and their parameters, the jobs it queues of its own functions, nothing about
sessions), read from its file when an answer first reaches it (and only then: a call that
passes no session is resolved only if a function of the name it calls says something); its
functions' summaries say nothing but whether they are entries. It is never iterated: no
caller, job of another module, method name, mapped class or evidence name comes from it. On
the standard library (970 files) that leaves 8 relevant modules instead of 757 with facts.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from .kept_parts import PartDict, as_part, kept_by_module, module_part
from .newer_syntax import module_text

AMBIENT = "ambient"
FunctionKey = Tuple[str, str]  # (file path, "name" or "Class.method")
ModuleFiles = Callable[[str, str, int], List[str]]  # (importer, module, level) -> candidate files
AmbientTest = Callable[[str, str], bool]  # (file path, dotted expression) -> is the ambient session
_VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "dispatch_request"})
_VIEW_BASES = frozenset({"MethodView", "View", "Resource"})
# Names too common to resolve by name alone on a receiver of unknown type.
_GENERIC_METHODS = frozenset("""get post put patch delete save create update add remove commit
run execute close open start stop send load dump read write process handle validate clear reset
set append extend insert pop copy items keys values to_dict from_dict serialize json""".split())
_MAX_ROUNDS = 12
_SAYS_NOTHING = (None, [], [], [], [], [], False, False, False, False, False, False, False, None, False, None)


@dataclass
class Summary:
    key: FunctionKey
    line: int
    params: Tuple[str, ...]
    entry: Optional[str] = None  # view | command | job
    commits: Set[str] = field(default_factory=set)
    pending: Set[str] = field(default_factory=set)
    escapes: Set[str] = field(default_factory=set)
    settles: Set[str] = field(default_factory=set)
    flushes: Set[str] = field(default_factory=set)  # sessions it flushes (a database error can come out)
    raises_db: bool = False
    returns_none: bool = False
    returns_rows: bool = False
    yields_session: bool = False
    commits_own: bool = False  # commits a session it made itself
    returns_query: bool = False  # returns a legacy Query (`return session.query(Model)`)
    refines: Optional[str] = None  # returns its parameter's query, refined (`return q.options(...)`)
    context_manager: bool = False  # decorated with @contextmanager / @asynccontextmanager
    returns_session: bool = False  # returns a new session it made (`return self._maker()`)
    # Returns an object it added to the caller's session and then committed: (the session's
    # slot, "expired" | "refreshed"); refreshed objects have their columns, not their lazy
    # relationships.
    returns_instance: Optional[Tuple[str, str]] = None
    instance_class: Optional[str] = None  # the class it built the object from, as written there
    calls_work: bool = False  # calls a project function that leaves work in a session it passes
    ambient_label: str = ""  # how the ambient session is written where this function reaches it
    # The lines of the work (add/delete/merge, or a call that leaves work) by slot.
    work_lines: Dict[str, List[int]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.key[1].rpartition(".")[2]


@dataclass(frozen=True)
class CallSite:
    caller: FunctionKey
    line: int
    commits_after: bool  # the caller commits the ambient session at a later line


def digest_of(raw: bytes) -> str:
    """What an outside module's scan records of its bytes: its facts, read later from the
    file, are used only when the file still holds these bytes."""
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


Reader = Callable[[str], bytes]  # a module's path (as the index was given it) -> its bytes


class OutsideModules:
    """The project's modules without SQLAlchemy relevance (see the module's docstring): where
    they are (resolved path -> the digest of the bytes scanned), the names each imports or
    calls as methods and whether it spells `commit` (all from its scan, so that deciding
    which become relevant reads no file), and what is read of them on demand: their facts
    (when the closure makes one relevant) and their inert facts (when an answer resolves a
    name through one). What was computed is kept (a kept index carries it to the next run
    over the same files)."""

    def __init__(self, digests: Dict[str, str], given: Optional[Dict[str, str]] = None,
                 known: Optional[Dict[str, dict]] = None, reaches: Optional[Dict[str, FrozenSet[str]]] = None,
                 committing: Optional[Set[str]] = None) -> None:
        self.digests = digests
        self.given = given or {}  # resolved path -> the path as the index was given it
        self.reaches: Dict[str, FrozenSet[str]] = reaches or {}
        self.committing: Set[str] = committing or set()
        self.read: Optional[Reader] = None  # the runner's reader while it builds (bytes in memory)
        self._full: Dict[str, Optional[dict]] = dict(known or {})
        self._inert: Dict[str, Optional[dict]] = {}
        self.on_facts: Optional[Callable[[str, dict], None]] = None  # told of facts computed here
        # The runner's way of reading many modules' facts at once (its scan workers): given
        # [(path, bytes)], {path: facts or None}; None when it would not pay.
        self.compute: Optional[Callable[[List[Tuple[str, bytes]]], Optional[Dict[str, Optional[dict]]]]] = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(read=None, on_facts=None, compute=None)
        state.pop("_commit_spellers", None)
        state.pop("_spelled", None)
        return state

    def __contains__(self, path: object) -> bool:
        return path in self.digests

    def without(self, path: str) -> "OutsideModules":
        """A copy that knows nothing of `path` (its file changed), sharing nothing mutable."""
        copied = OutsideModules({key: value for key, value in self.digests.items() if key != path},
                                {key: value for key, value in self.given.items() if key != path},
                                {key: value for key, value in self._full.items() if key != path and value is not None},
                                {key: value for key, value in self.reaches.items() if key != path},
                                self.committing - {path})
        copied._inert = {key: value for key, value in self._inert.items() if key != path}
        copied.read, copied.on_facts, copied.compute = self.read, self.on_facts, self.compute
        return copied

    def text(self, path: str) -> Optional[str]:
        """The module's text, when its file still holds the bytes scanned (None otherwise):
        read for each use (its facts, once computed, are kept; its text is not)."""
        raw: Optional[bytes] = None
        given = self.given.get(path, path)
        try:
            raw = self.read(given) if self.read is not None else _read(given)
        except OSError:
            raw = None
        if raw is not None and self.read is None and digest_of(raw) != self.digests.get(path):
            raw = None  # changed since it was scanned: as if it could not be read
        return module_text(raw) if raw is not None else None

    def full(self, path: str) -> Optional[dict]:
        """The module's facts, as `facts.scan_facts` reads any relevant module (None when it
        cannot be read or parsed)."""
        if path not in self._full:
            from .facts import scan_facts

            text = self.text(path)
            found = as_part(scan_facts(text)) if text is not None else None
            self._full[path] = found
            if found is not None and self.on_facts is not None:
                self.on_facts(path, found)
        return self._full[path]

    def prefetch(self, paths: Sequence[str]) -> None:
        """Read the facts of the modules `paths` (about to become relevant) together, with
        `compute` when there is one: the closure makes modules relevant in waves."""
        todo = [path for path in paths if path not in self._full and path in self.digests]
        if self.compute is None or len(todo) < 4:
            return
        items: List[Tuple[str, bytes]] = []
        for path in todo:
            given = self.given.get(path, path)
            try:
                raw = self.read(given) if self.read is not None else _read(given)
            except OSError:
                continue
            if self.read is None and digest_of(raw) != self.digests.get(path):
                continue
            items.append((path, raw))
        found = self.compute(items)
        for path, module in (found or {}).items():
            if path in self._full:
                continue
            module = as_part(module)
            self._full[path] = module
            if module is not None and self.on_facts is not None:
                self.on_facts(path, module)

    def inert(self, path: str) -> Optional[dict]:
        """Its facts as an outside module's (`facts.inert_facts`): read without the walk the
        session facts need, unless its facts are known."""
        if path not in self._inert:
            from .facts import inert_facts, structure_facts

            full = self._full.get(path)
            if full is not None:
                self._inert[path] = inert_facts(full)
            else:
                text = self.text(path)
                self._inert[path] = structure_facts(text) if text is not None else None
        return self._inert[path]

    def reaching(self, names: Iterable[str], skip: Iterable[str]) -> List[str]:
        """The outside modules (not in `skip`) that import one of `names` (a word after an
        `import` keyword) or call a method of that name (`project_index.reached_names`), in
        a stable order."""
        wanted = frozenset(name for name in names if name)
        skipped = frozenset(skip)
        if not wanted:
            return []
        return [path for path in sorted(self.digests)
                if path not in skipped and not wanted.isdisjoint(self.reaches.get(path, ()))]

    def spelled_with_commit(self, names: Iterable[str]) -> bool:
        """Does an outside module that spells `commit` spell one of `names` too (can a
        decorator of that name be one whose wrapper commits)?"""
        spellers = self.__dict__.get("_commit_spellers")
        if spellers is None:
            spellers = self.__dict__["_commit_spellers"] = [
                text for text in (self.text(path) for path in sorted(self.committing)) if text]
        known = self.__dict__.setdefault("_spelled", {})
        for name in names:
            if name not in known:
                known[name] = any(_spells(text, name) for text in spellers)
            if known[name]:
                return True
        return False

    def release(self) -> None:
        """Forget the texts read (the closure is done; facts are kept)."""
        self.__dict__.pop("_commit_spellers", None)
        self.__dict__.pop("_spelled", None)


def _spells(text: str, name: str) -> bool:
    """`name` is a word of `text` (not a part of a longer identifier)."""
    at = text.find(name)
    end = len(name)
    while at != -1:
        before = text[at - 1] if at else " "
        after = text[at + end] if at + end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        at = text.find(name, at + 1)
    return False


def _read(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


class ProjectFacts(Dict[str, dict]):
    """The relevant modules' facts by path (what iterating gives), and, asked for by path,
    the inert facts of an outside module (read on demand, never iterated)."""

    outside: Optional[OutsideModules] = None

    def __init__(self, facts: Dict[str, dict], outside: Optional[OutsideModules] = None) -> None:
        super().__init__(facts)
        self.outside = outside

    def _outside_facts(self, key: object) -> Optional[dict]:
        outside = self.outside
        if outside is None or not isinstance(key, str) or key not in outside.digests:
            return None
        return outside.inert(key)

    def get(self, key, default=None):  # type: ignore[no-untyped-def,override]
        found = dict.get(self, key)
        if found is None:
            found = self._outside_facts(key)
        return default if found is None else found

    def __getitem__(self, key: str) -> dict:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            found = self._outside_facts(key)
            if found is None:
                raise
            return found

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._outside_facts(key) is not None

    def relevant(self, key: object) -> bool:
        return dict.__contains__(self, key)

    def copy(self) -> "ProjectFacts":  # type: ignore[override]
        return ProjectFacts(self, self.outside)


class _Summaries(Dict[FunctionKey, Summary]):
    """The relevant modules' function summaries (what iterating gives), and, asked for by
    key, the summary of a function of an outside module: it says nothing."""

    owner: Optional["ProjectSummaries"] = None

    def __init__(self, owner: "ProjectSummaries", summaries: Optional[Dict[FunctionKey, Summary]] = None) -> None:
        super().__init__(summaries or {})
        self.owner = owner

    def get(self, key, default=None):  # type: ignore[no-untyped-def,override]
        found = self.own(key)
        if found is None and self.owner is not None:
            found = self.owner._outside_summary(key)
        return default if found is None else found

    def __getitem__(self, key: FunctionKey) -> Summary:
        found = self.own(key)
        if found is None and self.owner is not None:
            found = self.owner._outside_summary(key)
        if found is None:
            raise KeyError(key)
        return found

    def own(self, key: FunctionKey) -> Optional[Summary]:
        """The summary of a function of a relevant module; None for any other."""
        return dict.get(self, key)

    def whole(self) -> "_Summaries":
        """Itself, every summary in its storage (what C code reading a dict sees)."""
        return self

    def for_owner(self, owner: "ProjectSummaries") -> "_Summaries":
        """A copy answering for `owner` (a renumbered copy of the summaries)."""
        return _Summaries(owner, self)


class _KeptSummaries(_Summaries):
    """The summaries of a kept index: its storage holds what this process set, and
    `_modules` (path -> a part of qualname -> summary, shared with renumbered copies) the
    rest, each module's unpickled when a summary of it is first asked for (a one-file run
    reads those of a few modules of 18,700 summaries). Anything but asking by key reads
    every module first and turns it into a plain `_Summaries`."""

    _modules: Dict[str, Dict[str, Summary]]

    def own(self, key: FunctionKey) -> Optional[Summary]:
        found = dict.get(self, key)
        if found is None:
            module = self.__dict__["_modules"].get(key[0]) if type(key) is tuple and key else None
            if module is not None:
                found = module.get(key[1])
        return found

    def __contains__(self, key: object) -> bool:
        return self.own(key) is not None  # type: ignore[arg-type]

    def whole(self) -> _Summaries:
        modules = self.__dict__.pop("_modules")
        mine = dict(dict.items(self))
        every: Dict[FunctionKey, Summary] = {}
        for path, module in modules.items():  # the order they were kept in: by module
            for qualname, summary in module.items():
                key = (path, qualname)
                every[key] = mine.pop(key, summary)
        every.update(mine)
        dict.clear(self)
        dict.update(self, every)
        self.__class__ = _Summaries
        return self

    def for_owner(self, owner: "ProjectSummaries") -> _Summaries:
        copied = _KeptSummaries(owner, dict(dict.items(self)))
        copied.__dict__["_modules"] = self.__dict__["_modules"]
        return copied

    def __reduce_ex__(self, protocol):  # type: ignore[no-untyped-def,override]
        return self.whole().__reduce_ex__(protocol)  # another pickler's (a worker's job)


def _whole_first(name: str) -> Callable[..., object]:
    def method(self: _KeptSummaries, *args: object, **kwargs: object) -> object:
        return getattr(self.whole(), name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


# `dict(d)`, `{**d}`, `other.update(d)` ask `keys()` (the class has its own `__iter__`).
for _name in ("__iter__", "__len__", "__reversed__", "__repr__", "__eq__", "__ne__", "__or__", "__ror__", "__ior__",
              "__delitem__", "keys", "items", "values", "copy", "pop", "popitem", "setdefault", "update", "clear"):
    setattr(_KeptSummaries, _name, _whole_first(_name))


def _kept_summaries(owner: Optional["ProjectSummaries"], modules: Dict[str, Dict[str, Summary]]) -> _KeptSummaries:
    summaries = _KeptSummaries.__new__(_KeptSummaries)
    summaries.__dict__.update(owner=owner, _modules=modules)
    return summaries


def _split_summaries(summaries: _Summaries) -> Tuple[object, ...]:
    """How a kept index pickles the summaries: one part per module, those this process never
    read as the bytes they came from. Read whole, they come back in the order they had: the
    table is made module by module (`_add_modules`, `_in_order`)."""
    modules: Dict[str, Dict[str, Summary]] = dict(summaries.__dict__.get("_modules", {}))
    copied: Set[str] = set()
    for (path, qualname), summary in dict.items(summaries):
        if path not in copied:
            copied.add(path)
            modules[path] = PartDict(modules.get(path, {}))
        modules[path][qualname] = summary
    return _kept_summaries, (summaries.owner, modules)


kept_by_module(_Summaries, _split_summaries)
kept_by_module(_KeptSummaries, _split_summaries)


class ProjectSummaries:
    def __init__(self, facts: Dict[str, dict], module_files: ModuleFiles, is_ambient: AmbientTest,
                 outside: Optional[OutsideModules] = None, order: Optional[Dict[str, int]] = None) -> None:
        self.facts = facts if isinstance(facts, ProjectFacts) else ProjectFacts(facts, outside)
        if outside is not None:
            self.facts.outside = outside
        self.outside = self.facts.outside
        self.module_files = module_files
        self.is_ambient = is_ambient
        self.summaries: Dict[FunctionKey, Summary] = _Summaries(self)
        self._outside_summaries: Dict[FunctionKey, Optional[Summary]] = {}
        self.promoted: List[str] = []  # outside modules the closure made relevant, in order
        # The place of each module among the files the project was given: relevant modules are
        # summarised (and their callers listed) in that order, whenever they became relevant.
        self.order = order
        # The large tables are parts of a kept index (`kept_parts`), loaded if a run asks
        # them; the resolutions one per module, so that a run loads those of the modules it
        # resolves calls in.
        self._resolved: Dict[str, Dict[Tuple[str, str], Optional[FunctionKey]]] = {}
        self._by_method: Dict[str, List[FunctionKey]] = PartDict()
        self._callers: Optional[Dict[FunctionKey, List[CallSite]]] = None
        self._lost: Dict[FunctionKey, bool] = {}
        self._instance_returners: Optional[FrozenSet[str]] = None
        self._compute()

    def with_lines_moved(self, moved: Dict[str, Tuple[dict, Dict[int, int]]], module_files: ModuleFiles,
                         is_ambient: AmbientTest) -> "ProjectSummaries":
        """These summaries after edits that only moved lines (see
        `ProjectIndex.with_lines_moved`): `moved` maps a module's path to its new facts and
        its old line -> new line. Its functions' summaries and the call sites in it are
        renumbered; everything else is shared (no answer here depends on a line number but
        through these copies and comparisons of two lines of one function, which the
        renumbering keeps in order)."""
        changed = ProjectSummaries.__new__(ProjectSummaries)
        changed.__dict__.update(self.__dict__)
        changed.module_files, changed.is_ambient = module_files, is_ambient
        changed.facts = self.facts.copy()  # type: ignore[attr-defined]
        changed.summaries = self.summaries.for_owner(changed)
        for path, (facts, lines) in moved.items():
            changed.facts[path] = facts
            for qualname in facts["functions"]:
                summary = self.summaries.get((path, qualname))
                if summary is not None:
                    changed.summaries[(path, qualname)] = replace(
                        summary, line=lines[summary.line],
                        work_lines={slot: [lines[line] for line in found] for slot, found in summary.work_lines.items()})
        if self._callers is not None:
            # The call sites are renumbered when asked (`callers`): the table of every call in
            # the project is shared, not read (a kept index loads it only if a run asks).
            renumbered = {path: dict(lines) for path, lines in self.__dict__.get("_callers_moved", {}).items()}
            for path, (_, lines) in moved.items():
                before = renumbered.get(path)
                renumbered[path] = dict(lines) if before is None else {
                    line: lines[now] for line, now in before.items()}
            changed.__dict__["_callers_moved"] = renumbered
        classes = self.__dict__.get("_mapped_classes")
        if classes is not None:  # its answers hold no line: kept, reading the new facts
            classes = copy.copy(classes)
            classes.summaries, classes.facts = changed, changed.facts
            changed.__dict__["_mapped_classes"] = classes
        return changed

    # -- resolution -------------------------------------------------------------------------
    def function(self, path: str, qualname: str) -> Optional[Summary]:
        return self.summaries.get((path, qualname))

    def resolve(self, path: str, caller: str, callee: str) -> Optional[FunctionKey]:
        """The project function that `callee` (a dotted call target written in `caller`'s
        body, in module `path`) runs; None when it is not certain."""
        known = module_part(self._resolved, path)
        key = (caller, callee)
        if key not in known:
            known[key] = self._resolve(path, caller, callee)
        return known[key]

    def _resolve(self, path: str, caller: str, callee: str) -> Optional[FunctionKey]:
        parts = callee.split(".")
        module = self.facts.get(path)
        if module is None:
            return None
        if parts[0] in ("self", "cls") and "." in caller and len(parts) == 2:
            return self.method(path, caller.split(".")[0], parts[1])
        return self._resolve_in_module(path, parts, depth=0)

    def _resolve_in_module(self, path: str, parts: Sequence[str], depth: int) -> Optional[FunctionKey]:
        module = self.facts.get(path)
        if module is None or depth > 5 or not parts:
            return None
        head, rest = parts[0], list(parts[1:])
        functions: dict = module["functions"]
        classes: dict = module["classes"]
        if not rest and head in functions:
            return (path, head)
        if head in classes:
            return self.method(path, head, rest[0]) if len(rest) == 1 else None
        imported = module["imports"].get(head)
        if imported is None:
            if rest and path.endswith("__init__.py"):
                # `from pycroft import lib` then `lib.logging.log_event()`: a submodule of the package.
                for file in self.module_files(path, head, 1):
                    if file in self.facts:
                        return self._resolve_in_module(file, rest, depth + 1)
            return None
        target_module, name, level = imported
        if name is None:
            # `import a.b as head` / `import a`: the rest walks submodules, then a symbol.
            dotted_module = target_module
            for index in range(len(rest) + 1):
                files = self.module_files(path, dotted_module, 0)
                if len(files) == 1 and index < len(rest):
                    found = self._resolve_in_module(files[0], rest[index:], depth + 1)
                    if found is not None:
                        return found
                if index < len(rest):
                    dotted_module = f"{dotted_module}.{rest[index]}"
            return None
        for file in self.module_files(path, target_module, level):
            if file in self.facts:
                found = self._resolve_in_module(file, [name, *rest], depth + 1)
                if found is not None:
                    return found
        # `from pkg import module` then `module.function()`.
        if rest:
            submodule = f"{target_module}.{name}" if target_module else name
            for file in self.module_files(path, submodule, level):
                if file in self.facts:
                    return self._resolve_in_module(file, rest, depth + 1)
        return None

    def method(self, path: str, cls: str, name: str, depth: int = 0) -> Optional[FunctionKey]:
        """`cls.name` looked up through the class's bases across modules."""
        module = self.facts.get(path)
        if module is None or depth > 6:
            return None
        info = module["classes"].get(cls)
        if info is None:
            return None
        if name in info["methods"]:
            return (path, f"{cls}.{name}")
        for base in info["bases"]:
            found_class = self.class_of(path, base)
            if found_class is not None:
                found = self.method(found_class[0], found_class[1], name, depth + 1)
                if found is not None:
                    return found
        return None

    def class_of(self, path: str, dotted: str, depth: int = 0) -> Optional[Tuple[str, str]]:
        """The project class `dotted` names in module `path`."""
        module = self.facts.get(path)
        if module is None or depth > 5:
            return None
        parts = dotted.split(".")
        if len(parts) == 1 and parts[0] in module["classes"]:
            return (path, parts[0])
        imported = module["imports"].get(parts[0])
        if imported is None:
            return None
        target_module, name, level = imported
        if name is None:
            files = self.module_files(path, ".".join([target_module, *parts[1:-1]]), 0)
            return self.class_of(files[0], parts[-1], depth + 1) if len(files) == 1 and len(parts) > 1 else None
        for file in self.module_files(path, target_module, level):
            if file in self.facts:
                found = self.class_of(file, ".".join([name, *parts[1:]]), depth + 1)
                if found is not None:
                    return found
        return None

    def instance_returners(self) -> FrozenSet[str]:
        """Last names of the functions whose summary has `returns_instance`."""
        if self._instance_returners is None:
            self._instance_returners = frozenset(
                key[1].rpartition(".")[2] for key, summary in self.summaries.items() if summary.returns_instance)
        return self._instance_returners

    def session_wrapper(self, path: str, dotted: str) -> Optional[str]:
        """"commits"/"plain" when `dotted` (written in module `path`) names a project class
        whose `__enter__` returns a session it made (`with GetDB() as db:`), through its
        bases; None otherwise."""
        found = self.class_of(path, dotted)
        seen: Set[Tuple[str, str]] = set()
        while found is not None and found not in seen and len(seen) < 8:
            seen.add(found)
            info = self.facts.get(found[0], {}).get("classes", {}).get(found[1], {})
            if info.get("session_wrapper"):
                return info["session_wrapper"]
            if "__enter__" in info.get("methods", ()) or "__aenter__" in info.get("methods", ()):
                return None
            found = next((base for base in (self.class_of(found[0], name) for name in info.get("bases", ()))
                          if base is not None), None)
        return None

    def has_query_property(self, path: str, dotted: str) -> bool:
        """`dotted` (written in module `path`) names a project class that has, or inherits,
        `query = session.query_property()`."""
        found = self.class_of(path, dotted)
        seen: Set[Tuple[str, str]] = set()
        while found is not None and found not in seen and len(seen) < 8:
            seen.add(found)
            file, cls = found
            module = self.facts.get(file, {})
            if cls in module.get("query_property", ()):
                return True
            bases = module.get("classes", {}).get(cls, {}).get("bases", [])
            # `Base = declarative_base(); Base.query = ...`: a base that is no class statement.
            if any(base in module.get("query_property", ()) for base in bases):
                return True
            # The first base that is a project class (mixins rarely carry the query).
            found = next((base for base in (self.class_of(file, name) for name in bases) if base is not None), None)
        return False

    def bases_of(self, path: str, cls: str, depth: int = 0) -> Iterator[str]:
        """The names of every base class, through project classes (their last names)."""
        module = self.facts.get(path)
        if module is None or depth > 6 or cls not in module["classes"]:
            return
        for base in module["classes"][cls]["bases"]:
            yield base.rpartition(".")[2]
            found = self.class_of(path, base)
            if found is not None:
                yield from self.bases_of(found[0], found[1], depth + 1)

    # -- summaries --------------------------------------------------------------------------
    def _compute(self) -> None:
        self._add_modules(list(self.facts))
        self._passed_into(list(self.facts))
        for summary in self.summaries.values():
            self._direct(summary)
        # The closure (see the module's docstring), first on what the functions say by
        # themselves (most of it: nothing is computed twice), then after the rounds, on what
        # they say through their callees: outside modules that reach a name that matters
        # become relevant, and the rounds go on from where they were. The resolution of every
        # call is the same either way (an outside module's inert facts keep its structure)
        # and an outside function's summary says nothing, so what the rounds reached is below
        # the fixed point with the new modules: going on from it reaches the summaries that
        # computing everything again would.
        self._close(rounds=False)
        self._in_order()
        self._jobs()
        self._rounds()
        self._close(rounds=True)
        for summary in self.summaries.values():
            settled = summary.commits | summary.settles
            summary.pending -= settled
            for slot in settled:
                summary.work_lines.pop(slot, None)
        for name in ("_calls_cache", "_names_by_module"):  # what the rounds and the closure needed
            self.__dict__.pop(name, None)
        self.instance_returners()  # read by a rule in every file: a kept index then reads no summary for it

    def _close(self, rounds: bool) -> None:
        outside = self.outside
        while outside is not None and len(self.promoted) < len(outside.digests):
            new = self._promote(outside.reaching(self._names_that_matter(), dict.keys(self.facts)))
            if not new and rounds:
                # Last, the lookup names of the mapped classes (`lookup_names`: classes with a
                # query attribute, classes derived from a lookup helper's class, through the
                # project's bases), which the evidence gate reads too: what it builds is kept.
                from .mapped_classes import lookup_names

                found = self.__dict__["_lookup_names"] = lookup_names(self)
                new = self._promote(outside.reaching(found, dict.keys(self.facts)))
                if new:  # built over fewer modules
                    self.__dict__.pop("_mapped_classes", None)
                    self.__dict__.pop("_lookup_names", None)
            if not new:
                break
            new += self._passed_into(new)
            for path in new:
                for qualname in self.facts[path]["functions"]:
                    self._direct(self.summaries[(path, qualname)])
            if rounds:
                self._in_order()
                self._jobs()
                self._rounds()

    def _in_order(self) -> None:
        """The relevant modules' facts and summaries in the order of `self.order`, as if the
        modules the closure made relevant had been relevant from the start (the rounds visit
        the summaries in that order; callers are listed in it)."""
        order = self.order
        if not order:
            return
        paths = sorted(dict.keys(self.facts), key=lambda path: order.get(path, len(order)))
        if paths == list(dict.keys(self.facts)):
            return
        facts = [(path, dict.__getitem__(self.facts, path)) for path in paths]
        dict.clear(self.facts)
        dict.update(self.facts, facts)
        summaries = [(key, dict.__getitem__(self.summaries.whole(), key)) for path, module in facts
                     for key in ((path, qualname) for qualname in module["functions"])]
        dict.clear(self.summaries)
        dict.update(self.summaries, summaries)

    def _written_names(self, path: str, callee: str) -> Tuple[str, ...]:
        """The names the function a call of `callee` (written in module `path`) runs may
        have: the last name written, or for a name the module imports, the imported one."""
        last = callee.rpartition(".")[2]
        if "." in callee:
            return (last,)  # `module.f()`, `Class.f()`, `self.f()`: resolved to a function named `f`
        imported = self.facts[path]["imports"].get(callee)
        if imported is None or imported[1] is None:
            return (last,)
        return (last, imported[1])

    def _calls_of(self, path: str, qualname: str, info: dict) -> List[Tuple[str, int, list, list, Optional[Tuple[str, ...]]]]:
        """A function's calls as `_through_calls` reads them in every round: (callee, line,
        arguments, flags, `_call_targets`), computed once."""
        known = self.__dict__.setdefault("_calls_cache", {})
        found = known.get((path, qualname))
        if found is None:
            found = known[(path, qualname)] = [
                (callee, line, arguments, flags, self._call_targets(path, callee))
                for callee, line, _, arguments, *flags in info["calls"]]
        return found

    def _may_run(self, path: str, callee: str, names: Set[str]) -> bool:
        """Can a call of `callee` in module `path` run a relevant function whose last name is
        in `names`?"""
        targets = self._call_targets(path, callee)
        return targets is None or any(name in names for name in targets)

    def _call_targets(self, path: str, callee: str) -> Optional[Tuple[str, ...]]:
        """The last names a function that a call of `callee` (in module `path`) runs can
        have; None when it cannot be told without resolving the call. A dotted call runs a
        function of its last name (`module.f()`, `Class.f()`, `self.f()`); an imported name
        runs the function it imports, unless a module on the way imports it under another
        name (`from .impl import g as f`: a relevant module that imports the name, or an
        outside one whose scan reached it)."""
        known = module_part(self.__dict__.setdefault("_call_targets_cache", {}), path)
        key = callee
        if key in known:
            return known[key]
        found: Optional[Tuple[str, ...]]
        if "." in callee:
            found = (callee.rpartition(".")[2],)
        else:
            imported = self.facts[path]["imports"].get(callee)
            if imported is None:
                found = (callee,)  # this module's own function, or nothing
            elif imported[1] is None:
                found = None
            else:
                module, name, level = imported
                outside = self.outside
                renamed = False
                for file in self.module_files(path, module, level):
                    if self.facts.relevant(file):  # type: ignore[attr-defined]
                        renamed = name in self.facts[file]["imports"]
                    else:
                        renamed = outside is not None and file in outside and name in outside.reaches.get(file, ())
                    if renamed:
                        break
                found = None if renamed else (name,)
        known[key] = found
        return found

    def _add_modules(self, paths: Sequence[str]) -> List[str]:
        """Summaries (not yet computed) for the functions of relevant modules."""
        names = self.__dict__.setdefault("_relevant_names", set())
        wrapping = self.__dict__.setdefault("_wrapping_names", set())
        self.__dict__.setdefault("_saying_names", set())
        for path in paths:
            module = self.facts[path]
            jobs = set(module.get("jobs", ()))
            names.update(qualname.rpartition(".")[2] for qualname in module["functions"])
            wrapping.update(qualname.rpartition(".")[2] for qualname, info in module["functions"].items()
                            if info.get("wraps_commit"))
            for qualname, info in module["functions"].items():
                summary = Summary((path, qualname), info["line"], tuple(info["params"]))
                summary.entry = self._entry(path, qualname, info, jobs)
                summary.yields_session = bool(info.get("yields_session"))
                summary.commits_own = bool(info.get("commits_local"))
                summary.context_manager = any(name.rpartition(".")[2] in ("contextmanager", "asynccontextmanager")
                                              for name in info.get("decorators", ()))
                self.summaries[(path, qualname)] = summary
                self._outside_summaries.pop((path, qualname), None)
                if "." in qualname and "<locals>" not in qualname:
                    self._by_method.setdefault(qualname.rpartition(".")[2], []).append((path, qualname))
        return list(paths)

    def _jobs(self) -> None:
        """Jobs named in another module: `queue.enqueue(tasks.refresh)` (only relevant
        functions are entries this way: an outside function's summary says nothing)."""
        for path, module in self.facts.items():
            for job in module.get("jobs", ()):
                key = self.resolve(path, "", job) if self._may_run(path, job, self._relevant_names) else None
                if key is not None and key[0] != path and self.summaries.own(key) is not None \
                        and self.summaries[key].entry is None:
                    self.summaries[key].entry = "job"

    def _rounds(self) -> None:
        self.__dict__.pop("_names_by_module", None)  # the summaries change
        for _ in range(_MAX_ROUNDS):
            if not any([self._through_calls(summary) for summary in list(self.summaries.values())]):
                break

    def _promote(self, paths: Sequence[str]) -> List[str]:
        """Make outside modules relevant: their facts read, their functions summarised."""
        outside = self.outside
        new: List[str] = []
        if outside is not None:
            outside.prefetch([path for path in paths if not self.facts.relevant(path)])  # type: ignore[attr-defined]
        for path in paths:
            if outside is None or self.facts.relevant(path):  # type: ignore[attr-defined]
                continue
            module = outside.full(path)
            if module is None:
                continue  # cannot be read or parsed: stays outside
            dict.__setitem__(self.facts, path, module)
            self.promoted.append(path)
            new.append(path)
        return self._add_modules(new)

    def _passed_into(self, paths: Sequence[str]) -> List[str]:
        """The outside modules that relevant functions of `paths` pass a session into (and
        those that the functions of these pass one into), made relevant."""
        if self.outside is None:
            return []
        found: List[str] = []
        todo = list(paths)
        while todo:
            path = todo.pop(0)
            targets: List[str] = []
            for qualname, info in self.facts[path]["functions"].items():
                for callee, _, _, arguments, *_ in info["calls"]:
                    if not arguments or not any(self.normalise(path, slot) is not None for _, slot in arguments):
                        continue
                    target = self.resolve(path, qualname, callee)
                    if target is not None and target[0] in self.outside and not self.facts.relevant(target[0]) \
                            and target[0] not in targets:  # type: ignore[attr-defined]
                        targets.append(target[0])
                for decorator in info.get("decorators", ()):
                    # A decorator whose wrapper commits: only a module spelling `commit` has one
                    # (a name neither dotted nor imported is this module's, or nobody's).
                    if "." not in decorator and decorator not in self.facts[path]["imports"] or \
                            not self.outside.spelled_with_commit(self._written_names(path, decorator)):
                        continue
                    target = self.resolve(path, "", decorator)
                    if target is not None and target[0] in self.outside and not self.facts.relevant(target[0]) \
                            and target[0] not in targets and "commit" in (self.outside.text(target[0]) or ""):
                        targets.append(target[0])  # type: ignore[attr-defined]
            new = self._promote(targets)
            found += new
            todo += new
        return found

    def _names_that_matter(self) -> Set[str]:
        """The names a module must not reach to stay outside: the functions (and their
        classes) whose summaries say something to a caller or to the evidence gate, lookup
        helpers, decorators that commit, functions that return what such a function returns,
        classes with a query attribute or a query-returning metaclass, model classes and
        their subclasses, and the modules (and packages) that hold them. Each module's part
        is kept until the summaries change (`_rounds`)."""
        known = self.__dict__.setdefault("_names_by_module", {})
        names: Set[str] = set()
        returning: List[Tuple[str, str, List[str]]] = []
        for path, module in self.facts.items():
            found = known.get(path)
            if found is None:
                found = known[path] = self._module_names_that_matter(path, module)
            names |= found[0]
            returning.extend(found[1])
        changed = True
        while changed and returning:  # `return find_build(pkg)`: a row of a known class, perhaps
            changed = False
            for item in list(returning):
                if any(name in names for name in item[2]):
                    names.update(item[1].split("."))
                    names.update(self._module_names(item[0]))
                    returning.remove(item)
                    changed = True
        if names:
            # Subclasses, by a base's name (as `import_evidence.py` finds candidates; a
            # subclass through the project's bases is a lookup name: `_close` reads those).
            for _ in range(4):
                added = False
                for module in self.facts.values():
                    for name, info in module.get("classes", {}).items():
                        if name not in names and any(base.rpartition(".")[2] in names for base in info.get("bases", ())):
                            names.add(name)
                            added = True
                if not added:
                    break
        names.discard("<locals>")
        return names

    def _module_names_that_matter(self, path: str, module: dict) -> Tuple[Set[str], List[Tuple[str, str, List[str]]]]:
        """One module's part of `_names_that_matter`, and its functions that return a call
        (which matter when the function they call does)."""
        from .mapped_classes import ORM_DECLARATIONS, module_name

        names: Set[str] = set()
        returning: List[Tuple[str, str, List[str]]] = []
        says = False
        for qualname, info in module["functions"].items():
            summary = self.summaries.own((path, qualname))
            if summary is None:
                continue
            if (summary.commits or summary.pending or summary.flushes or summary.settles or summary.raises_db
                    or summary.returns_none or summary.returns_rows or summary.returns_query
                    or summary.returns_session or summary.yields_session or summary.refines is not None
                    or summary.returns_instance or summary.calls_work or info.get("wraps_commit")
                    or info.get("picks") or info.get("rows_entity") or info.get("row_entity")
                    or info.get("filled_rows") or info.get("page") or info.get("annotated_query")
                    or info.get("lookups")):
                names.update(qualname.split("."))
                says = True
            else:
                called = [kind[len("call:"):].rpartition(".")[2] for kind in info.get("returns", ())
                          if kind.startswith("call:")]
                if called:
                    returning.append((path, qualname, called))
        if says:  # `import app.crud` then `crud.save(...)`: the module's name, its packages'
            names.update(self._module_names(path))
        mapped = module.get("mapped") or {}
        for name, entry in mapped.get("classes", {}).items():
            if entry.get("query_attrs") or self._returns_queries(path, entry.get("meta")):
                names.add(name)  # `Model.q`: a lookup name (`lookup_names`)
            if any(entry.get(kind) for kind in ORM_DECLARATIONS):
                # A model class, and its module: importing either is evidence for the lint
                # gate (`import_evidence.py`), so such a module is linted.
                names.add(name)
                names.add(module_name(path))
        # `Base = declarative_base(metaclass=M)`, `Base.query = ...query_property()`.
        names.update(name for name, meta in mapped.get("metas", {}).items() if self._returns_queries(path, meta))
        names.update(module.get("query_property", ()))
        return names, returning

    def _returns_queries(self, path: str, meta: Optional[str]) -> bool:
        """The metaclass `meta` (as module `path` writes it) is a project class with a
        method that returns a query (`Model.q` as a metaclass property)."""
        found = self.class_of(path, meta) if meta else None
        if found is None:
            return False
        info = (self.facts.get(found[0]) or {}).get("classes", {}).get(found[1]) or {}
        return any(summary is not None and summary.returns_query for summary in (
            self.summaries.get((found[0], f"{found[1]}.{method}")) for method in info.get("methods", ())))

    def _module_names(self, path: str) -> List[str]:
        """The names another module imports to reach module `path`: its own (`import
        app.crud`, `from app import crud`) and its packages' (`from pkg import lib`, then
        `lib.logging.log_event()`)."""
        known = self.__dict__.setdefault("_module_names_cache", PartDict())
        if path in known:
            return known[path]
        from pathlib import PurePath

        from .mapped_classes import module_name

        found = known[path] = [module_name(path)]
        known = self.outside.digests if self.outside is not None else {}
        current = PurePath(path).parent
        if PurePath(path).name == "__init__.py":
            current = current.parent
        while True:
            marker = str(current / "__init__.py")
            if not (dict.__contains__(self.facts, marker) or marker in known) or current.name == "":
                break
            found.append(current.name)
            current = current.parent
        return found

    def _outside_summary(self, key: object) -> Optional[Summary]:
        """The summary of a function of an outside module (read on demand): it says nothing
        but where the function is, its parameters and whether it is an entry."""
        if not (isinstance(key, tuple) and len(key) == 2) or self.outside is None or key[0] not in self.outside \
                or self.facts.relevant(key[0]):  # type: ignore[attr-defined]
            return None
        if key in self._outside_summaries:
            return self._outside_summaries[key]
        self._outside_summaries[key] = None  # a cycle through bases proves nothing
        path, qualname = key
        module = self.facts.get(path) or {}
        info = module.get("functions", {}).get(qualname)
        summary: Optional[Summary] = None
        if info is not None:
            summary = Summary((path, qualname), info["line"], tuple(info["params"]))
            summary.entry = self._entry(path, qualname, info, set(module.get("jobs", ())))
            summary.context_manager = any(name.rpartition(".")[2] in ("contextmanager", "asynccontextmanager")
                                          for name in info.get("decorators", ()))
        self._outside_summaries[key] = summary
        return summary

    def _entry(self, path: str, qualname: str, info: dict, jobs: Set[str]) -> Optional[str]:
        if info.get("entry"):
            return info["entry"]
        if qualname in jobs:
            return "job"
        cls, _, name = qualname.rpartition(".")
        if cls and name in _VIEW_METHODS and any(base in _VIEW_BASES for base in self.bases_of(path, cls)):
            return "view"
        return None

    def normalise(self, path: str, slot: str) -> Optional[str]:
        kind, _, rest = slot.partition(":")
        if kind in ("p", "m"):
            return slot
        if kind == "g" and self.is_ambient(path, rest):
            return AMBIENT
        return None

    def _direct(self, summary: Summary) -> None:
        path, qualname = summary.key
        info = self.facts[path]["functions"][qualname]
        for slot, line in info["work"]:
            normal = self.normalise(path, slot)
            if normal == AMBIENT and not summary.ambient_label:
                summary.ambient_label = slot[2:]
            if normal is not None:
                summary.pending.add(normal)
                summary.work_lines.setdefault(normal, []).append(line)
        for slot in info["commits"]:
            normal = self.normalise(path, slot)
            if normal is not None:
                summary.commits.add(normal)
        for slot in info["settles"]:
            normal = self.normalise(path, slot)
            if normal is not None:
                summary.settles.add(normal)
        for slot in [*info["commits"], *info["flushes"]]:
            normal = self.normalise(path, slot)
            if normal is not None:
                summary.flushes.add(normal)
                if normal == AMBIENT and not summary.ambient_label:
                    summary.ambient_label = slot[2:]
        summary.raises_db = bool(summary.commits) or any(
            self.normalise(path, slot) is not None for slot in info["flushes"])
        for decorator in info.get("decorators", ()):
            # `@transactional` whose wrapper commits: the decorated function commits.
            target = self.resolve(path, "", decorator) if self._may_run(path, decorator, self._wrapping_names) \
                else None
            if target is not None and self.facts[target[0]]["functions"][target[1]].get("wraps_commit"):
                summary.commits.add(AMBIENT)
                summary.commits.update(f"p:{param}" for param in info.get("session_params", ()))
        returns = info["returns"]
        # A helper's None-able row counts for its callers where the helper says so
        # (`-> Optional[Room]`, `-> Room | None`): on the precision corpus, unannotated
        # lookups (`Model.get_by(...)`, `Task.get(id)`) were mostly of rows that exist by
        # the caller's invariant (a foreign key, a seeded type, a row just re-read).
        summary.returns_none = ("none" in returns or "none-by-key" in returns) and bool(info.get("returns_optional"))
        summary.returns_rows = "rows" in returns
        summary.returns_session = "session" in returns
        instance = info.get("returns_instance")
        summary.returns_instance = (instance[0], instance[1]) if instance else None
        summary.instance_class = instance[2] if instance and len(instance) > 2 else None
        summary.returns_query = "query" in returns
        refined = [item[len("refines:"):] for item in returns if item.startswith("refines:")]
        summary.refines = refined[0] if len(refined) == 1 and len(returns) == 1 else None
        self._note_saying(summary)

    def _note_saying(self, summary: Summary) -> None:
        """Keep the last names of the functions whose summary a call could carry to its
        caller without passing it a session (`_through_calls` resolves only calls of those,
        or calls that pass one): a function that says nothing adds nothing to its callers."""
        if (summary.commits or summary.flushes or summary.settles or summary.escapes or summary.pending
                or summary.raises_db or summary.returns_none or summary.returns_rows or summary.returns_query):
            self._saying_names.add(summary.name)

    def _through_calls(self, summary: Summary) -> bool:
        """Carry what the callees do back to `summary`; True when something was added."""
        path, qualname = summary.key
        info = self.facts[path]["functions"][qualname]
        before = (len(summary.commits), len(summary.flushes), len(summary.pending), len(summary.escapes), summary.raises_db,
                  summary.returns_none, summary.returns_rows, summary.returns_query)
        saying = self._saying_names
        for callee, line, arguments, flags, targets in self._calls_of(path, qualname, info):
            passed: Dict[object, str] = {}
            for where, slot in arguments:
                normal = self.normalise(path, slot)
                if normal is not None:
                    passed[where] = normal
            if not passed and targets is not None and not any(name in saying for name in targets):
                continue  # nothing passed, and no function it could run says anything: it adds nothing
            target = self.resolve(path, qualname, callee)
            if target is None:
                if passed and "commit-kw" in flags:
                    summary.commits.update(passed.values())  # it may commit what it is given
                elif passed and callee.rpartition(".")[2].startswith("add"):
                    # `Belief.add_to_session(session=db.session, ...)`: a library's way to add.
                    for slot in passed.values():
                        summary.pending.add(slot)
                        lines = summary.work_lines.setdefault(slot, [])
                        if line not in lines:
                            lines.append(line)
                    for slot in arguments:
                        if self.normalise(path, slot[1]) == AMBIENT and not summary.ambient_label:
                            summary.ambient_label = slot[1][2:]
                else:
                    summary.escapes.update(s for s in passed.values() if s != AMBIENT)
                continue
            other = self.summaries[target]
            through_self = callee.startswith(("self.", "cls."))
            mapping = self._parameter_map(other, passed, bound="." in target[1])

            def carried(slots: Set[str]) -> Set[str]:
                out: Set[str] = set()
                for slot in slots:
                    if slot == AMBIENT:
                        out.add(AMBIENT)
                    elif slot.startswith("m:") and through_self:
                        out.add(slot)
                    elif slot in mapping:
                        out.add(mapping[slot])
                return out

            summary.commits |= carried(other.commits)
            summary.flushes |= carried(other.flushes)
            if AMBIENT in other.flushes and not summary.ambient_label:
                summary.ambient_label = other.ambient_label
            summary.settles |= carried(other.settles)
            summary.escapes |= carried(other.escapes)
            added = carried(other.pending - other.commits - other.settles)
            summary.calls_work = summary.calls_work or bool(added)
            for slot in added:
                if slot not in summary.pending:
                    summary.pending.add(slot)
                summary.work_lines.setdefault(slot, [])
                if line not in summary.work_lines[slot]:
                    summary.work_lines[slot].append(line)
            summary.raises_db = summary.raises_db or other.raises_db
            if AMBIENT in added and not summary.ambient_label:
                summary.ambient_label = other.ambient_label
            if f"call:{callee}" in info["returns"]:
                summary.returns_none = summary.returns_none or (other.returns_none and bool(info.get("returns_optional")))
                summary.returns_rows = summary.returns_rows or other.returns_rows
                summary.returns_query = summary.returns_query or other.returns_query
        after = (len(summary.commits), len(summary.flushes), len(summary.pending), len(summary.escapes), summary.raises_db,
                 summary.returns_none, summary.returns_rows, summary.returns_query)
        if after != before:
            self._note_saying(summary)
        return after != before

    @staticmethod
    def _parameter_map(callee: Summary, passed: Dict[object, str], bound: bool) -> Dict[str, str]:
        """callee's `p:<param>` slot -> the caller's slot passed for it."""
        params = list(callee.params)
        if bound and params and params[0] in ("self", "cls"):
            params = params[1:]
        mapping: Dict[str, str] = {}
        for where, slot in passed.items():
            if isinstance(where, int):
                if where < len(params):
                    mapping[f"p:{params[where]}"] = slot
            elif where in params:
                mapping[f"p:{where}"] = slot
        return mapping

    # -- callers ----------------------------------------------------------------------------
    def unique_method(self, name: str) -> Optional[FunctionKey]:
        """The one project method of this name, when the name is specific enough to trust."""
        if name in _GENERIC_METHODS or name.startswith("__"):
            return None
        found = self._by_method.get(name, [])
        return found[0] if len(found) == 1 else None

    def callers(self, target: FunctionKey) -> List[CallSite]:
        """Every call of `target` in the project's code (tests left out: a test throws its
        transaction away on purpose): calls that resolve to it, and for a method whose name
        no other project class defines, `<something>.<name>(...)` on receivers we cannot type."""
        if self._callers is None:
            self._callers = self._all_callers()
            self.__dict__.pop("_callers_moved", None)  # found at the lines of these facts
        sites = self._callers.get(target, [])
        moved = self.__dict__.get("_callers_moved")  # old line -> line now, by module (`with_lines_moved`)
        if moved and sites:
            sites = [CallSite(site.caller, moved[site.caller[0]][site.line], site.commits_after)
                     if site.caller[0] in moved else site for site in sites]
        return sites

    def _all_callers(self) -> Dict[FunctionKey, List[CallSite]]:
        found: Dict[FunctionKey, List[CallSite]] = PartDict()
        for path, module in self.facts.items():
            if is_test_path(path):
                continue
            for qualname, info in module["functions"].items():
                if qualname.rpartition(".")[2].startswith("test"):
                    continue
                calls = info["calls"]
                for callee, line, *_ in calls:
                    # Callers matter of relevant functions only: a call that can run none is not
                    # resolved (no relevant method has its name, so none is its unique method).
                    target = self.resolve(path, qualname, callee) \
                        if self._may_run(path, callee, self._relevant_names) else None
                    if target is None and "." in callee:
                        target = self.unique_method(callee.rpartition(".")[2])
                    if target is None or target == (path, qualname):
                        continue
                    found.setdefault(target, []).append(
                        CallSite((path, qualname), line, self._commits_after(path, qualname, info, line)))
        return found

    def _commits_after(self, path: str, qualname: str, info: dict, line: int) -> bool:
        """The caller commits the application's session after the call (or anywhere, when
        it commits it itself: which path does is the caller's flow's business)."""
        if any(self.normalise(path, slot) == AMBIENT for slot in info["commits"]):
            return True
        return any(line < other_line and (other.rpartition(".")[2] in ("commit", "save")
                                          or self._commits_ambient(path, qualname, other))
                   for other, other_line, *_ in info["calls"])

    def lost(self, key: FunctionKey) -> bool:
        """The work `key` leaves in the application's session is never committed: it has
        callers, and every one is a view, command or job that does not commit after the
        call, or a function that does not commit either and whose own callers lose it."""
        if key not in self._lost:
            self._lost[key] = False  # a cycle of callers proves nothing
            self._lost[key] = self._find_lost(key)
        return self._lost[key]

    def _find_lost(self, key: FunctionKey) -> bool:
        summary = self.summaries[key]
        if AMBIENT not in summary.pending or summary.entry is not None:
            return False
        sites = self.callers(key)
        if not sites:
            return False
        for site in sites:
            caller = self.summaries[site.caller]
            if site.commits_after:
                return False
            if caller.entry is not None:
                continue
            if AMBIENT not in caller.pending or not self.lost(site.caller):
                return False
        return True

    def _commits_ambient(self, path: str, qualname: str, callee: str) -> bool:
        if not self._may_run(path, callee, self._saying_names):
            return False  # no function of the name it calls commits anything
        target = self.resolve(path, qualname, callee)
        return target is not None and AMBIENT in self.summaries[target].commits

    def evidence_names(self) -> Set[str]:
        """Names whose mention can matter to a rule: the functions, methods and classes
        whose summaries say they touch a session or return query results (a file that
        calls `log_event(...)` has a session's work in it as surely as one that calls
        `db.session.add(...)`). Computed once (the runner asks before the index is kept: a
        kept index then reads no summary for it)."""
        known = self.__dict__.get("_evidence_names")
        if known is None:
            known = self.__dict__["_evidence_names"] = frozenset(self._find_evidence_names())
        return set(known)

    def _find_evidence_names(self) -> Set[str]:
        names: Set[str] = set()
        for (_, qualname), summary in self.summaries.items():
            if (summary.pending or summary.commits or summary.flushes or summary.settles or summary.returns_none
                    or summary.returns_rows or summary.returns_query or summary.returns_session
                    or summary.yields_session or summary.refines is not None):
                names.update(qualname.split("."))
        from .mapped_classes import lookup_names  # `Mailbox.get(id)`, `seen.search(...)`: lookup helpers

        found = self.__dict__.get("_lookup_names")  # as the closure read them last
        names |= found if found is not None else lookup_names(self)
        # Names too short or too common to point at one function.
        return {name for name in names if len(name) > 3 and name not in _GENERIC_METHODS and not name.startswith("__")}

    def fingerprint_items(self) -> Iterator[Tuple[object, ...]]:
        """What the summaries can tell another file about a function: what a call of it
        does to sessions and returns, whether it is an entry that only another module can
        reveal (a queued job, a class-based view through its bases), and whether the work
        it leaves is lost by all its callers. A function that says none of this is left
        out, so that adding or editing one does not invalidate every cached result."""
        for key in sorted(self.summaries):
            summary = self.summaries[key]
            scope = summary.yields_session
            entry = summary.entry if summary.entry == "job" or "." in key[1] else None
            item = (entry, sorted(summary.commits), sorted(summary.flushes), sorted(summary.pending),
                    sorted(summary.escapes), sorted(summary.settles), summary.returns_none, summary.returns_rows,
                    scope, scope and summary.commits_own, scope and summary.context_manager, summary.returns_session,
                    summary.returns_query, summary.refines, AMBIENT in summary.pending and self.lost(key),
                    summary.returns_instance)
            if item != _SAYS_NOTHING:
                yield (key, *item)
        from .mapped_classes import fingerprint_items as mapped_items  # mapped classes (ORM30x)

        yield from mapped_items(self.facts, self)


def is_test_path(path: str) -> bool:
    """A test module, by its name or a `tests`/`test`/`testing` directory above it: the rule
    of `semantic.testcode.is_test_file`, for the index, which runs without libcst (that
    module imports it) and without the project root (the two nearest directories stand in).
    """
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            # The two nearest directories only: a checkout under `~/test/` is no test suite.
            or any(part in ("tests", "test", "testing") for part in parts[-3:-1]))
