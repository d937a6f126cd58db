"""Reading a source file for an edit, and writing the edited text back safely: in its own
encoding, atomically, and never over a file that changed since it was read."""
from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass

from .engine import read_source


class FileChanged(Exception):
    """The file on disk is no longer the one the edits were computed for."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    data: bytes
    text: str
    encoding: str

    @classmethod
    def read(cls, path: str) -> "SourceFile":
        """OSError when the file cannot be read, ValueError when it is not text in its
        declared encoding (such a file is reported as ORM001, never edited)."""
        data = read_source(path)
        return cls.decode(path, data)

    @classmethod
    def decode(cls, path: str, data: bytes) -> "SourceFile":
        if b"\x00" in data:
            raise ValueError("the file contains NUL bytes")
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot decode: {error}") from None
        # `utf-8-sig` (a byte order mark) decodes the mark away and encodes it back.
        return cls(path, data, text, encoding)

    def encode(self, text: str) -> bytes:
        """Raises UnicodeEncodeError when an edit brought a character the file's encoding lacks."""
        return text.encode(self.encoding)

    def write(self, text: str) -> None:
        """Replace the file's content by `text`, atomically (a temporary file in the same
        directory, renamed over it) so that a reader or a crash never sees half a file.
        FileChanged when the file's bytes are no longer those read: an editor or another
        tool wrote it meanwhile, and its change wins."""
        data = self.encode(text)
        target = os.path.realpath(self.path)  # a symbolic link keeps pointing at the file
        status = os.stat(target)
        if not stat.S_ISREG(status.st_mode):
            raise FileChanged("it is no longer a regular file")
        directory, name = os.path.split(target)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".session-lint", dir=directory or ".")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, stat.S_IMODE(status.st_mode))
            _keep_owner(temporary, status)
            if read_source(target) != self.data:
                raise FileChanged("it changed since it was read; the change on disk wins")
            os.replace(temporary, target)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise


def _keep_owner(path: str, status: os.stat_result) -> None:
    # Run as root (a container, CI), a rename would hand the user's file to root.
    if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
        try:
            os.chown(path, status.st_uid, status.st_gid)
        except OSError:
            pass
