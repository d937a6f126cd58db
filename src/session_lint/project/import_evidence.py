"""Imports of the project's own model classes, as SQLAlchemy evidence for the engine's gate.

A module can work on the project's ORM objects without spelling `sqlalchemy`, `.query` or a
session factory: mirrormanager2's crawler imports `HostCategoryDir` from `lib.model`, gets
host categories from a helper and reads `hc.directories` (a lazy relationship) in a loop.
The semantic model recognises those rows through the project index alone, but the engine's
evidence gate never lets such a file through.

An import counts only when it resolves, through the project's facts (each module's
`imports`, `classes` and `mapped` classes, with `ProjectSummaries.class_of`), to a model
class of the project (`from app.model import Host`, a re-export included) or to a module
that defines some (`from app import model`, then `model.Host`): never by a class name
alone, which collides across modules (a pydantic `Flow` schema beside the ORM's `Flow`). A
model class declares a table, a relationship, a foreign key or a query property, itself or
through a project base.

The gate asks this for files whose text shows no evidence, most of a project, before any
parse: `candidate_names` lets it skip a file whose imports name nothing that could resolve,
and the answer for a module is computed once, from facts the index already holds. Nothing
here imports libcst.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Set

from .mapped_classes import ORM_DECLARATIONS, ClassKey, module_name

if TYPE_CHECKING:
    from .summaries import ProjectSummaries

# Levels of subclasses of model classes whose names are candidates, and of bases followed
# to tell whether a class is one.
_SUBCLASS_ROUNDS = 3
_MAX_BASES = 6


class MappedImports:
    """Which names each module of the project binds, by an import, to one of the project's
    model classes or to a module that defines some."""

    def __init__(self, summaries: "ProjectSummaries") -> None:
        self.summaries = summaries
        self._model_modules: Set[str] = set()
        class_names: Set[str] = set()
        module_names: Set[str] = set()
        for path, module in summaries.facts.items():
            models = [name for name, entry in ((module.get("mapped") or {}).get("classes") or {}).items()
                      if _declares_orm(entry)]
            if models:
                self._model_modules.add(path)
                class_names.update(models)
                module_names.add(module_name(path))
        # A subclass of a model class is one too (single-table inheritance declares no
        # table of its own): its name is a candidate, and `_is_model` decides.
        for _ in range(_SUBCLASS_ROUNDS):
            before = len(class_names)
            for module in summaries.facts.values():
                for name, info in module.get("classes", {}).items():
                    if name not in class_names and not class_names.isdisjoint(
                            base.rpartition(".")[2] for base in info.get("bases", ())):
                        class_names.add(name)
            if len(class_names) == before:
                break
        self._class_names = frozenset(class_names)
        self._module_names = frozenset(module_names)
        self.candidate_names: FrozenSet[str] = self._class_names | self._module_names
        self._answers: Dict[str, FrozenSet[str]] = {}

    def aliases(self, path: str) -> FrozenSet[str]:
        """The names module `path` (a key of the facts) binds to the project's model classes
        or modules of them; empty when it binds none or the index has no facts of it."""
        found = self._answers.get(path)
        if found is None:
            found = self._answers[path] = self._find(path)
        return found

    def _find(self, path: str) -> FrozenSet[str]:
        module = self.summaries.facts.get(path)
        if not module:
            return frozenset()
        found: Set[str] = set()
        for alias, (target, name, level) in module.get("imports", {}).items():
            if name is not None and name in self._class_names:
                key = self.summaries.class_of(path, alias)
                if key is not None:
                    if self._is_model(key):
                        found.add(alias)
                    continue
            # `from app import model` / `import app.model as model`: a module of models.
            dotted = (f"{target}.{name}" if target else name) if name is not None else target
            if dotted.rpartition(".")[2] not in self._module_names:
                continue
            files = self.summaries.module_files(path, dotted, level if name is not None else 0)
            # Not a package that re-exports models (`import ckan.model as model`): measured on
            # the corpus, that lets through modules that merely pass the package around (ckan
            # +17% of files past the gate) and test-data seeding code.
            if any(file in self._model_modules for file in files):
                found.add(alias)
        return frozenset(found)

    def _is_model(self, key: ClassKey) -> bool:
        """The class declares what only an ORM class does, or inherits it from a project class
        (single-table inheritance declares no table of its own)."""
        pending, seen = [key], {key}
        while pending and len(seen) <= _MAX_BASES:
            path, name = pending.pop()
            module = self.summaries.facts.get(path, {})
            if _declares_orm(((module.get("mapped") or {}).get("classes") or {}).get(name)):
                return True
            for base in module.get("classes", {}).get(name, {}).get("bases", ()):
                found = self.summaries.class_of(path, base)
                if found is not None and found not in seen:
                    seen.add(found)
                    pending.append(found)
        return False


def _declares_orm(entry: Optional[dict]) -> bool:
    return bool(entry) and any(entry.get(field) for field in ORM_DECLARATIONS)  # type: ignore[union-attr]
