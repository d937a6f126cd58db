"""Every call of a project function, including the calls made inside functions nested in
another (a callback, a closure handed to an executor), which the summaries' call graph
leaves out because such functions have no name it can resolve a call to."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Tuple
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from .summaries import FunctionKey, ProjectSummaries

# (the function the call is written in, the line) per called function
Sites = Dict["FunctionKey", List[Tuple["FunctionKey", int]]]
_NESTED: "WeakKeyDictionary[ProjectSummaries, Sites]" = WeakKeyDictionary()


def every_call_site(summaries: "ProjectSummaries", target: "FunctionKey") -> List[Tuple["FunctionKey", int]]:
    """(caller, line) of every project call of `target`: the summaries' callers, and calls in
    functions nested inside a caller (attributed to the named function around them)."""
    nested = _NESTED.get(summaries)
    if nested is None:
        nested = _NESTED[summaries] = _nested_sites(summaries)
    return [(site.caller, site.line) for site in summaries.callers(target)] + nested.get(target, [])


def _nested_sites(summaries: "ProjectSummaries") -> Sites:
    from .summaries import is_test_path

    found: Sites = {}
    for path, module in summaries.facts.items():
        if is_test_path(path):
            continue
        for qualname, info in module["functions"].items():
            for callee, line in info.get("nested_calls", ()):
                target = summaries.resolve(path, qualname, callee)
                if target is None and "." in callee:
                    target = summaries.unique_method(callee.rpartition(".")[2])
                if target is not None:
                    found.setdefault(target, []).append(((path, qualname), line))
    return found
