"""Building fixes from libcst nodes: what a rule needs to turn "replace this node" or "add
this import" into `fixes.Edit`s with the positions the engine reports."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence, Tuple

import libcst as cst

from .diagnostics import Location
from .fixes import Edit

if TYPE_CHECKING:
    from .semantic import SemanticModel


def _location(position) -> Location:  # a libcst CodePosition: 1-based line, 0-based column
    return Location(position.line, position.column + 1)


def replace_node(model: "SemanticModel", node: cst.CSTNode, content: str) -> Edit:
    """Replace `node`'s source (not the parentheses around it) by `content`."""
    code_range = model.positions.range(node)
    return Edit(_location(code_range.start), _location(code_range.end), content)


def is_expression(text: str) -> bool:
    """A replacement must parse on its own: `and_(yield x, y)` from `(yield x) and y` does not."""
    try:
        cst.parse_expression(text)
    except Exception:  # ParserSyntaxError, and the odd RecursionError on a huge condition
        return False
    return True


class _CommentFinder(cst.CSTVisitor):
    found = False

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found = True


def has_comment(node: cst.CSTNode) -> bool:
    """A rewrite printed on one line drops the comments inside the node: such a fix is unsafe."""
    finder = _CommentFinder()
    node.visit(finder)
    return finder.found


def import_edits(model: "SemanticModel", module: str, names: Sequence[str]) -> Tuple[Edit, ...]:
    """The edit that makes `from <module> import <names>` true at the top of the module:
    added to an existing top-level `from <module> import ...` (so the import is added once,
    however many fixes ask for it), else a new line after the leading imports."""
    if not names:
        return ()
    tree = model.module
    existing = _existing_import(tree, module)
    if existing is not None:
        last = existing.names[-1]  # type: ignore[index]
        end = _location(model.positions.range(last).end)
        return (Edit.insertion(end, "".join(f", {name}" for name in names)),)
    line = f"from {module} import {', '.join(names)}"
    newline = tree.default_newline
    anchor = _last_leading_import(tree)
    if anchor is None:
        if not tree.body:
            return ()
        first = model.positions.range(tree.body[0]).start
        return (Edit.insertion(Location(first.line, 1), line + newline),)
    if anchor is tree.body[-1] and not tree.has_trailing_newline:
        # The last line has no line break: the new import goes after one.
        end = _location(model.positions.range(anchor).end)
        return (Edit.insertion(end, newline + line),)
    after = model.positions.range(anchor.trailing_whitespace).end
    return (Edit.insertion(_location(after), line + newline),)


def _existing_import(tree: cst.Module, module: str) -> Optional[cst.ImportFrom]:
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                    and not isinstance(small.names, cst.ImportStar) \
                    and tree.code_for_node(small.module) == module:
                return small
    return None


def _last_leading_import(tree: cst.Module) -> Optional[cst.SimpleStatementLine]:
    """The last statement of the module's opening block of imports (after its docstring);
    a name imported there exists before any other code of the module runs."""
    last: Optional[cst.SimpleStatementLine] = None
    for position, statement in enumerate(tree.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        if all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            last = statement
        elif position == 0 and _is_docstring(statement):
            last = statement
        else:
            break
    return last


def _is_docstring(statement: cst.SimpleStatementLine) -> bool:
    return (len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
