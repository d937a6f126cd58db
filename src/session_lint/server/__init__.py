"""`session-lint server`: session-lint as a language server (LSP), for editors.

Installed with the `server` extra (`pip install "session-lint[server]"`): pygls and
lsprotocol are imported by the modules of this package only, so the core install stays
lean and `import session_lint` never pulls them in. `main` is the entry point of
`session-lint-server` and `python -m session_lint.server`.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence, Tuple

from .._version import __version__

DESCRIPTION = (
    "Run session-lint as a language server (LSP): an editor starts it and talks to it over "
    "stdin/stdout (or TCP with --tcp), and gets session-lint's diagnostics as you type, "
    "with quick fixes to add `# noqa` and the rule pages on hover. See docs/editors.md."
)
_MISSING = ("session-lint server: the language server needs pygls and lsprotocol: "
            "pip install \"session-lint[server]\"")


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> None:
    options = _parser(prog).parse_args(argv)
    try:
        from .handlers import create_server
    except ImportError as error:
        if getattr(error, "name", None) and error.name.partition(".")[0] in ("pygls", "lsprotocol", "cattrs", "attrs"):
            print(_MISSING, file=sys.stderr)
            sys.exit(2)
        raise
    # stdout carries the protocol: anything logged goes to stderr, which editors keep
    # in their log of the server. The level is session-lint's own: pygls at DEBUG logs
    # every message whole (whole documents), which the editor's LSP trace shows better.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="session-lint server: %(levelname)s: %(name)s: %(message)s")
    logging.getLogger("session_lint").setLevel(getattr(logging, options.log_level))
    server = create_server()
    _tune_garbage_collection()
    if options.tcp is not None:
        host, port = options.tcp
        server.start_tcp(host, port)
    else:
        server.start_io()


# Allocations between two collections of the youngest generation (CPython's default: 700).
_YOUNG_THRESHOLD = 10_000


def _tune_garbage_collection() -> None:
    """A lint allocates millions of objects (syntax trees, their positions, the analyses),
    nearly all freed by reference counting; with CPython's default threshold the collector
    still runs about a hundred times per lint of a 1,000-line file, each time walking the
    survivors (the tree being analysed): a fifth of the lint. Collecting after every
    10,000 allocations instead makes that a few milliseconds, and holds cyclic garbage a
    little longer. What the server holds for good (the modules, the rules) is frozen out of
    the collector's walks once loaded. This is the server's own process: the CLI and the
    flake8 plugin keep the defaults."""
    import gc

    import libcst  # noqa: F401  (loaded now, so that its objects are frozen with the rest)

    from .. import semantic  # noqa: F401

    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, _YOUNG_THRESHOLD), middle, old)


def _parser(prog: Optional[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument("--tcp", metavar="HOST:PORT", type=_address, default=None,
                        help="listen on this address instead of talking over stdin/stdout "
                             "(for an editor that connects to a running server)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], default="WARNING",
                        help="what the server writes to stderr (default: WARNING)")
    parser.add_argument("--version", action="version", version=f"session-lint {__version__}")
    return parser


def _address(value: str) -> Tuple[str, int]:
    host, separator, port = value.rpartition(":")
    if not separator or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, such as 127.0.0.1:2087, not {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)
