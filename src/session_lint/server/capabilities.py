"""Reading the client's capabilities, any of which may be missing."""
from __future__ import annotations

from typing import Any


def capability(root: Any, *names: str) -> Any:
    """`root.a.b.c` for names a, b, c; None as soon as one is missing."""
    for name in names:
        root = getattr(root, name, None)
        if root is None:
            return None
    return root
