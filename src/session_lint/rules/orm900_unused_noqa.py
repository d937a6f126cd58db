from __future__ import annotations

import functools
import re
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple, Type

import libcst as cst

from ..diagnostics import ENGINE_CODES
from ..fixes import Edit, Fix
from ..noqa import _CODE_SPLIT, _NOQA, covers, without_codes
from ..rule import Finding, Rule, RuleContext
from ..rule_fixes import replace_node
from ..semantic import SemanticModel
from ..settings import Settings

_LETTERS = re.compile(r"^[A-Z]+")


class UnusedNoqa(Rule):
    """A `# noqa: CODE` that suppresses nothing, or names a code no installed rule has.

    Like ruff's RUF100. A suppression outlives the finding it was written for (the code was
    fixed, the rule got smarter), and then silently hides the next real finding on that
    statement. Only codes of session-lint's own families are judged (`ORM...` and those of
    installed plugin rules), so `# noqa: E501` is left to flake8; a blanket `# noqa` is
    left alone, since another linter may be what it silences; and so is a code of a rule
    this run does not enable, which cannot be judged. Opt-in: `--extend-select ORM900`.
    """

    code = "ORM900"
    name = "unused-noqa"
    summary = "a `# noqa` code that suppresses no finding on its statement, or names no installed rule"
    tokens = ("noqa", "NOQA", "Noqa")
    # A directive it judges names a code of an installed family; ORM is the built-in one.
    # Requiring it keeps files whose `# noqa` name only other linters' codes unparsed.
    requires = ("ORM",)
    opt_in = True

    def check(self, context: RuleContext) -> Iterator[Finding]:
        installed, enabled = _rules(context.settings)
        families = {_family(code) for code in installed | set(ENGINE_CODES)}
        text = context.module.code
        if not _names_a_family(text, families):
            return  # one pass over the text spares the walk over the tree
        directives = _directives(context.module)
        # Only the rules a directive names can be what it suppresses: run those alone.
        named = {code.upper() for directive in directives for code in directive.codes}
        judged = [rule for code, rule in enabled.items()
                  if code != self.code and any(code.startswith(prefix) for prefix in named)]
        suppressed = _findings_by_row(context, judged, text)
        for directive in directives:
            directive.row = context.model.positions.start(directive.comment).line
            unused: List[str] = []
            unknown: List[str] = []
            for spelled in directive.codes:
                code = spelled.upper()
                if _family(code) not in families or covers(frozenset({code}), self.code):
                    continue  # another linter's code, or one that covers this rule's own findings
                if not any(known.startswith(code) for known in installed | set(ENGINE_CODES)):
                    unknown.append(spelled)
                elif not any(known.startswith(code) for known in enabled if known != self.code) \
                        and not any(known.startswith(code) for known in ENGINE_CODES):
                    continue  # a rule this run does not enable: its findings are unknown
                elif not any(found.startswith(code) for found in suppressed.get(directive.row, ())):
                    unused.append(spelled)
            if unused or unknown:
                yield Finding(directive.comment, _message(unused, unknown),
                              "remove the codes (or the whole comment) that suppress nothing",
                              _removal(context.model, directive, unused + unknown))


class _Directive:
    def __init__(self, comment: cst.Comment, before: Optional[cst.SimpleWhitespace], codes: List[str]) -> None:
        self.comment = comment
        self.before = before  # the spaces between the code and an end-of-line comment
        self.codes = codes
        self.row = 0


class _DirectiveFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[_Directive] = []

    def visit_TrailingWhitespace(self, node: cst.TrailingWhitespace) -> None:
        if node.comment is not None:
            self._add(node.comment, node.whitespace)

    def visit_EmptyLine(self, node: cst.EmptyLine) -> None:
        if node.comment is not None:
            self._add(node.comment, None)

    def _add(self, comment: cst.Comment, before: Optional[cst.SimpleWhitespace]) -> None:
        if "noqa" not in comment.value.lower():
            return
        match = _NOQA.search(comment.value)
        if match is not None and match.group("codes"):  # a blanket `# noqa` is not judged
            codes = [code for code in _CODE_SPLIT.split(match.group("codes").strip()) if code]
            self.found.append(_Directive(comment, before, codes))


