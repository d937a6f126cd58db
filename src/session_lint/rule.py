"""The public API for writing a rule: subclass :class:`Rule` and implement ``check``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterator, Optional, Tuple

if TYPE_CHECKING:
    # Annotations only: importing the rule API (`session-lint --version` does) does not load libcst.
    import libcst as cst

    from .fixes import Fix
    from .semantic import SemanticModel
    from .settings import Settings

CODE_PATTERN = re.compile(r"^[A-Z]{1,4}[0-9]{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Finding:
    """What a rule reports: a node of the parsed module, what is wrong with it, and
    optionally a fix (`session_lint.fixes.Fix`, built with `session_lint.rule_fixes`)."""

    node: cst.CSTNode
    message: str
    hint: Optional[str] = None
    fix: Optional["Fix"] = None


# "flask_sqlalchemy" and "sqlalchemy.orm" contain "sqlalchemy"; `User.query` is Flask-SQLAlchemy's.
SQLALCHEMY_EVIDENCE: Tuple[str, ...] = ("sqlalchemy", "sqlmodel", ".query")


class Rule:
    """Base class of every rule, built-in or from a plugin.

    A rule declares:

    - ``code``: stable code such as ``ORM101`` (letters then three digits);
    - ``name``: kebab-case name such as ``add-without-commit``;
    - ``summary``: one line for ``--list-rules``;
    - ``tokens``: substrings of which at least one must occur in a file's text for the rule
      to have any chance of reporting; files without any are not even parsed. An empty
      tuple means "always run".
    - ``requires``: like ``tokens``, but for the evidence the rule's analysis starts from
      (both must match). Every built-in rule requires ``SQLALCHEMY_EVIDENCE``: the semantic
      model only recognises sessions, queries and mapped classes through an import from
      SQLAlchemy/SQLModel/Flask-SQLAlchemy, Flask-SQLAlchemy's ``.query``, a session
      factory of the project (whose name then occurs in the file, which also passes), or,
      for ``SQLALCHEMY_EVIDENCE`` only and when the engine knows the file's name, an import
      that resolves to a mapped class of the project or a module defining some
      (``project/import_evidence.py``).
    - ``opt_in``: True for a rule that runs only when a selector names it specifically (its
      code, or a prefix with a digit such as ``ORM3``; not ``ORM`` or ``ALL``): a rule whose
      findings need judgement the code alone cannot give (see ``settings.is_enabled``).

    and implements :meth:`check`, which yields :class:`Finding` objects. ``context.model``
    is the shared semantic model; ``context.module`` is the libcst tree. A finding may
    carry a fix: ``Fix.safe(message, *edits)`` or ``Fix.unsafe(...)`` from
    ``session_lint.fixes``, its edits built with ``session_lint.rule_fixes``
    (``replace_node``, ``import_edits``); ``--fix``, the JSON output and the editor's code
    actions all read it.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    tokens: ClassVar[Tuple[str, ...]] = ()
    requires: ClassVar[Tuple[str, ...]] = ()
    url: ClassVar[Optional[str]] = None
    opt_in: ClassVar[bool] = False

    def check(self, context: "RuleContext") -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def validate(cls) -> Optional[str]:
        """Why this class cannot be used as a rule, or None when it can."""
        if not CODE_PATTERN.match(cls.code or ""):
            return f"rule class {cls.__qualname__} has an invalid code {cls.code!r}"
        if not NAME_PATTERN.match(cls.name or ""):
            return f"rule {cls.code} has an invalid name {cls.name!r} (kebab-case expected)"
        if not cls.summary:
            return f"rule {cls.code} has no summary"
        return None


class RuleContext:
    """Everything a rule may look at for one module."""

    def __init__(
        self,
        module: cst.Module,
        model: "SemanticModel",
        filename: str,
        settings: "Settings",
    ) -> None:
        self.module = module
        self.model = model
        self.filename = filename
        self.settings = settings

    def line_of(self, node: cst.CSTNode) -> int:
        """The 1-based line where ``node`` starts (computed lazily, once per module)."""
        return self.model.positions.start(node).line

    def source_of(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` on one line, for messages."""
        return self.model.source_of(node)

