"""Which spellings of `.query` are SQLAlchemy evidence for the lint gate (`engine._TokenCheck`).

`.query` is in `rule.SQLALCHEMY_EVIDENCE` for a session's legacy `session.query(User)` and
for Flask-SQLAlchemy's `User.query` (or a `query_property()`): a file that spells one of
them may hold SQLAlchemy code with no SQLAlchemy import (a session passed in, a model
imported from elsewhere). Other spellings of the same six characters are no such thing,
and a file that spells only those is stopped like a file that spells nothing (the standard
library: `from idlelib.query import Query`, `parsed_url.query`, `SplitResult.query.__doc__`):

- a module path in an import statement (`from idlelib.query import X`, `import a.query`):
  a module named `query` is no query; SQLAlchemy's own modules spell `sqlalchemy` anyway,
  and the project's are evidence through their imported names (`engine._imports_a_factory`,
  `project/import_evidence.py`), not through their spelling;
- a *bare attribute*: `x.query` neither called (`session.query(`) nor chained on
  (`User.query.filter(`, also across lines and continuations; a dunder such as `.__doc__`
  is no query method), counts only where the semantic model can take it for a query: in a
  project with a Flask-SQLAlchemy `db` (`QueryAnalysis.uses_flask_sqlalchemy`, through the
  index) or a class with a query attribute (`query_property()`, a metaclass property: what
  `ProjectCalls.has_query_property` asks the summaries). A module that imports
  Flask-SQLAlchemy itself spells `sqlalchemy`. So `q = User.query` then `q.first()` in a
  Flask project still lets the file through, and a URL's `.query` elsewhere does not.

Anything else keeps counting as before: `.query(`, `.query.filter`, `.query[...]`, a
`.query` followed by a comment (a chain may go on below it), and longer names
(`.query_property`, `.query_class`), which are other attributes than `.query`.
"""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .project_index import ProjectIndex

QUERY = ".query"
_SPACE = " \t\r\n\f\\"
# The text of the line before `.query` when it is an import statement's module path: `from`
# then a dotted path, or `import` then dotted paths (with aliases). A line that starts so is
# an import statement or the inside of a string: no expression can start with either keyword.
_FROM_BEFORE = re.compile(r"[ \t]*from[ \t]+[\w.]*\Z")
_FROM_AFTER = re.compile(r"[\w.]*[ \t]+import\b")
_IMPORT_BEFORE = re.compile(r"[ \t]*import[ \t]+[\w. \t,]*\Z")
_NAME = re.compile(r"[ \t]*(\w+)")

# What an occurrence of `.query` is.
COUNTS, BARE, MODULE_PATH = "counts", "bare", "module path"


def spells_query(text: str, bare_counts: Callable[[], bool]) -> bool:
    """Does `text` spell `.query` as SQLAlchemy evidence? `bare_counts` says whether a bare
    attribute does in this project (asked at most once, and only for a file whose every
    other `.query` is no evidence)."""
    if QUERY not in text:
        return False
    bare = False
    position = text.find(QUERY)
    while position >= 0:
        kind = occurrence(text, position)
        if kind == COUNTS:
            return True
        bare = bare or kind == BARE
        position = text.find(QUERY, position + len(QUERY))
    return bare and bare_counts()


def occurrence(text: str, position: int) -> str:
    """What the `.query` at `position` is: COUNTS, BARE or MODULE_PATH (module docstring)."""
    end = position + len(QUERY)
    if end < len(text) and (text[end].isalnum() or text[end] == "_"):
        return COUNTS  # `.query_property`, `.queryset`: another name, as evidence as before
    line_start = text.rfind("\n", 0, position) + 1
    before = text[line_start:position]
    if (_FROM_BEFORE.match(before) and _FROM_AFTER.match(text, end)) or _IMPORT_BEFORE.match(before):
        return MODULE_PATH
    following = end
    size = len(text)
    while following < size and text[following] in _SPACE:
        following += 1
    if following == size:
        return BARE
    after = text[following]
    if after == ".":
        name = _NAME.match(text, following + 1)
        if name is not None and _is_dunder(name.group(1)):
            return BARE  # `SplitResult.query.__doc__`: introspection, no query method
        return COUNTS
    # `(`: a call; `[`: a subscript (a query's slice); `#`: a comment, below which a chain in
    # brackets may go on.
    return COUNTS if after in "([#" else BARE


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


_BARE_COUNTS: "weakref.WeakKeyDictionary[ProjectIndex, bool]" = weakref.WeakKeyDictionary()


def bare_attribute_counts(index: "ProjectIndex") -> bool:
    """Can `X.query` (bare) be a query in this project: a Flask-SQLAlchemy `db`, or a class
    with a query attribute among the facts the summaries read (relevant modules only: an
    outside module's inert facts declare none)?"""
    found = _BARE_COUNTS.get(index)
    if found is None:
        found = _BARE_COUNTS[index] = index.has_kind("flask_sqlalchemy") or _declares_query_attributes(index)
    return found


def _declares_query_attributes(index: "ProjectIndex") -> bool:
    # `evidence_names` first: the summaries' closure decides which modules are relevant.
    index.evidence_names()
    for module in index.summaries.facts.values():
        if module.get("query_property"):
            return True
        mapped = module.get("mapped") or {}
        if mapped.get("metas"):
            return True
        if any(entry.get("query_attrs") or entry.get("meta") for entry in mapped.get("classes", {}).values()):
            return True
    return False