def _names_a_family(text: str, families: Set[str]) -> bool:
    """Whether a `# noqa: CODES` line of `text` names a code of one of `families`."""
    for line in text.splitlines():
        if "noqa" not in line.lower():
            continue
        match = _NOQA.search(line)
        if match is not None and match.group("codes") and any(
                _family(code) in families for code in _CODE_SPLIT.split(match.group("codes").strip())):
            return True
    return False


def _family(code: str) -> str:
    """`ORM` of `ORM201` (and of `orm2`); "" for a code that starts with no letter."""
    letters = _LETTERS.match(code.upper())
    return letters.group(0) if letters is not None else ""


def _directives(module: cst.Module) -> List[_Directive]:
    finder = _DirectiveFinder()
    module.visit(finder)
    return finder.found


@functools.lru_cache(maxsize=8)
def _rules(settings: Settings) -> Tuple[FrozenSet[str], Dict[str, Type[Rule]]]:
    """Every installed rule code, and the rules this run enables (the engine does not tell
    a rule which others run with it: the settings decide, as they do for the CLI)."""
    from ..registry import load_rules

    ruleset = load_rules()
    enabled = settings.enabled_codes(ruleset.rules, ruleset.opt_in_codes())
    return frozenset(ruleset.rules), {code: ruleset.rules[code] for code in sorted(enabled)}


def _findings_by_row(context: RuleContext, rules: List[Type[Rule]], text: str) -> Dict[int, Set[str]]:
    """Row -> the codes found on a statement covering that row, before suppression: the
    rules run again on the same model (the engine does not hand a rule the findings it
    suppressed), sharing the analyses cached on it."""
    from ..engine import may_match

    model = context.model
    found: Dict[int, Set[str]] = {}
    for rule in rules:
        if not may_match(text, [rule], model.index, model.filename):
            continue  # the engine does not run it on this file either
        model.check_deadline()
        try:
            findings = list(rule().check(context))
        except (RecursionError, MemoryError):
            raise
        except Exception:  # reported as ORM002 where the engine runs the rule itself
            continue
        for finding in findings:
            for row in _statement_rows(model, finding.node):
                found.setdefault(row, set()).add(rule.code)
    return found


def _statement_rows(model: SemanticModel, node: cst.CSTNode) -> Tuple[int, ...]:
    """The rows on which a `# noqa` suppresses a finding at `node` (as the engine reads them)."""
    statement = model.tree.statement_of(node)
    first, last = model.positions.header_rows(statement)
    start = model.positions.start(node).line
    rows = tuple(range(first, last + 1))
    return rows if start in rows else rows + (start,)


def _message(unused: List[str], unknown: List[str]) -> str:
    parts = []
    if unused:
        codes = ", ".join(unused)
        verb = "suppresses" if len(unused) == 1 else "suppress"
        parts.append(f"`# noqa` code{'s' if len(unused) > 1 else ''} {codes} {verb} nothing: no such finding "
                     "on this statement")
    if unknown:
        codes = ", ".join(unknown)
        parts.append(f"`# noqa` names {codes}, which no installed rule has")
    return "; ".join(parts)


def _removal(model: SemanticModel, directive: _Directive, codes: List[str]) -> Optional[Fix]:
    replacement = without_codes(directive.comment.value, codes)
    if replacement is None:
        return None
    what = f"Remove {', '.join(codes)} from the `# noqa` comment"
    if replacement or directive.before is None:
        return Fix.safe(what, replace_node(model, directive.comment, replacement))
    # Nothing is left of an end-of-line comment: the spaces before it go too.
    start = replace_node(model, directive.before, "").location
    end = replace_node(model, directive.comment, "").end_location
    return Fix.safe("Remove the unused `# noqa` comment", Edit(start, end, ""))
