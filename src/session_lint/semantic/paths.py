"""Where a file sits in its project: the directories that say what kind of code it is."""
from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import Optional, Tuple, Union


def project_directories(filename: str, root: Optional[Union[str, Path]] = None) -> Tuple[str, ...]:
    """The directory names of `filename`, taken relative to `root` when it lies under it (so a
    checkout in `/home/me/tests/app` or `/srv/migrations/app` is not all one kind of code)."""
    path = PurePath(filename)
    if root is not None:
        # A relative name is relative to the cwd: `helpers.py` from `tests/` is `tests/helpers.py`.
        absolute = path if path.is_absolute() else PurePath(os.path.abspath(filename))
        try:
            path = absolute.relative_to(root)
        except ValueError:
            pass
    return path.parts[:-1]
