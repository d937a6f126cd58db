"""`# noqa` comments: per line, per statement, and `# session-lint: noqa` for a whole file."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from .fixes import Edit

# Same shape as ruff's: `# noqa`, `# noqa: ORM101`, `# noqa: ORM101, ORM2`.
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?",
    re.IGNORECASE,
)
_FILE_NOQA = re.compile(r"^[ \t]*#[ \t]*session-lint:[ \t]*noqa[ \t]*$", re.MULTILINE | re.IGNORECASE)
_CODE_SPLIT = re.compile(r"[,\s]+")

# None as a value means a blanket `# noqa`.
NoqaMap = Dict[int, Optional[FrozenSet[str]]]


def file_is_exempt(text: str) -> bool:
    return _FILE_NOQA.search(text) is not None


def parse_noqa(lines: Sequence[str]) -> NoqaMap:
    result: NoqaMap = {}
    for number, line in enumerate(lines, start=1):
        if "#" not in line or "noqa" not in line.lower():
            continue
        match = _NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        if codes is None:
            result[number] = None
        else:
            result[number] = frozenset(c.upper() for c in _CODE_SPLIT.split(codes.strip()) if c)
    return result


def is_suppressed(code: str, rows: Sequence[int], noqa: NoqaMap) -> bool:
    for row in rows:
        if row not in noqa:
            continue
        codes = noqa[row]
        if codes is None or any(code.startswith(prefix) for prefix in codes):
            return True
    return False


# -- writing `# noqa` comments (--add-noqa, the unused-noqa fix) -----------------------------------
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> List[str]:
    """Lines with their line breaks, numbered as libcst and the tokenizer number rows (not
    as str.splitlines, which also breaks at form feeds and Unicode separators)."""
    return _LINE.findall(text)


def rows_a_comment_can_end(text: str) -> Optional[FrozenSet[int]]:
    """Rows whose end lies outside any string and is no backslash continuation (where the
    tokenizer ends a line); None when the text does not tokenize."""
    import io
    import tokenize

    rows = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                rows.add(token.start[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return frozenset(rows)


def covers(codes: Optional[FrozenSet[str]], code: str) -> bool:
    """Whether a `# noqa` with `codes` (None: a blanket one) suppresses `code`."""
    return codes is None or any(code.startswith(prefix) for prefix in codes)


def add_noqa_edits(text: str, findings: Iterable[Tuple[str, Sequence[int]]]) -> List["Edit"]:
    """The edits that suppress each (code, statement rows) finding with a `# noqa: CODE` on
    the first row of its statement that a comment can end (the row `noqa_row` names, unless
    a string or a backslash continues it), keeping the codes a comment there already has.
    Findings already suppressed need no edit, so the result is empty on a second run."""
    from .diagnostics import Location
    from .fixes import Edit

    lines = split_lines(text)
    endable = rows_a_comment_can_end(text)
    existing = parse_noqa([line.rstrip("\r\n") for line in lines])
    wanted: Dict[int, List[str]] = {}
    for code, rows in findings:
        if any(row in existing and covers(existing[row], code) for row in rows):
            continue  # suppressed already (by a comment on any row of the statement)
        candidates = [row for row in sorted(set(rows)) if 0 < row <= len(lines)]
        row = next((r for r in candidates if endable is None or r in endable), None)
        if row is None:
            continue
        codes = wanted.setdefault(row, [])
        if code not in codes:
            codes.append(code)
    edits = []
    for row, codes in sorted(wanted.items()):
        line = lines[row - 1].rstrip("\r\n")
        match = _NOQA.search(line) if row in existing else None
        if match is not None and match.group("codes"):
            end = match.end("codes")
            edits.append(Edit.insertion(Location(row, end + 1), "".join(f", {code}" for code in codes)))
        else:
            content = line.rstrip()
            edits.append(Edit(Location(row, len(content) + 1), Location(row, len(line) + 1),
                              f"  # noqa: {', '.join(codes)}"))
    return edits


def without_codes(comment: str, remove: Iterable[str]) -> Optional[str]:
    """`comment` (a `# ...` comment) with the `noqa` codes in `remove` taken out; "" when
    nothing is left of the comment; None when it holds no `# noqa: CODES`."""
    match = _NOQA.search(comment)
    if match is None or match.group("codes") is None:
        return None
    removed = {code.upper() for code in remove}
    kept = [code for code in _CODE_SPLIT.split(match.group("codes").strip()) if code and code.upper() not in removed]
    if kept:
        return comment[: match.start("codes")] + ", ".join(kept) + comment[match.end("codes"):]
    rest = (comment[: match.start()].rstrip() + comment[match.end():]).strip()
    return "" if rest in ("", "#") else rest
