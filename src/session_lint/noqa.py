"""`# noqa` comments: per line, per statement, and `# session-lint: noqa` for a whole file."""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional, Sequence

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
