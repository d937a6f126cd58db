"""A cheap, parse-free pass over the linted files that records module-level session factories.

`from app.db import SessionLocal` in one module is only useful if we know, from another
module, that `SessionLocal = sessionmaker(engine)`. Parsing every file twice would double
the cost of a run, so this index reads the text with a regular expression: it only has to
recognise `NAME = [dotted.]callee(...)` at column 0 for a handful of callees, the keywords of
a later `NAME.configure(...)`, and module-level session-scope context managers
(`@contextmanager def session_scope(): ... yield session; session.commit()`).
"""
from __future__ import annotations

import hashlib
import keyword
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from .project.kept_parts import as_part, module_part
from .query_evidence import QUERY, spells_query
from .rule import SQLALCHEMY_EVIDENCE

if TYPE_CHECKING:
    from .project.summaries import OutsideModules, ProjectSummaries

_ASSIGNMENT = re.compile(
    r"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*((?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*))[ \t]*\(",
    re.MULTILINE,
)
_GLOBAL = re.compile(r"^[ \t]+global[ \t]+([A-Za-z_][\w \t,]*)$", re.MULTILINE)
_INDENTED_ASSIGNMENT = re.compile(
    r"^[ \t]+([A-Za-z_]\w*)[ \t]*=[ \t]*((?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*))[ \t]*\(", re.MULTILINE)
