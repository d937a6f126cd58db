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
    # in their log of the server.
    logging.basicConfig(level=getattr(logging, options.log_level), stream=sys.stderr,
                        format="session-lint server: %(levelname)s: %(name)s: %(message)s")
    server = create_server()
    if options.tcp is not None:
        host, port = options.tcp
        server.start_tcp(host, port)
    else:
        server.start_io()


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
