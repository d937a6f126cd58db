"""`python -m session_lint.server`: the language server over stdin/stdout."""
from __future__ import annotations

if __name__ == "__main__":  # a workspace scan's spawned process imports this module too
    from . import main

    main(prog="python -m session_lint.server")