_KEYWORD = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*([^,()\s][^,()]*)")
_CONTEXT_MANAGER = re.compile(
    r"^@(?:contextlib\.)?(?:async)?contextmanager[ \t]*(?:#[^\n]*)?\n(?:@[^\n]*\n)*"
    r"(async[ \t]+)?def[ \t]+([A-Za-z_]\w*)",
    re.MULTILINE,
)
# A function body ends at the next line that starts in column 0 (closing brackets of a
# multi-line signature and comments aside).
_TOP_LEVEL_LINE = re.compile(r"^(?=[^\s#)\]}])", re.MULTILINE)
_YIELD_NAME = re.compile(r"\byield[ \t]+([A-Za-z_]\w*)[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
_SESSION_CLASSES = {"Session": False, "AsyncSession": True}
_SPREAD = re.compile(r"\*\*[ \t]*([A-Za-z_][\w.]*)")
# Keyword arguments as (name, source text) pairs, in the order they were written.
Options = Tuple[Tuple[str, str], ...]

# callee's last name -> factory kind
FACTORY_KINDS: Dict[str, str] = {
    "sessionmaker": "sessionmaker",
    "async_sessionmaker": "async_sessionmaker",
    "scoped_session": "scoped_session",
    "async_scoped_session": "scoped_session",
    "SQLAlchemy": "flask_sqlalchemy",
    "Session": "session",
    "AsyncSession": "async_session",
    # Not a factory: a Core table, whose columns (`users.c.name`) build SQL conditions.
    "Table": "table",
}
_MARKERS = ("sqlalchemy", "sqlmodel")
# A module whose text spells one of these (or names a session, `names_a_session`) gets its
# facts at once (`project/facts.py`): the evidence the lint gate requires
# (`rule.SQLALCHEMY_EVIDENCE`), and what only a mapped class declares (its models module may
# import `Column`, `relationship` from a project module). Any other module is outside the
# project's relevant modules unless the closure of `project/summaries.py` reaches it (it
# imports a factory's name or a name that matters, a session is passed into it); its bytes
# are only digested here, with the names it imports or calls as methods.
RELEVANCE_MARKERS: Tuple[str, ...] = ("__tablename__", "relationship(", "ForeignKey(", "query_property")
_RELEVANT = SQLALCHEMY_EVIDENCE + RELEVANCE_MARKERS
_RELEVANT_BUT_QUERY = tuple(marker for marker in _RELEVANT if marker != QUERY)
# A session by its name, in code rather than prose (mirroring what `project/facts.py` takes
# for one): a parameter or variable named like one used as such (`session.add(`, `session,`,
# `db_session=None`), a member (`self.session`, `db.session`, `self._sa_session`), a call
# that makes one (`Session(`, `SessionLocal(`, `get_session(`), a session type
# (`AsyncSession`, `scoped_session`). Prose ("an interactive session.") is none.
_SESSION_WORD = re.compile(r"[sS]ession")
_SESSION_VARIABLES = frozenset({"session", "db_session", "dbsession", "sa_session", "async_session", "orm_session",
                                "sql_session"})
_SESSION_MEMBERS = frozenset({"session", "_session", "db_session", "dbsession", "sa_session", "_db_session",
                              "_sa_session"})
_SESSION_TYPES = frozenset({"Session", "AsyncSession", "scoped_session", "async_scoped_session"})
_SESSION_MAKERS = ("Session", "_session", "SessionLocal", "session_maker")
_IDENTIFIER_REST = re.compile(r"\w*")
# Words that may stand before a name in code (`return session, user`, `lambda session:`),
# the soft keywords included (`case session, x:`).
_KEYWORDS_BEFORE = frozenset(keyword.kwlist) | frozenset(("match", "case", "type", "_", "print", "exec"))
# How far back on its line a name's context is read: a bound, so that a generated file with a
# long line of many `session`s costs no more than its length (a `#` further back is missed,
# which keeps the module relevant).
_LOOK_BACK = 200


def _in_prose(text: str, start: int, after: int) -> bool:
    """Is the name at `start` (followed by spaces up to `after`) in a comment or a sentence:
    after a `#` on its line with no quote before it (`# a tag for this session,`), after a
    word that no code puts before a name (`no previous EHLO command this session,`), or
    followed by a space and a bracket (`start_new_session (POSIX only)`)?"""
    window = max(0, start - _LOOK_BACK)
    line_start = text.rfind("\n", window, start) + 1 or window
    hash_at = text.find("#", line_start, start)
    if hash_at >= 0 and not any(quote in text[line_start:hash_at] for quote in "'\""):
        return True
    if after > start and text[after - 1] in " \t" and text[after:after + 1] == "(":
        return True
    end = start
    while end > line_start and text[end - 1] in " \t":
        end -= 1
    begin = end
    while begin > line_start and (text[begin - 1].isalnum() or text[begin - 1] == "_"):
        begin -= 1
    word = text[begin:end]
    return end < start and word != "" and word not in _KEYWORDS_BEFORE and not word.isdigit()


def names_a_session(text: str) -> bool:
    """Does the text name a session in code (see `_SESSION_WORD`'s comment)?"""
    size = len(text)
    for match in _SESSION_WORD.finditer(text):
        start = match.start()
        while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        end = _IDENTIFIER_REST.match(text, match.start()).end()  # type: ignore[union-attr]
        name = text[start:end]
        following = end
        while following < size and text[following] in " \t":
            following += 1
        after = text[following:following + 1]
        if _in_prose(text, start, following):
            continue
        if name in _SESSION_TYPES or (after == "(" and name.endswith(_SESSION_MAKERS)):
            return True
        if start and text[start - 1] == "." and name in _SESSION_MEMBERS:
            return True
        if name in _SESSION_VARIABLES and (after in (",", ")", "=", ":", "[", "]") and after != ""
                                           or after == "." and text[following + 1:following + 2].isidentifier()):
            return True
    return False


_WORDS = re.compile(r"\w+")
# What follows `import`: a parenthesised list (whose comments may hold a `)`), or the rest of
# the logical line (backslash continuations included). Every `import` counts, `from` or not,
# in code or in prose: a name too many only lets a file through.
_IMPORT_TAIL = re.compile(r"[ \t]*(\((?:[^)#]|#[^\n]*)*\)?|(?:[^\n\\]|\\\r?\n?)*)")


def is_relevant_text(text: str) -> bool:
    """Does a module's text make it relevant by itself (its facts read at once)? `.query`
    counts unless it is only ever a module path (`from idlelib.query import Query`: a module
    named `query` is no query, `query_evidence`). A bare `User.query` still counts: in a
    Flask-SQLAlchemy project the closure may not reach such a module otherwise (a helper
    returning `User.query...first()` whose model the facts do not take for a mapped class).
    (Two modules of the standard library, 113 KB, had their facts read for a module path.)"""
    if any(marker in text for marker in _RELEVANT_BUT_QUERY) or ("ession" in text and names_a_session(text)):
        return True
    return QUERY in text and spells_query(text, _bare_counts)


def _bare_counts() -> bool:
    return True


def unreadable_notice(shown: str, reason: str, others: int = 0) -> str:
    """The warning for a module left out of the project model because this Python's `ast`
    cannot read it (`ProjectIndex.unreadable_reason`), and for `others` more such modules."""
    more = f", and {others} more" if others else ""
    return (f"{shown}: left out of the project model: this Python ({sys.version_info[0]}.{sys.version_info[1]}) "
            f"cannot read it ({reason}){more}; findings in the files that use {'them' if others else 'it'} may "
            "be missed: run session-lint with the Python the code is written for")


_METHOD_CALL = re.compile(r"\.([A-Za-z_]\w*)\(")


def reached_names(text: str) -> List[str]:
    """The names by which a module can reach another module's function: every name it
    imports (`imported_words`) and every method it calls (`x.name(`: a unique method name
    resolves a call on a receiver of unknown type, `summaries.unique_method`)."""
    return sorted(set(imported_words(text)) | set(_METHOD_CALL.findall(text)))


def imported_words(text: str) -> List[str]:
    """`imported_names`, sorted."""
    return sorted(imported_names(text))


def imported_names(text: str) -> Set[str]:
    """Every identifier that follows an `import` keyword in `text` (modules, names, aliases
    alike): a superset of the names the module's import statements bring in (the evidence
    gate's `engine._TokenCheck`, the index's `reached_names`).

    What `\bimport\b` followed by `_IMPORT_TAIL` finds with `finditer`, found with `str.find`
    and the tail's expression anchored at each keyword (9x faster on 13,000 modules: the
    expression over the whole text was tried at every position). As there, a keyword inside
    the tail of another (`import (a  # import b)`) starts no tail of its own."""
    found: Set[str] = set()
    find, size = text.find, len(text)
    at = find("import")
    while at != -1:
        end = at + 6
        if (at == 0 or not _is_word(text[at - 1])) and (end == size or not _is_word(text[end])):
            tail = _IMPORT_TAIL.match(text, end)
            found.update(_WORDS.findall(tail.group(1)))  # type: ignore[union-attr]  # never None
            at = find("import", tail.end())  # type: ignore[union-attr]
        else:
            at = find("import", at + 1)
    return found


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"  # what `\w` matches
# A factory call as the first argument of another call, and the kinds taken through it.
_WRAPPED_FACTORY = re.compile(r"[ \t]*(?:[A-Za-z_]\w*\.)*(scoped_session|sessionmaker)[ \t]*\(")
_WRAPPED_KINDS = {"scoped_session": "scoped_session", "sessionmaker": "sessionmaker"}


class ModuleScan(Dict[str, "FactoryInfo"]):
    """What the index keeps of one file: its module-level factories by name (a dict, as the
    runner and the cache have always handled it), and the module's `ast` facts for the
    project's function summaries (`project/facts.py`; None when `ast` cannot read it). A
    module that spells no `RELEVANCE_MARKERS` has a `digest` of its bytes instead (it is
    outside unless the summaries' closure reaches it): its facts, when they are computed
    later, are kept here too (`facts`, with `digest` still set)."""

    facts: Optional[dict] = None
    digest: Optional[str] = None
    reaches: Optional[List[str]] = None  # an outside module's names of others' functions (`reached_names`)
    commits: bool = False  # an outside module's text spells `commit`
    # A relevant module this interpreter's `ast` cannot read (newer syntax): where it stops.
    unreadable: Optional[str] = None


@dataclass(frozen=True)
class FactoryInfo:
    """A module-level object that makes or is a session, as seen in its defining module."""

    kind: str
    name: str
    options: Tuple[Tuple[str, str], ...]
    path: str
    line: int

    def option(self, key: str) -> Optional[str]:
        for name, value in reversed(self.options):  # a later `configure()` wins
            if name == key:
                return value
        return None

    def setting(self, key: str) -> Optional[str]:
        """Like `option`, but "?" when a `**options` spread could have set it."""
        value = self.option(key)
        return "?" if value is None and self.option("**") is not None else value

    @property
    def makes_async_sessions(self) -> bool:
        """`sessionmaker(engine, class_=AsyncSession)`."""
        return (self.option("class_") or "").rpartition(".")[2] == "AsyncSession"


def scan_text(text: str, path: str) -> Dict[str, FactoryInfo]:
    if not any(marker in text for marker in _MARKERS):
        return {}
    found: Dict[str, FactoryInfo] = {}
    for match in _ASSIGNMENT.finditer(text):
        kind = FACTORY_KINDS.get(match.group(3))
        start = match.end()
        if kind is None:
            # `DBSession = versioned_session(scoped_session(sessionmaker(...)))`: a wrapper
            # that adds listeners and hands the registry back (chez-betty).
            wrapped = _WRAPPED_FACTORY.match(text, start)
            kind = _WRAPPED_KINDS.get(wrapped.group(1)) if wrapped is not None else None
            if kind is None:
                continue
            start = wrapped.end()
        options = _keywords(_call_arguments(text, start))
        line = text.count("\n", 0, match.start()) + 1
        found[match.group(1)] = FactoryInfo(kind, match.group(1), options, path, line)
    # `db = None` at module level, then `global db; db = SQLAlchemy(...)` in an init function:
    # the module's `db` is that object for every importer.
    declared = {name for match in _GLOBAL.finditer(text) for name in re.findall(r"\w+", match.group(1))}
    for match in _INDENTED_ASSIGNMENT.finditer(text):
        name, kind = match.group(1), FACTORY_KINDS.get(match.group(3))
        if kind is None or name not in declared or name in found:
            continue
        options = _keywords(_call_arguments(text, match.end()))
        line = text.count("\n", 0, match.start()) + 1
        found[name] = FactoryInfo(kind, name, options, path, line)
    for name, info in list(found.items()):
        configured = _configure_options(text, name)
        if configured:
            found[name] = FactoryInfo(info.kind, name, info.options + configured, path, info.line)
    for match in _CONTEXT_MANAGER.finditer(text):
        scope = _session_scope(text, match, found)
        if scope is not None:
            line = text.count("\n", 0, match.start()) + 1
            found[match.group(2)] = FactoryInfo("session_scope", match.group(2), scope, path, line)
    return found


def _keywords(arguments: str) -> Options:
    """`key=value` pairs, and `("**", name)` for `**name`, which may set any option."""
    keywords = tuple((k, v.strip()) for k, v in _KEYWORD.findall(arguments))
    return keywords + tuple(("**", name) for name in _SPREAD.findall(arguments))


def _imports_from_sqlalchemy(text: str, name: str) -> bool:
    """`from sqlalchemy.orm import Session` (or SQLModel's), not some other `Session`."""
    for match in re.finditer(r"^from[ \t]+(?:sqlalchemy|sqlmodel)[\w.]*[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)",
                             text, re.MULTILINE):
        if re.search(rf"(?<![\w.]){re.escape(name)}\b(?![ \t]+as\b)", match.group(1)):
            return True
    return False


def _configure_options(text: str, name: str) -> Options:
    """Keywords of `NAME.configure(...)` calls (`SessionLocal.configure(bind=engine)` in an init function)."""
    options: Options = ()
    for match in re.finditer(rf"(?<![\w.]){re.escape(name)}\.configure\(", text):
        options += _keywords(_call_arguments(text, match.end()))
    return options


def _session_scope(text: str, match: "re.Match[str]", found: Dict[str, FactoryInfo]) -> Optional[Options]:
    """The options of a context manager that yields a session, commits it after the yield
    and ends it (a `with` around the yield, or `close()`), when its session's factory is
    known here; None otherwise."""
    end = _TOP_LEVEL_LINE.search(text, match.end())
    body = text[match.end(): end.start() if end else len(text)]
    yielded = _YIELD_NAME.search(body)
    if yielded is None:
        return None
    var = re.escape(yielded.group(1))
    before, after = body[: yielded.start()], body[yielded.end():]
    made = (re.search(rf"\bwith[ \t]+(?:[^\n]*,[ \t]*)?([\w.]+)\((?=[^\n]*\)[ \t]+as[ \t]+{var}\b)", before)
            or re.search(rf"^[ \t]*{var}[ \t]*(?::[^=\n]*)?=[ \t]*([\w.]+)\(", before, re.MULTILINE))
    if made is None:
        return None
    callee = made.group(1)
    own = dict(_keywords(_call_arguments(before, made.end())))
    head, _, last = callee.rpartition(".")
    if last == "begin" and head in found:
        maker, commits = found[head], True
    else:
        maker, commits = found.get(callee), bool(re.search(rf"\b{var}\.commit\(", after))
    if maker is not None and maker.kind in ("sessionmaker", "async_sessionmaker"):
        is_async = maker.kind == "async_sessionmaker" or maker.makes_async_sessions
        expire = own.get("expire_on_commit", maker.setting("expire_on_commit"))
    elif last in _SESSION_CLASSES and _imports_from_sqlalchemy(text, last) and not re.search(
            rf"^[ \t]*{re.escape(last)}[ \t]*(?::[^=\n]*)?=[^=]", body, re.MULTILINE):
        is_async = _SESSION_CLASSES[last]
        expire = own.get("expire_on_commit")
    else:
        return None  # a factory this file does not define: its options are unknown
    ends = made.group(0).lstrip().startswith("with") or re.search(rf"\b{var}\.close\(", body) is not None
    if not (commits and ends):
        return None
    if "**" in own and "expire_on_commit" not in own:
        expire = "?"
    options: Options = (("async", str(is_async)),)
    return options + ((("expire_on_commit", expire),) if expire is not None else ())


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


def scan_source(raw: bytes, path: str) -> ModuleScan:
    """The factories one file defines and its module facts, from its bytes."""
    from . import engine  # engine imports this module
    from .project.facts import scan_facts
    from .project.newer_syntax import module_text
    from .project.summaries import digest_of, is_test_path

    found = ModuleScan()
    if len(raw) > engine.MAX_FILE_BYTES:
        return found  # a generated file is not linted, and its scan would take seconds
    text = module_text(raw)
    found.update(scan_text(text, path))
    # Every module but tests (their callers do not count and their sessions are thrown
    # away). A module that shows no SQLAlchemy relevance by itself is parsed only if the
    # project makes it relevant (a thin service layer that names no session but calls a
    # helper that adds is one: it imports the helper's name).
    if not is_test_path(path) or path.endswith("__init__.py"):
        if is_relevant_text(text):
            found.facts = as_part(scan_facts(text))
            if found.facts is None:
                from .project.newer_syntax import unreadable_reason

                found.unreadable = unreadable_reason(text)
        else:
            # What decides later whether the project makes it relevant (it imports a name
            # that matters, or calls a method of that name), and whether a decorator of it
            # may commit.
            found.digest = digest_of(raw)
            found.reaches = reached_names(text)
            found.commits = "commit" in text
    return found


def same_scan(old: Optional[Dict[str, "FactoryInfo"]], new: Optional[Dict[str, "FactoryInfo"]]) -> bool:
    """Two scans of a module say the same: the same factories and facts, or, for a module
    outside the relevant ones, the same bytes (its facts, if kept, are a cache)."""
    if old is None or new is None:
        return old is new
    if old is new:
        return True
    digest = getattr(old, "digest", None)
    if digest is not None or getattr(new, "digest", None) is not None:
        return digest == getattr(new, "digest", None) and dict(old) == dict(new)
    return dict(old) == dict(new) and getattr(old, "facts", None) == getattr(new, "facts", None)


def encode_scan(found: Dict[str, FactoryInfo]) -> object:
    """`scan_source`'s answer as JSON values, for the cache (the path is the cache's key)."""
    factories = [[info.kind, info.name, [list(pair) for pair in info.options], info.line] for info in found.values()]
    facts = getattr(found, "facts", None)
    if facts is not None:
        # A copy: the facts of a kept index are read when first used (`kept_parts`), and
        # JSON's C encoder takes a dict's size without asking it.
        facts = dict(facts)
    encoded = {"factories": factories, "facts": facts}
    unreadable = getattr(found, "unreadable", None)
    if unreadable is not None:
        encoded["unreadable"] = unreadable
    digest = getattr(found, "digest", None)
    if digest is not None:
        encoded.update(digest=digest, reaches=list(getattr(found, "reaches", None) or ()),
                       commits=bool(getattr(found, "commits", False)))
    return encoded


def decode_scan(data: object, path: str) -> ModuleScan:
    """The inverse of `encode_scan`; ValueError for anything else."""
    facts = None
    digest = None
    reaches: Optional[list] = None
    commits = False
    unreadable = None
    if isinstance(data, dict):
        facts = data.get("facts")
        unreadable = data.get("unreadable")
        if unreadable is not None and not isinstance(unreadable, str):
            raise ValueError("not a reason")
        digest = data.get("digest")
        reaches, commits = data.get("reaches"), bool(data.get("commits"))
        data = data.get("factories")
        if facts is not None and not (isinstance(facts, dict) and isinstance(facts.get("functions"), dict)):
            raise ValueError("not module facts")
        if digest is not None and not isinstance(digest, str):
            raise ValueError("not a digest")
        if digest is not None and not (isinstance(reaches, list) and all(isinstance(name, str) for name in reaches)):
            raise ValueError("not names")
    if not isinstance(data, list):
        raise ValueError("not a list of factories")
    found = ModuleScan()
    found.facts = as_part(facts)
    found.digest = digest
    found.unreadable = unreadable
    if digest is not None:
        found.reaches, found.commits = reaches, commits
    for item in data:
        kind, name, options, line = item
        pairs = tuple((str(key), str(value)) for key, value in options)
        if not (isinstance(kind, str) and isinstance(name, str) and type(line) is int):
            raise ValueError("not a factory")
        found[name] = FactoryInfo(kind, name, pairs, path, line)
    return found


_SCANNER_FINGERPRINT: List[str] = []


def scanner_fingerprint() -> str:
    """Changes whenever `scan_text` may answer differently: remembered scans of unchanged
    files are then redone. The version alone would miss an editable install's edits."""
    if not _SCANNER_FINGERPRINT:
        from ._version import __version__

        digest = hashlib.sha256(__version__.encode())
        from . import query_evidence
        from .project import facts

        for source in (__file__, facts.__file__, query_evidence.__file__):
            try:
                with open(source, "rb") as stream:
                    digest.update(stream.read())
            except OSError:  # no source next to the code (a frozen application): the version decides
                pass
        _SCANNER_FINGERPRINT.append(digest.hexdigest()[:16])
    return _SCANNER_FINGERPRINT[0]


_INDEX_CODE: List[str] = []


def index_code_fingerprint() -> str:
    """Changes whenever the index may answer differently for the same files: the scanner
    and the summaries' code (every module of `project/`), and the version."""
    if not _INDEX_CODE:
        import os

        from ._version import __version__
        from . import project

        digest = hashlib.sha256(__version__.encode())
        directory = os.path.dirname(project.__file__ or "")
        sources = [__file__, os.path.join(os.path.dirname(__file__), "query_evidence.py")]
        try:
            sources += sorted(os.path.join(directory, name) for name in os.listdir(directory) if name.endswith(".py"))
        except OSError:
            pass
        for source in sources:
            try:
                with open(source, "rb") as stream:
                    digest.update(source.encode("utf-8", "replace") + b"\0" + stream.read())
            except OSError:  # no source next to the code (a frozen application): the version decides
                pass
        _INDEX_CODE.append(digest.hexdigest()[:16])
    return _INDEX_CODE[0]


class ProjectIndex:
    # Relevant modules this interpreter's `ast` cannot read (resolved path -> where it stops):
    # left out of the model; the lint of such a file says so (`engine._lint_source`).
    _unreadable: Dict[str, str] = {}

    def __init__(self, entries: Optional[Dict[Path, Dict[str, FactoryInfo]]] = None,
                 facts: Optional[Dict[Path, dict]] = None, present: Iterable[Path] = (),
                 outside: Optional["OutsideModules"] = None, order: Optional[Dict[str, int]] = None) -> None:
        self._entries: Dict[Path, Dict[str, FactoryInfo]] = entries or {}
        # The relevant modules' facts (those scanned with them; `_settle` and the summaries'
        # closure add the outside modules they make relevant).
        self._facts: Dict[Path, dict] = facts or {}
        # The modules without facts of their own until the project makes them relevant.
        self._outside = outside
        outside_paths = [Path(path) for path in outside.digests] if outside is not None else []
        self._settled = outside is None or not outside.digests
        # The modules imports resolve among (and are ambiguous among): those with facts, the
        # outside ones, and any other the caller names.
        self._present = set(present) | set(self._facts) | set(outside_paths)
        # Where each module came among the files scanned (the summaries keep that order).
        self._order: Dict[str, int] = order if order is not None else {
            path: rank for rank, path in enumerate([*map(str, self._facts), *(outside.digests if outside else ())])}
        self._summaries: Optional["ProjectSummaries"] = None
        # Every module by each tail of its dotted path ("a/b/c", "b/c", "c"), kept in one part
        # per module name (`_suffix_part`): a kept index loads those the imports asked about.
        self._by_suffix: Dict[str, Dict[str, List[Path]]] = {}
        others = sorted((set(present) | set(outside_paths)) - set(self._facts))
        for path in {**self._entries, **self._facts, **dict.fromkeys(others)}:
            parts = path.with_suffix("").parts
            for length in range(1, len(parts) + 1):
                suffix = "/".join(parts[-length:])
                self._suffix_part(suffix).setdefault(suffix, []).append(path)

    def _suffix_part(self, suffix: str) -> Dict[str, List[Path]]:
        """The part of `_by_suffix` that holds `suffix`: by its module's name (a package's
        for `pkg/__init__`), so that `x/b` and `x/b/__init__` are found in one part."""
        head, _, name = suffix.rpartition("/")
        if name == "__init__" and head:
            name = head.rpartition("/")[2]
        return module_part(self._by_suffix, name)

    def __getstate__(self) -> dict:
        # Where an import's module files are, remembered only to answer faster (and pure:
        # computed from `_by_suffix`, `_present` and `_entries`): not kept with the index (2 MB
        # of the 2,491-file project's kept index), found again for what a run asks.
        state = dict(self.__dict__)
        state.pop("_module_cache", None)
        state.pop("_file_names_cache", None)
        return state

    @classmethod
    def scan(cls, paths: Iterable[Path], read=None) -> "ProjectIndex":
        from . import engine  # engine imports this module

        scanned: List[Tuple[Path, Dict[str, FactoryInfo]]] = []
        for path in paths:
            try:
                raw = engine.read_source(path) if read is None else read(path)
            except OSError:
                continue  # the lint pass reports unreadable files; the index just skips them
            scanned.append((path, scan_source(raw, str(path))))
        return cls.from_scans(scanned)

    @classmethod
    def from_scans(cls, scanned: Iterable[Tuple[Path, Dict[str, FactoryInfo]]]) -> "ProjectIndex":
        """The index of files already scanned (by `scan_source`, or remembered by the cache).
        The files of modules outside the relevant ones are read again (from disk, or with
        `read_with`'s reader) when the index needs their text or facts."""
        from .project.summaries import OutsideModules

        entries: Dict[Path, Dict[str, FactoryInfo]] = {}
        facts: Dict[Path, dict] = {}
        digests: Dict[str, str] = {}
        given: Dict[str, str] = {}
        known: Dict[str, dict] = {}
        reaches: Dict[str, FrozenSet[str]] = {}
        committing: Set[str] = set()
        scans: Dict[str, ModuleScan] = {}
        order: Dict[str, int] = {}
        unreadable: Dict[str, str] = {}
        for path, found in scanned:
            module_facts = getattr(found, "facts", None)
            digest = getattr(found, "digest", None)
            reason = getattr(found, "unreadable", None)
            if found or module_facts or digest is not None or reason:  # only these pay for resolving their path
                resolved = path.resolve()
                order.setdefault(str(resolved), len(order))
                if reason:
                    unreadable[str(resolved)] = reason
                if found:
                    entries[resolved] = found
                if digest is not None:
                    key = str(resolved)
                    digests[key], given[key] = digest, str(path)
                    reaches[key] = frozenset(getattr(found, "reaches", None) or ())
                    if getattr(found, "commits", False):
                        committing.add(key)
                    if isinstance(found, ModuleScan):
                        scans[key] = found
                    if module_facts:
                        known[key] = module_facts
                elif module_facts:
                    facts[resolved] = module_facts
        outside = OutsideModules(digests, given, known, reaches, committing) if digests else None
        if outside is not None and scans:
            def keep(path: str, module: dict) -> None:  # the scan holds them for the cache
                scans[path].facts = module

            outside.on_facts = keep
        built = cls(entries, facts, outside=outside, order=order)
        if unreadable:
            built._unreadable = unreadable
        return built

    def unreadable_reason(self, filename: str) -> Optional[str]:
        """Where this interpreter's `ast` stops reading `filename`, a module the project
        model needed (it spells SQLAlchemy) and left out; None for any other."""
        if not self._unreadable:
            return None
        return self._unreadable.get(os.path.realpath(filename))

    def read_with(self, read, compute=None) -> "ProjectIndex":  # type: ignore[no-untyped-def]
        """Read the files of outside modules with `read(path as given) -> bytes` (the
        runner's bytes in memory) while the index is built, and the facts of those that
        become relevant with `compute([(path, bytes)]) -> {path: facts}` (its workers) when
        given; from disk and one by one otherwise."""
        if self._outside is not None:
            self._outside.read = read
            self._outside.compute = compute
        return self

    def _settle(self) -> None:
        """The outside modules that import a session factory's name are relevant (a module
        that imports `db` from the application has sessions as surely as one that spells
        `sqlalchemy`: the lint gate's own test); the summaries' closure decides for the
        others."""
        if self._settled:
            return
        self._settled = True
        outside = self._outside
        names = {info.name for found in self._entries.values() for info in found.values()}
        if outside is None or not names:
            return
        keys = {str(path) for path in self._facts}
        reaching = outside.reaching(names, keys)
        outside.prefetch(reaching)
        for path in reaching:
            module = outside.full(path)
            if module is not None:
                self._facts[Path(path)] = module

    def _relevant(self) -> bool:
        """Are there relevant modules (their summaries, closure included, computed first)?"""
        self._settle()
        if self._facts and self._outside is not None and self._summaries is None:
            self.summaries  # the closure may make outside modules relevant
        return bool(self._facts)

    def _module_facts(self, path: Path) -> Optional[dict]:
        """The facts of a module: a relevant module's, or an outside module's inert ones."""
        found = self._facts.get(path)
        if found is None and self._outside is not None:
            key = str(path)
            if key in self._outside.digests:
                # A module the closure made relevant (its facts read, not yet here), or the
                # inert facts of an outside one: their imports and assignments are the same.
                found = self._outside._full.get(key) or self._outside.inert(key)
        return found

    def __bool__(self) -> bool:
        return bool(self._entries)

    def lookup(self, importer: Optional[str], module: str, level: int, name: str,
               depth: int = 0) -> Optional[FactoryInfo]:
        """What `from <level dots><module> import <name>` brings in, if it is a known factory
        (also through a package that re-exports it: `from app.data import db`)."""
        for candidate in self._module_files(importer, module, level):
            info = self._entries.get(candidate, {}).get(name)
            if info is not None:
                return info
            # A relevant module's facts only: a module that re-exports a factory spells its
            # name, so it is relevant (`_settle`); an outside one leads to no factory.
            facts = self._facts.get(candidate)
            imported = facts["imports"].get(name) if facts is not None and depth < 4 else None
            if imported is not None and imported[1] is not None:
                found = self.lookup(str(candidate), imported[0], imported[2], imported[1], depth + 1)
                if found is not None:
                    return found
        return None

    def _module_files(self, importer: Optional[str], module: str, level: int) -> List[Path]:
        key = (importer, module, level)
        cache = self.__dict__.setdefault("_module_cache", {})  # not kept (`__getstate__`)
        if key not in cache:
            cache[key] = self._find_module_files(importer, module, level)
        return cache[key]

    def _find_module_files(self, importer: Optional[str], module: str, level: int) -> List[Path]:
        relative = module.replace(".", "/")
        if level:
            if importer is None:
                return []
            base = Path(importer).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            if not relative:  # `from .. import name`: the package's __init__ (never "<dir>.py",
                return [base / "__init__.py"]  # which for "/" would not even be a path)
            target = base / relative
            return [target.with_suffix(".py"), target / "__init__.py"]
        if not relative:
            return []
        matches = self._suffix_part(relative).get(relative, []) + \
            self._suffix_part(relative + "/__init__").get(relative + "/__init__", [])
        if len(matches) > 1 and importer is not None:
            # A script's own directory comes first on `sys.path`: `import data` next to it.
            here = Path(importer).resolve().parent / relative
            siblings = [path for path in matches if path in (here.with_suffix(".py"), here / "__init__.py")]
            if len(siblings) == 1:
                return siblings
        if len(matches) > 1:
            # `import main` finds the `main.py` at an import root, not `apps/payments/main.py`
            # inside a package (that one is `apps.payments.main`).
            depth = relative.count("/") + 1
            matches = [path for path in matches if not self._inside_package(path, depth)]
        return matches if len(matches) == 1 else []

    def _inside_package(self, path: Path, depth: int) -> bool:
        """The directory above the module's own dotted path is a package (has `__init__.py`)."""
        parents = path.parents
        index = depth - 1 if path.name != "__init__.py" else depth
        if index >= len(parents):
            return False
        return (parents[index] / "__init__.py") in self._present

    def has_kind(self, kind: str) -> bool:
        return any(info.kind == kind for found in self._entries.values() for info in found.values())

    def factories(self) -> List[FactoryInfo]:
        """Every module-level factory of the project, in a stable order."""
        return [self._entries[path][name] for path in sorted(self._entries) for name in sorted(self._entries[path])]

    def evidence_names(self) -> List[str]:
        """The project's names that count as session evidence in a file that imports (or
        binds) them: its session factories, and the functions and classes the summaries
        say touch a session or return query results."""
        names = {info.name for info in self.factories()}
        if self._relevant():
            names |= self.summaries.evidence_names()
        return sorted(names)

    def fingerprint(self) -> str:
        """Changes when what a linted file can learn from the project changes: a factory, or
        a function summary (not when a function body changes in a way no summary shows).
        No line number enters it (`with_lines_moved` keeps it). Computed once: an index does
        not change (`with_module` and `with_lines_moved` make new ones)."""
        known = self.__dict__.get("_fingerprint")
        if known is not None:
            return known
        digest = hashlib.sha256()
        for path in sorted(self._entries):
            for name, info in sorted(self._entries[path].items()):
                digest.update(repr((str(path), name, info.kind, info.options)).encode())
        if self._relevant():
            for item in self.summaries.fingerprint_items():
                digest.update(repr(item).encode())
        self.__dict__["_fingerprint"] = found = digest.hexdigest()[:16]
        return found

    # -- the whole-project model --------------------------------------------------------------
    @property
    def summaries(self) -> "ProjectSummaries":
        """Function summaries over every module the index has facts of (built on first use)."""
        if self._summaries is None:
            from .project.summaries import ProjectSummaries

            self._settle()
            facts = {str(path): module for path, module in self._facts.items()}
            self._summaries = ProjectSummaries(facts, self._module_file_names, self._is_ambient, self._outside,
                                               self.__dict__.get("_order"))
            for path in self._summaries.promoted:
                self._facts[Path(path)] = self._summaries.facts[path]
            if self._outside is not None:
                self._outside.release()
        return self._summaries

    def module_key(self, filename: Optional[str]) -> Optional[str]:
        """The key of `filename` in the summaries (its resolved path), when the index has it."""
        if filename is None or not self._relevant():
            return None
        key = Path(filename).resolve()
        return str(key) if key in self._facts else None

    def _module_file_names(self, importer: str, module: str, level: int) -> List[str]:
        known = self.__dict__.setdefault("_file_names_cache", {})  # not kept (`__getstate__`)
        key = (importer, module, level)
        if key not in known:
            known[key] = [str(path) for path in self._module_files(importer, module, level)
                          if path in self._present or path in self._entries]
        return known[key]

    def _is_ambient(self, importer: str, dotted: str) -> bool:
        """Is `dotted`, written in `importer`, the application's shared session: `db.session`
        of a Flask-SQLAlchemy object, a scoped session registry, a module-level session?"""
        # Asked for every session a function names, in every round of the summaries (32,000
        # times on a 2,500-file project, a quarter of building its summaries): remembered.
        known = module_part(self.__dict__.setdefault("_ambient_cache", {}), importer)
        key = dotted
        if key not in known:
            known[key] = self._find_ambient(importer, dotted)
        return known[key]

    def _find_ambient(self, importer: str, dotted: str) -> bool:
        if dotted.endswith(("getSession()", "get_session()")):
            return True
        owner, _, last = dotted.rpartition(".")
        if last == "session" and owner:
            if owner.rpartition(".")[2] == "db":
                return True  # Flask-SQLAlchemy's convention, also when `db` is bound late
            info = self._symbol(importer, owner)
            if info is not None:
                return info.kind == "flask_sqlalchemy"
            # `from app.model import session` (a module) then `session.session`.
            return self._module_symbol(importer, owner, "session") in _AMBIENT_KINDS or self._proxy_in_module(
                importer, owner, "session")
        if owner:
            return False
        info = self._symbol(importer, dotted)
        return info is not None and info.kind in _AMBIENT_KINDS

    def _proxy_in_module(self, importer: str, module_alias: str, name: str) -> bool:
        """`session = LocalProxy(lambda: Session())` in the module `module_alias` names."""
        target = self._imported_module(importer, module_alias)
        if target is None:
            return False
        outside = self._outside
        for path in self._module_files(importer, *target):
            if outside is not None and str(path) in outside.digests and path not in self._facts:
                # An outside module assigns no `session = ...`: that names a session
                # (`names_a_session`), which would have made it relevant.
                return False
            other = self._facts.get(path)
            if other is not None:
                callee = other.get("assigned", {}).get(name, "")
                return callee.rpartition(".")[2] in _SESSION_PROXIES
        return False

    def _imported_module(self, importer: str, module_alias: str) -> Optional[Tuple[str, int]]:
        """(dotted module, level) of the module a name of `importer` is bound to by an import
        (`import app.model as m`, `from app.model import session`)."""
        facts = self._module_facts(Path(importer))
        imported = facts["imports"].get(module_alias) if facts and "." not in module_alias else None
        if imported is None:
            return None
        module, imported_name, level = imported
        if imported_name is None:
            return module, 0
        return (f"{module}.{imported_name}" if module else imported_name), level

    def _symbol(self, importer: str, dotted: str) -> Optional[FactoryInfo]:
        """The factory that the dotted name `dotted` means in module `importer`."""
        parts = dotted.split(".")
        own = self._entries.get(Path(importer), {})
        if len(parts) == 1 and parts[0] in own:
            return own[parts[0]]
        facts = self._module_facts(Path(importer))
        imported = facts["imports"].get(parts[0]) if facts else None
        if imported is None:
            return None
        module, name, level = imported
        if name is None:
            return self.lookup(importer, ".".join([module, *parts[1:-1]]), 0, parts[-1]) if len(parts) > 1 else None
        if len(parts) == 1:
            return self.lookup(importer, module, level, name)
        # `from app import models` then `models.db`.
        submodule = f"{module}.{name}" if module else name
        return self.lookup(importer, ".".join([submodule, *parts[1:-1]]), level, parts[-1])

    def _module_symbol(self, importer: str, module_alias: str, name: str) -> Optional[str]:
        target = self._imported_module(importer, module_alias)
        info = self.lookup(importer, target[0], target[1], name) if target is not None else None
        return info.kind if info is not None else None

    def with_module(self, path: Path, scan: Optional[Dict[str, FactoryInfo]]) -> "ProjectIndex":
        """This index with `scan` (`scan_source`'s answer, with facts; None: the file is
        gone) as what the module at `path` defines, in place of what it held: the language
        server's index after a file is saved, without scanning the project again. `self`
        when nothing changed."""
        path = path.resolve()
        key = str(path)
        outside = self._outside
        facts = getattr(scan, "facts", None) if scan is not None else None
        digest = getattr(scan, "digest", None) if scan is not None else None
        known_digest = outside.digests.get(key) if outside is not None else None
        if scan is not None and dict(self._entries.get(path, {})) == dict(scan) and (
                digest == known_digest if digest is not None or known_digest is not None
                else self._facts.get(path) == facts):
            return self
        entries = {other: found for other, found in self._entries.items() if other != path}
        # The modules scanned with facts (not those the closure made relevant: it runs again).
        all_facts = {other: found for other, found in self._facts.items()
                     if other != path and (outside is None or str(other) not in outside.digests)}
        present = set(self._present) - {path}
        remaining = outside.without(key) if outside is not None else None
        if scan:
            entries[path] = scan
        if digest is not None:
            from .project.summaries import OutsideModules

            if remaining is None:
                remaining = OutsideModules({})
            remaining.digests[key], remaining.given[key] = digest, key
            remaining.reaches[key] = frozenset(getattr(scan, "reaches", None) or ())
            if getattr(scan, "commits", False):
                remaining.committing.add(key)
            if facts:
                remaining._full[key] = facts
        elif facts:
            all_facts[path] = facts
        if scan or facts or digest is not None:
            present.add(path)
        order = dict(self.__dict__.get("_order") or {})
        order.setdefault(key, len(order))
        return ProjectIndex(entries, all_facts, present, remaining if remaining is not None and remaining.digests else None,
                            order)


    def with_lines_moved(self, moved: Dict[Path, Tuple[Dict[str, FactoryInfo], Dict[int, int]]]) -> "ProjectIndex":
        """This index with the modules of `moved` (resolved path -> (`scan_source`'s answer,
        old line -> new line)) scanned again after an edit that only moved lines
        (`moved_lines` says which): their facts and factories replaced, the summaries kept,
        with the line numbers of those modules' functions, work and call sites renumbered.
        The summaries computed again from the new facts would be these: a line number goes
        from the facts into a summary only as a copy (`Summary.line`, `work_lines`,
        `CallSite.line`) or into a comparison of two lines of one function
        (`_commits_after`), and the renumbering keeps every order. Nothing is computed
        again (on a 2,500-file project, building the summaries takes seconds). `self` is
        left as it was, but shares its remembered answers with the new index."""
        self._relevant()  # the summaries (and the closure) as they were, to renumber
        index = ProjectIndex.__new__(ProjectIndex)
        index.__dict__.update({key: value for key, value in self.__dict__.items()
                               if key not in ("_build", "_built", "_known_fingerprint")})
        entries = dict(self._entries)
        facts = dict(self._facts)
        for path, (scan, _) in moved.items():
            if scan:
                entries[path] = scan
            module_facts = getattr(scan, "facts", None)
            if module_facts:
                facts[path] = module_facts
        index._entries, index._facts = entries, facts
        summaries = self.__dict__.get("_summaries")
        if summaries is not None:
            index._summaries = summaries.with_lines_moved(
                {str(path): (facts[path], lines) for path, (_, lines) in moved.items() if path in facts},
                index._module_file_names, index._is_ambient)
        return index


def moved_lines(old: Optional[Dict[str, FactoryInfo]], new: Optional[Dict[str, FactoryInfo]]) -> Optional[Dict[int, int]]:
    """old line -> new line, when the scan `new` of a module differs from its scan `old`
    only in where things are: the same factories (their lines aside), the same facts but
    for the line numbers of classes, functions, work and calls (and the calls' columns,
    which no summary reads), and the renumbering keeps the order of every two lines the
    facts record (two calls on one line stay on one line). None otherwise: anything else
    that changed (another fact, an unknown place holding a line) means the summaries must
    be computed again."""
    if old is None or new is None:
        return None
    if getattr(old, "digest", None) is not None or getattr(new, "digest", None) is not None:
        # A module outside the relevant ones (or one that became so): the same bytes or a
        # new index (its facts, if the closure made it relevant, are not compared here).
        return {} if same_scan(old, new) else None
    if old.keys() != new.keys() or any(
            (info.kind, info.name, info.options, info.path) != (new[name].kind, new[name].name, new[name].options,
                                                               new[name].path) for name, info in old.items()):
        return None
    pairs: List[Tuple[object, object]] = []
    old_facts, new_facts = getattr(old, "facts", None), getattr(new, "facts", None)
    if old_facts is None or new_facts is None:
        return {} if old_facts is None and new_facts is None else None
    if not _same_but_lines(old_facts, new_facts, pairs):
        return None
    mapping: Dict[int, int] = {}
    for before, after in pairs:
        if type(before) is not int or type(after) is not int or mapping.setdefault(before, after) != after:
            return None
    after_lines = [mapping[line] for line in sorted(mapping)]
    if any(first >= second for first, second in zip(after_lines, after_lines[1:])):
        return None  # two lines swapped, merged or split apart
    return mapping


def _same_but_lines(old: dict, new: dict, pairs: List[Tuple[object, object]]) -> bool:
    if not (isinstance(old, dict) and isinstance(new, dict)) or list(old) != list(new):
        return False
    for key, value in old.items():
        other = new[key]
        if key == "classes":
            if not (isinstance(value, dict) and isinstance(other, dict)) or list(value) != list(other):
                return False
            for name, info in value.items():
                if not _same_fields(info, other[name], pairs):
                    return False
        elif key == "functions":
            if not (isinstance(value, dict) and isinstance(other, dict)) or list(value) != list(other):
                return False
            for name, info in value.items():
                if not _same_fields(info, other[name], pairs):
                    return False
        elif value != other:
            return False
    return True


def _same_fields(old: object, new: object, pairs: List[Tuple[object, object]]) -> bool:
    """A class's or a function's facts: equal but for `line`, the lines of `work`,
    `row_keys` and `nested_calls`, and the lines and columns of `calls`."""
    if not (isinstance(old, dict) and isinstance(new, dict)) or list(old) != list(new):
        return False
    for key, value in old.items():
        other = new[key]
        if key == "line":
            pairs.append((value, other))
        elif key in ("work", "calls", "row_keys", "nested_calls"):
            if not (isinstance(value, list) and isinstance(other, list)) or len(value) != len(other):
                return False
            for item, changed in zip(value, other):
                if not (isinstance(item, list) and isinstance(changed, list)) or len(item) != len(changed) \
                        or len(item) < 2 or item[0] != changed[0]:
                    return False
                pairs.append((item[1], changed[1]))
                rest = 3 if key == "calls" else 2  # a call's column is not compared
                if item[rest:] != changed[rest:]:
                    return False
        elif value != other:
            return False
    return True


_AMBIENT_KINDS = frozenset({"scoped_session", "session", "async_session"})
# Module-level objects that stand for the request's session.
_SESSION_PROXIES = frozenset({"LocalProxy", "scoped_session", "Session", "async_scoped_session"})


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
            self.__dict__.update(_entries=built._entries, _by_suffix=built._by_suffix, _facts=built._facts,
                                 _present=built._present, _summaries=built._summaries,
                                 _outside=built.__dict__.get("_outside"), _order=built.__dict__.get("_order"),
                                 _settled=built.__dict__.get("_settled", True),
                                 _unreadable=built._unreadable)

    def unreadable_reason(self, filename: str) -> Optional[str]:
        self._ensure()
        return super().unreadable_reason(filename)

    def lookup(self, importer, module, level, name, depth=0):  # type: ignore[override]
        self._ensure()
        return super().lookup(importer, module, level, name, depth)

    def has_kind(self, kind: str) -> bool:
        self._ensure()
        return super().has_kind(kind)

    def factories(self) -> List[FactoryInfo]:
        self._ensure()
        return super().factories()

    def fingerprint(self) -> str:
        self._ensure()
        return super().fingerprint()

    def __bool__(self) -> bool:
        self._ensure()
        return super().__bool__()

    @property
    def summaries(self) -> "ProjectSummaries":
        self._ensure()
        return super().summaries

    def module_key(self, filename: Optional[str]) -> Optional[str]:
        self._ensure()
        return super().module_key(filename)

    def evidence_names(self) -> List[str]:
        self._ensure()
        return super().evidence_names()


def detached(index: ProjectIndex) -> ProjectIndex:
    """A plain ProjectIndex holding what `index` built (summaries included), without a lazy
    index's builder: what the cache pickles."""
    plain = ProjectIndex.__new__(ProjectIndex)
    plain.__dict__.update({key: value for key, value in index.__dict__.items()
                           if key not in ("_build", "_built", "_known_fingerprint")})
    summaries = plain.__dict__.get("_summaries")
    if summaries is not None:  # its resolver was the lazy index's: the same tables
        summaries.module_files = plain._module_file_names
        summaries.is_ambient = plain._is_ambient
    return plain


class KnownProjectIndex(LazyProjectIndex):
    """A project index whose fingerprint is known (recorded by an earlier run over exactly
    the same files): built only when a file is linted, not to compute the results' keys."""

    def __init__(self, build, fingerprint: str) -> None:
        super().__init__(build)
        self._known_fingerprint = fingerprint

    def fingerprint(self) -> str:
        return self._known_fingerprint

    def ensure(self) -> None:
        self._ensure()


EMPTY_INDEX = ProjectIndex()
