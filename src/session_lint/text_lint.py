"""Lint a text in this process exactly as the run lints its files (same rules, settings,
project index, per-file ignores and selection): for each pass of `--fix` and for stdin."""
from __future__ import annotations

from pathlib import Path
from typing import FrozenSet, List, Sequence, Type, Union

from .diagnostics import ENGINE_CODES, Diagnostic
from .engine import LintResult, lint_source, read_source
from .project_index import ProjectIndex
from .rule import Rule
from .runner import _PerFileIgnores as PerFileIgnores  # the runner's own rule, not a copy of it
from .settings import Settings, ignored_for_file


class TextLinter:
    def __init__(self, rules: Sequence[Type[Rule]], settings: Settings, index: ProjectIndex,
                 enabled: FrozenSet[str]) -> None:
        self.rules = list(rules)
        self.settings = settings
        self.index = index
        self.enabled = enabled
        self._rule_objects = [rule() for rule in rules]
        self._per_file = PerFileIgnores(settings)

    def lint(self, source: Union[str, bytes], filename: str) -> LintResult:
        result = lint_source(source, filename, self.rules, self.settings, self.index, self._rule_objects)
        result.diagnostics = self.visible(result.diagnostics, filename)
        return result

    def visible(self, diagnostics: Sequence[Diagnostic], filename: str) -> List[Diagnostic]:
        ignored = self._per_file.codes_for(filename)
        return [d for d in diagnostics
                if (d.code in self.enabled or d.code in ENGINE_CODES)
                and not (ignored and ignored_for_file(d.code, ignored))]


def build_index(paths: Sequence[Path], replaced: Union[None, Path] = None, data: bytes = b"") -> ProjectIndex:
    """The project index over `paths`, as the run builds it; `replaced`'s content is `data`
    (the text on stdin stands for the file at its name)."""
    if replaced is None:
        return ProjectIndex.scan(list(paths))
    target = replaced.resolve()

    def read(path: Path) -> bytes:
        return data if path.resolve() == target else read_source(path)

    return ProjectIndex.scan([replaced, *(p for p in paths if p.resolve() != target)], read=read)
