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
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

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


class ProjectSummaries:
    def __init__(self, facts: Dict[str, dict], module_files: ModuleFiles, is_ambient: AmbientTest) -> None:
        self.facts = facts
        self.module_files = module_files
        self.is_ambient = is_ambient
        self.summaries: Dict[FunctionKey, Summary] = {}
        self._resolved: Dict[Tuple[str, str, str], Optional[FunctionKey]] = {}
        self._by_method: Dict[str, List[FunctionKey]] = {}
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
        changed.facts = dict(self.facts)
        changed.summaries = dict(self.summaries)
        for path, (facts, lines) in moved.items():
            changed.facts[path] = facts
            for qualname in facts["functions"]:
                summary = self.summaries.get((path, qualname))
                if summary is not None:
                    changed.summaries[(path, qualname)] = replace(
                        summary, line=lines[summary.line],
                        work_lines={slot: [lines[line] for line in found] for slot, found in summary.work_lines.items()})
        if self._callers is not None:
            changed._callers = {
                target: [CallSite(site.caller, moved[site.caller[0]][1][site.line], site.commits_after)
                         if site.caller[0] in moved else site for site in sites]
                for target, sites in self._callers.items()}
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
        key = (path, caller, callee)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(path, caller, callee)
        return self._resolved[key]

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
        for path, module in self.facts.items():
            jobs = set(module.get("jobs", ()))
            for qualname, info in module["functions"].items():
                summary = Summary((path, qualname), info["line"], tuple(info["params"]))
                summary.entry = self._entry(path, qualname, info, jobs)
                summary.yields_session = bool(info.get("yields_session"))
                summary.commits_own = bool(info.get("commits_local"))
                summary.context_manager = any(name.rpartition(".")[2] in ("contextmanager", "asynccontextmanager")
                                              for name in info.get("decorators", ()))
                self.summaries[(path, qualname)] = summary
                if "." in qualname and "<locals>" not in qualname:
                    self._by_method.setdefault(qualname.rpartition(".")[2], []).append((path, qualname))
        # Jobs named in another module: `queue.enqueue(tasks.refresh)`.
        for path, module in self.facts.items():
            for job in module.get("jobs", ()):
                key = self.resolve(path, "", job)
                if key is not None and key[0] != path and self.summaries[key].entry is None:
                    self.summaries[key].entry = "job"
        for summary in self.summaries.values():
            self._direct(summary)
        for _ in range(_MAX_ROUNDS):
            if not any([self._through_calls(summary) for summary in self.summaries.values()]):
                break
        for summary in self.summaries.values():
            settled = summary.commits | summary.settles
            summary.pending -= settled
            for slot in settled:
                summary.work_lines.pop(slot, None)

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
            target = self.resolve(path, "", decorator)
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

    def _through_calls(self, summary: Summary) -> bool:
        """Carry what the callees do back to `summary`; True when something was added."""
        path, qualname = summary.key
        info = self.facts[path]["functions"][qualname]
        before = (len(summary.commits), len(summary.flushes), len(summary.pending), len(summary.escapes), summary.raises_db,
                  summary.returns_none, summary.returns_rows, summary.returns_query)
        for callee, line, _, arguments, *flags in info["calls"]:
            target = self.resolve(path, qualname, callee)
            passed: Dict[object, str] = {}
            for where, slot in arguments:
                normal = self.normalise(path, slot)
                if normal is not None:
                    passed[where] = normal
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
        return self._callers.get(target, [])

    def _all_callers(self) -> Dict[FunctionKey, List[CallSite]]:
        found: Dict[FunctionKey, List[CallSite]] = {}
        for path, module in self.facts.items():
            if is_test_path(path):
                continue
            for qualname, info in module["functions"].items():
                if qualname.rpartition(".")[2].startswith("test"):
                    continue
                calls = info["calls"]
                for callee, line, *_ in calls:
                    target = self.resolve(path, qualname, callee)
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
        target = self.resolve(path, qualname, callee)
        return target is not None and AMBIENT in self.summaries[target].commits

    def evidence_names(self) -> Set[str]:
        """Names whose mention can matter to a rule: the functions, methods and classes
        whose summaries say they touch a session or return query results (a file that
        calls `log_event(...)` has a session's work in it as surely as one that calls
        `db.session.add(...)`)."""
        names: Set[str] = set()
        for (_, qualname), summary in self.summaries.items():
            if (summary.pending or summary.commits or summary.flushes or summary.settles or summary.returns_none
                    or summary.returns_rows or summary.returns_query or summary.returns_session
                    or summary.yields_session or summary.refines is not None):
                names.update(qualname.split("."))
        from .mapped_classes import lookup_names  # `Mailbox.get(id)`, `seen.search(...)`: lookup helpers

        names |= lookup_names(self)
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
